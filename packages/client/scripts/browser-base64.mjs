// An esbuild plugin for the browser bundles: the protocol package's pure-TypeScript base64
// (engine/base64.js, used for binary packets over long-polling) is swapped for one on the
// browser's own atob/btoa, about 1.1 KB smaller minified. Same contract: standard padded
// base64 only (checked by one regular expression before atob, which alone would accept
// whitespace and missing padding), ProtocolError SB_ERR_INVALID_BASE64 otherwise.
// test/bundle.test.ts checks it against the pure implementation.

/** The module that replaces protocol/dist/engine/base64.js in browser bundles. */
export const browserBase64Source = `
import { ProtocolError, ProtocolErrorCode } from "../errors.js";
const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
export function encodeBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x4000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x4000));
  }
  return btoa(text);
}
export function decodeBase64(text) {
  if (typeof text !== "string" || !STRICT.test(text)) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_BASE64, "invalid base64");
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
`;

/**
 * The plugin; `transform(source, path)` post-processes the replacement (the minified bundles
 * pass collapse-errors.mjs's `collapseErrorMessages`, as for every other protocol module).
 */
export function browserBase64Plugin(transform = (source) => source) {
  return {
    name: "browser-base64",
    setup(build) {
      build.onLoad({ filter: /[\\/]protocol[\\/]dist[\\/]engine[\\/]base64\.js$/ }, ({ path }) => ({
        contents: transform(browserBase64Source, path),
        loader: "js",
      }));
    },
  };
}
