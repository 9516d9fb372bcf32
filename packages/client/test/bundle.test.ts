import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import { ClientErrorCode } from "@switchboard/client";
import * as pure from "@switchboard/protocol";
import { build } from "esbuild";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { minified, ownMessages } from "../scripts/minify-options.mjs";

const require = createRequire(import.meta.url);
const bundleDir = join(
  dirname(require.resolve("@switchboard/client/package.json")),
  "dist",
  "bundle",
);
const read = (name: string) => readFileSync(join(bundleDir, name));

describe("browser bundles", () => {
  it("keeps the minified IIFE bundle within 10 KB min+gzip", () => {
    expect(gzipSync(read("socket.io.min.js"), { level: 9 }).length).toBeLessThanOrEqual(10 * 1024);
  });

  it("exposes every export of the package on the IIFE global", async () => {
    const context: { io?: Record<string, unknown>; TextEncoder: typeof TextEncoder } = {
      TextEncoder,
    };
    runInNewContext(read("socket.io.min.js").toString(), context);
    const api = await import("@switchboard/client");
    expect(Object.keys(context.io!).sort()).toEqual(Object.keys(api).sort());
    expect(typeof context.io).toBe("function");
    expect(context.io!.connect).toBe(context.io);
  });

  it("leaves the parser option out of the IIFE bundles (a TypeError), and keeps it in the ESM bundle", () => {
    const context: {
      io?: (uri: string, opts: object) => unknown;
      TextEncoder: typeof TextEncoder;
      URL: typeof URL;
      URLSearchParams: typeof URLSearchParams;
    } = { TextEncoder, URL, URLSearchParams };
    runInNewContext(read("socket.io.min.js").toString(), context);
    const parser = { Encoder: class {}, Decoder: class {} };
    // a TypeError of another realm (the vm context's), so compared by name and code
    expect(() => context.io!("http://127.0.0.1:1", { parser, autoConnect: false })).toThrow(
      expect.objectContaining({ name: "TypeError", code: "SB_ERR_INVALID_OPTION" }),
    );
    // the decoder adapter subscribes to the parser's "decoded" event: only the ESM bundle has it
    for (const name of ["socket.io.js", "socket.io.min.js"]) {
      expect(read(name).toString()).not.toContain('"decoded"');
    }
    expect(read("socket.io.esm.min.js").toString()).toContain('"decoded"');
  });

  it("carries codes instead of Switchboard's own error messages, and keeps socket.io-client's", async () => {
    // the Node build (tsc's dist/) keeps every message: each entry must still match one there
    const dist = join(bundleDir, "..");
    const compiled = [
      "engine/engine-socket.js",
      "socket/manager.js",
      "socket/socket.js",
      "socket/custom-parser.js",
      "socket/url.js",
    ]
      .map((name) => readFileSync(join(dist, name), "utf8"))
      .join("\n");
    for (const name of ["socket.io.min.js", "socket.io.esm.min.js"]) {
      const text = read(name).toString();
      for (const [message, code] of Object.entries(ownMessages)) {
        expect(compiled).toContain(JSON.stringify(message));
        expect(text).not.toContain(message);
        expect(text).toContain(code);
      }
      for (const kept of ["xhr poll error", "operation has timed out", "send buffer full"]) {
        expect(text).toContain(kept);
      }
    }
    const context: {
      io?: ((uri: string, opts: object) => unknown) & { ClientErrorCode?: object };
      TextEncoder: typeof TextEncoder;
      URL: typeof URL;
      URLSearchParams: typeof URLSearchParams;
    } = { TextEncoder, URL, URLSearchParams };
    runInNewContext(read("socket.io.min.js").toString(), context);
    expect(context.io!.ClientErrorCode).toEqual(ClientErrorCode);
    let thrown: { message?: string; code?: string } = {};
    try {
      context.io!("http://127.0.0.1:1", { reconnectionDelay: 2, reconnectionDelayMax: 1 });
    } catch (err) {
      thrown = err as never;
    }
    expect(thrown).toMatchObject({
      message: "SB_ERR_INVALID_OPTION",
      code: ClientErrorCode.INVALID_OPTION,
    });
  });

  it("ships nothing Node-only", () => {
    for (const name of ["socket.io.js", "socket.io.min.js", "socket.io.esm.min.js"]) {
      const text = read(name).toString();
      expect(text).not.toMatch(/\brequire\(|from\s*"(node:|ws")|nodebuffer|\bBuffer\.|\bprocess\./);
    }
  });
});

