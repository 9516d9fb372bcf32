// Writes the seed corpus (fuzz/corpus/<target>/): real wire strings and frames, in each
// target's input format (see the comment at the top of each target). Run it again after
// changing a format; the fuzzer starts from these and the regression test replays them.
//   node fuzz/make-seeds.js
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FUZZ_DIR } from "./lib/corpus.js";

const RS = "\x1e";
const OPEN =
  '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}';

/** @param {string} s text as UTF-8 */
const utf8 = (s) => Buffer.from(s, "utf8");
/** @param {...(string | Uint8Array | number[])} parts UTF-8 strings, bytes */
const bytes = (...parts) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? utf8(p) : Buffer.from(p))));

/**
 * One client frame (RFC 6455 section 5.2): masked with `key` (0 leaves the payload readable).
 *
 * @param {number} opcode
 * @param {string | Uint8Array} payload
 * @param {{ fin?: boolean, key?: number, long?: boolean }} [o] long: 64-bit length form
 */
function frame(opcode, payload, o = {}) {
  const data = typeof payload === "string" ? utf8(payload) : Buffer.from(payload);
  const fin = o.fin ?? true;
  let head;
  if (o.long) {
    head = Buffer.alloc(10);
    head[1] = 0x80 | 127;
    head.writeUInt32BE(0, 2);
    head.writeUInt32BE(data.length, 6);
  } else if (data.length < 126) {
    head = Buffer.from([0, 0x80 | data.length]);
  } else {
    head = Buffer.alloc(4);
    head[1] = 0x80 | 126;
    head.writeUInt16BE(data.length, 2);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  const key = Buffer.alloc(4);
  key.writeUInt32BE((o.key ?? 0) >>> 0);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++)
    masked[i] = /** @type {number} */ (masked[i]) ^ /** @type {number} */ (key[i & 3]);
  return Buffer.concat([head, key, masked]);
}
const close = (/** @type {number} */ code, reason = "") => {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(code);
  return frame(0x8, Buffer.concat([p, utf8(reason)]));
};

const deep = (/** @type {number} */ n) => `2["deep",${"[".repeat(n - 1)}${"]".repeat(n - 1)}]`;

