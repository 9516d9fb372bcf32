import { readFile } from "node:fs/promises";
import { ProtocolErrorCode } from "@switchboard/protocol";
import { browserBase64Plugin } from "./browser-base64.mjs";
import { collapseErrorMessages, collapseErrorsPlugin } from "./collapse-errors.mjs";

// Property names that never meet user code or platform APIs, shortened in the minified bundles:
// the keys of ProtocolErrorCode (the client does not export that table; the SB_ERR_ values stay),
// the platform seam, module-internal records (ack queue entries, pending binary packets,
// placeholder slots, cycle-search frames) and the Manager's link for its Sockets (ManagerLink, src/socket/manager-link.ts).
// An exact list, never a pattern: a name used by a DOM API, an option, a wire format, or as an
// event name (subscribe() takes event → listener objects: "packet", "open", …) must not be on it.
const internalProps = [
  ...Object.keys(ProtocolErrorCode),
  ...["createWebSocket", "toBinary", "defaultUri", "createCookieJar", "cookieJar", "platform"],
  ...["store", "header", "tryCount", "pending", "fromQueue", "withError"],
  ...["slots", "expected", "container", "children", "index", "attachments"],
  ...["linkPacket", "linkDestroy", "linkOpen", "linkWritable"],
  ...["attempts", "duration", "args", "flags"],
  ...["onOpen", "onPacket", "onError", "markClosed"],
];
/**
 * A page's bundle is the only copy of the client it loads: no ESM/CommonJS pair whose error
 * classes must share `instanceof` (root README, "CommonJS and ESM"). The minified bundles get
 * an empty `shareInstanceCheck` marked free of side effects, so its calls go (~65 B min+gzip).
 */
const singleCopyPlugin = {
  name: "single-copy",
  setup(build) {
    build.onLoad({ filter: /[\\/]protocol[\\/]dist[\\/]shared-instance-check\.js$/ }, () => ({
      contents: "/* @__NO_SIDE_EFFECTS__ */ export function shareInstanceCheck() {}",
      loader: "js",
    }));
  },
};

/**
 * Messages of client errors that are Switchboard's own (socket.io-client has none of them, so
 * no app compares them), each replaced by the error's code in the minified bundles, as
 * ProtocolError messages are (collapse-errors.mjs). The messages socket.io-client has
 * ("xhr poll error", "timeout", "operation has timed out", …) stay. Exact string literals of
 * the client's compiled files; test/bundle.test.ts checks each is still there.
 */
export const ownMessages = {
  "reconnectionDelay must not exceed reconnectionDelayMax": "SB_ERR_INVALID_OPTION",
  "transports must not be empty": "SB_ERR_INVALID_OPTION",
  "parser needs the ESM build": "SB_ERR_INVALID_OPTION",
  "option parser must have an Encoder and a Decoder class": "SB_ERR_INVALID_OPTION",
  "no session id in CONNECT (Socket.IO v2 server?)": "SB_ERR_NO_SESSION_ID",
  "too many packets before CONNECT": "SB_ERR_TOO_MANY_EARLY_PACKETS",
  "invalid URL": "SB_ERR_INVALID_OPTION",
};

const ownMessagesPlugin = {
  name: "own-messages",
  setup(build) {
    build.onLoad(
      { filter: /[\\/]client[\\/]dist[\\/](engine|socket)[\\/][^\\/]+\.js$/ },
      async ({ path }) => {
        let contents = await readFile(path, "utf8");
        for (const [message, code] of Object.entries(ownMessages)) {
          contents = contents.replaceAll(JSON.stringify(message), JSON.stringify(code));
        }
        return { contents, loader: "js" };
      },
    );
  },
};

/** esbuild options of the minified browser bundles (also used by test/bundle.test.ts). */
export const minified = {
  minify: true,
  // browserBase64Plugin first: the first plugin to load a file wins.
  plugins: [
    browserBase64Plugin(collapseErrorMessages),
    singleCopyPlugin,
    collapseErrorsPlugin,
    ownMessagesPlugin,
  ],
  mangleProps: new RegExp(`^(${internalProps.join("|")})$`),
};