describe("the protocol codec as minified for the browser bundles", async () => {
  // Bundled with the options of the minified bundles (codes for messages, mangled internal
  // property names), then imported.
  const result = await build({
    ...minified,
    stdin: { contents: 'export * from "@switchboard/protocol";', resolveDir: bundleDir },
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
  });
  const source = result.outputFiles[0]!.text;
  const p: typeof import("@switchboard/protocol") = await import(
    `data:text/javascript;base64,${Buffer.from(source).toString("base64")}`
  );

  function thrown(fn: () => unknown): { code?: string; message: string; cause?: unknown } {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(p.ProtocolError);
      return err as never;
    }
    throw new Error("nothing was thrown");
  }

  it("drops the message texts from the bundle", () => {
    expect(source).not.toContain("malformed attachment placeholder");
    expect(source).not.toContain("invalid base64");
    expect(source).toContain("SB_ERR_INVALID_PLACEHOLDER");
  });

  it("keeps every code, with the code as message, and keeps causes", () => {
    const cases: [() => unknown, string][] = [
      [() => p.decodeBase64("abc"), "SB_ERR_INVALID_BASE64"],
      [() => p.decodeBase64("ab?="), "SB_ERR_INVALID_BASE64"],
      [() => p.decodeEnginePacket(""), "SB_ERR_EMPTY_PACKET"],
      [() => p.decodeEnginePacket("9"), "SB_ERR_UNKNOWN_ENGINE_PACKET_TYPE"],
      [() => p.decodePayload("4a\x1e4b", 1), "SB_ERR_TOO_MANY_PACKETS"],
      [() => p.parseHandshake('{"sid":""}'), "SB_ERR_INVALID_HANDSHAKE"],
      [() => new p.SocketPacketDecoder().add('2["a"'), "SB_ERR_INVALID_JSON"],
      [() => new p.SocketPacketDecoder().add("9"), "SB_ERR_UNKNOWN_PACKET_TYPE"],
      [() => new p.SocketPacketDecoder().add("3[]"), "SB_ERR_INVALID_ACK_ID"],
      [
        () => new p.SocketPacketDecoder().add('51-["a",{"_placeholder":1}]'),
        "SB_ERR_INVALID_PLACEHOLDER",
      ],
      [() => new p.SocketPacketDecoder().add(new Uint8Array(1)), "SB_ERR_UNEXPECTED_ATTACHMENT"],
      [() => p.encodeSocketPacket({ type: 2, nsp: "a", data: ["x"] }), "SB_ERR_INVALID_NAMESPACE"],
      [
        () => p.encodeSocketPacket({ type: 3, nsp: "/", data: [] } as never),
        "SB_ERR_INVALID_PACKET",
      ],
      [() => p.encodeEnginePacket({ type: "nope" } as never), "SB_ERR_INVALID_PACKET"],
    ];
    for (const [fn, code] of cases) {
      const err = thrown(fn);
      expect(err.code).toBe(code);
      expect(err.message).toBe(code);
    }
    const cyclic: unknown[] = ["ev"];
    cyclic.push(cyclic);
    expect(thrown(() => p.encodeSocketPacket({ type: 2, nsp: "/", data: cyclic })).code).toBe(
      "SB_ERR_CYCLIC_DATA",
    );
    expect(thrown(() => p.parseHandshake("{")).cause).toBeInstanceOf(SyntaxError);
    expect(thrown(() => new p.SocketPacketDecoder().add("2[")).cause).toBeInstanceOf(SyntaxError);
  });

  // The bundles swap the protocol's pure base64 for one on atob/btoa (browser-base64.mjs).
  it("uses atob/btoa base64 that agrees with the pure one, strictness included", () => {
    expect(source).toContain("atob(");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40_000, size: "max" }), (bytes) => {
        const text = p.encodeBase64(bytes);
        expect(text).toBe(pure.encodeBase64(bytes));
        expect(Buffer.from(p.decodeBase64(text)).equals(bytes)).toBe(true);
      }),
      { numRuns: 100 },
    );
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n-_".split(
      "",
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 16 }), (chars) => {
        const text = chars.join("");
        let expected: Uint8Array | string;
        try {
          expected = pure.decodeBase64(text);
        } catch (err) {
          expected = (err as pure.ProtocolError).code;
        }
        let actual: Uint8Array | string;
        try {
          actual = p.decodeBase64(text);
        } catch (err) {
          actual = (err as pure.ProtocolError).code;
        }
        expect(actual).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it("still encodes and decodes", () => {
    const [text, bytes] = p.encodeSocketPacket({
      type: 2,
      nsp: "/chat",
      data: ["up", new Uint8Array([1, 2])],
      id: 3,
    });
    expect(text).toBe('51-/chat,3["up",{"_placeholder":true,"num":0}]');
    const decoder = new p.SocketPacketDecoder();
    expect(decoder.add(text)).toBeNull();
    expect(decoder.add(bytes!)).toEqual({
      type: 5,
      nsp: "/chat",
      data: ["up", new Uint8Array([1, 2])],
      id: 3,
    });
    expect(p.decodePayload("4hi\x1ebAQI=")).toEqual([
      { type: "message", data: "hi" },
      { type: "message", data: new Uint8Array([1, 2]) },
    ]);
  });
});