/** @type {Record<string, Record<string, Buffer>>} */
const seeds = {
  "engine-codec": {
    open: utf8(OPEN),
    message: utf8("4hello"),
    "message-empty": utf8("4"),
    "message-utf8": utf8('42["chat","héllo 😀"]'),
    "ping-probe": utf8("2probe"),
    "pong-probe": utf8("3probe"),
    upgrade: utf8("5"),
    noop: utf8("6"),
    close: utf8("1"),
    "binary-base64": utf8("bAQIDBA=="),
    payload: utf8(`4hello${RS}2${RS}bAQIDBA==`),
    "payload-socketio": utf8(
      `40${RS}42["chat","hi"]${RS}451-["file",{"_placeholder":true,"num":0}]${RS}bAQID`,
    ),
  },
  "engine-v3-codec": {
    open: utf8(
      '96:0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}',
    ),
    messages: utf8("6:4hello6:4world"),
    "characters-not-bytes": utf8("6:4hello2:4€3:4😀"),
    base64: utf8("2:4€10:b4AQIDBA=="),
    "ping-pong": utf8("1:21:3"),
    "socketio-connect": utf8("11:40/nsp?q=1,"),
    "binary-payload": bytes([0, 4, 255, 0x34, 0xe2, 0x82, 0xac, 1, 5, 255, 4, 1, 2, 3, 4]),
    "binary-frame": bytes([4, 1, 2, 3]),
    "bad-prefix": utf8("7:4hello"),
  },
  "socket-decoder": {
    connect: utf8("0"),
    "connect-nsp-auth": utf8('0/admin,{"token":"123"}'),
    disconnect: utf8("1/admin,"),
    event: utf8('2["hello","world"]'),
    "event-nsp-ack": utf8('2/chat,12["msg",{"a":[1,2,{"b":null}],"s":"é"}]'),
    ack: utf8('3/chat,12["ok",1]'),
    "connect-error": utf8('4{"message":"Not authorized","data":{"code":401}}'),
    "binary-event": bytes(
      '51-["upload",{"name":"a.png","bytes":{"_placeholder":true,"num":0}}]',
      RS,
      [0xff, 1, 2, 3],
    ),
    "binary-ack": bytes(
      '62-/chat,7[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
      RS,
      [0xff, 0x41],
      RS,
      [0xff, 0x42],
    ),
    proto: utf8('2["x",{"__proto__":{"polluted":1},"constructor":{"prototype":{}}}]'),
    "deep-ok": utf8(deep(999)),
    "deep-refused": utf8(deep(1001)),
    sequence: bytes(
      `0${RS}2["a"]${RS}51-["b",{"_placeholder":true,"num":0}]${RS}`,
      [0xff],
      RS,
      "1",
    ),
  },
  // byte 0: limits and shape (3 = maxHttpBufferSize 1e6, 0x0c = 16384 fragments,
  // 0x20 = 100 control frames), byte 1: how the bytes are cut (see the target)
  "direct-websocket": {
    session: bytes(
      [0x2f, 0x03],
      frame(0x1, "2probe", { key: 0x37fa213d }),
      frame(0x1, "5"),
      frame(0x1, '42["hello"]'),
      frame(0x9, "hi"),
      frame(0x8, [0x03, 0xe8]),
    ),
    fragmented: bytes(
      [0x2f, 0x05],
      frame(0x1, "4he", { fin: false }),
      frame(0x9, "in between"),
      frame(0x0, "ll", { fin: false }),
      frame(0x0, "o é", { fin: true, key: 0x01020304 }),
    ),
    binary: bytes(
      [0x2f, 0x02],
      frame(0x1, '451-["file",{"_placeholder":true,"num":0}]'),
      frame(0x2, [1, 2, 3, 4, 5], { key: 0xdeadbeef }),
    ),
    "length-16": bytes([0x2f, 0x01], frame(0x1, `4${"x".repeat(300)}`, { key: 0x11223344 })),
    "length-64": bytes([0x2f, 0x04], frame(0x2, [9, 8, 7], { long: true })),
    "close-reason": bytes([0x2f, 0x00], close(1001, "going away")),
    "tight-limits": bytes([0x00, 0x06], frame(0x1, "4hello world, too long"), frame(0x9, "")),
    "ping-flood": bytes([0x1f, 0x07], ...Array.from({ length: 8 }, () => frame(0x9, "p"))),
    "not-reading": bytes(
      [0x6f, 0x03],
      ...Array.from({ length: 12 }, (_, i) => frame(0x9, `ping ${i}`)),
    ),
    "server-closes": bytes([0xaf, 0x01], frame(0x1, "4bye"), close(1000)),
    head: bytes([0x2f, 0x09], frame(0x1, "2probe"), frame(0x1, "5")),
  },
  // byte 0: limits (0x3f: 1e6 bytes, 256 packets, 10000 chunks; 0x40: exact
  // Content-Length), byte 1: how the body is cut, bit 3 an overlapping POST
  polling: {
    message: bytes([0x7f, 0x00], "4hello"),
    payload: bytes([0x7f, 0x03], `4hello${RS}2${RS}bAQIDBA==${RS}6`),
    socketio: bytes(
      [0x3f, 0x05],
      `40${RS}42["chat","héllo"]${RS}451-["f",{"_placeholder":true,"num":0}]${RS}bAQID`,
    ),
    "tight-limits": bytes([0x00, 0x02], `4hello${RS}4world`),
    "declared-too-long": bytes([0xc1, 0x01], "4hi"),
    overlap: bytes([0x3f, 0x0a], `4one${RS}4two`),
  },
};

for (const [target, files] of Object.entries(seeds)) {
  const dir = path.join(FUZZ_DIR, "corpus", target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(dir, name), data);
  console.log(`${target}: ${Object.keys(files).length} seeds`);
}
