import { describe, expect, it } from "vitest";
import { ProtocolErrorCode as Code, ProtocolError } from "../errors.js";
import {
  CustomPacketDecoder,
  customEncoder,
  isSocketParser,
  type SocketParser,
  validateDecodedPacket,
} from "./custom-parser.js";
import type { SocketPacket } from "./packet-type.js";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  throw new Error("nothing was thrown");
}

describe("validateDecodedPacket", () => {
  it("returns each valid packet type as a fresh object with only its fields", () => {
    const cases: [unknown, SocketPacket][] = [
      [
        { type: 0, nsp: "/" },
        { type: 0, nsp: "/" },
      ],
      [
        { type: 0, nsp: "/a", data: { token: 1 } },
        { type: 0, nsp: "/a", data: { token: 1 } },
      ],
      [
        { type: 1, nsp: "/a" },
        { type: 1, nsp: "/a" },
      ],
      [
        { type: 2, nsp: "/", data: ["e", 1] },
        { type: 2, nsp: "/", data: ["e", 1] },
      ],
      [
        { type: 2, nsp: "/", data: ["e"], id: 0 },
        { type: 2, nsp: "/", data: ["e"], id: 0 },
      ],
      [
        { type: 3, nsp: "/", data: [], id: 7 },
        { type: 3, nsp: "/", data: [], id: 7 },
      ],
      [
        { type: 4, nsp: "/", data: "nope" },
        { type: 4, nsp: "/", data: "nope" },
      ],
      [
        { type: 4, nsp: "/", data: { message: "x" } },
        { type: 4, nsp: "/", data: { message: "x" } },
      ],
      [
        { type: 5, nsp: "/", data: ["e", new Uint8Array(1)] },
        { type: 5, nsp: "/", data: ["e", new Uint8Array(1)] },
      ],
      [
        { type: 6, nsp: "/", data: [new ArrayBuffer(1)], id: 1 },
        { type: 6, nsp: "/", data: [new ArrayBuffer(1)], id: 1 },
      ],
      [
        { type: 2, nsp: "/", data: ["e"], extra: "dropped" },
        { type: 2, nsp: "/", data: ["e"] },
      ],
      [
        { type: 2, nsp: "/", data: ["e", new Date(0)] },
        { type: 2, nsp: "/", data: ["e", new Date(0)] },
      ],
    ];
    for (const [input, expected] of cases) expect(validateDecodedPacket(input)).toEqual(expected);
  });

  it("keeps objects without a prototype", () => {
    const data = Object.create(null) as Record<string, unknown>;
    data.a = 1;
    expect(validateDecodedPacket({ type: 2, nsp: "/", data: ["e", data] }).type).toBe(2);
  });

  it.each([
    ["null", null, Code.PARSER_ERROR],
    ["a number", 5, Code.PARSER_ERROR],
    ["an array", [2, "/", ["e"]], Code.PARSER_ERROR],
    ["a Uint8Array", new Uint8Array(2), Code.PARSER_ERROR],
    ["type 7", { type: 7, nsp: "/", data: ["e"] }, Code.UNKNOWN_PACKET_TYPE],
    ["type -1", { type: -1, nsp: "/" }, Code.UNKNOWN_PACKET_TYPE],
    ["type 2.5", { type: 2.5, nsp: "/", data: ["e"] }, Code.UNKNOWN_PACKET_TYPE],
    ['type "2"', { type: "2", nsp: "/", data: ["e"] }, Code.UNKNOWN_PACKET_TYPE],
    ["no nsp", { type: 2, data: ["e"] }, Code.INVALID_NAMESPACE],
    ["nsp without /", { type: 2, nsp: "a", data: ["e"] }, Code.INVALID_NAMESPACE],
    ["nsp not a string", { type: 2, nsp: 1, data: ["e"] }, Code.INVALID_NAMESPACE],
    ["nsp too long", { type: 2, nsp: `/${"a".repeat(256)}`, data: ["e"] }, Code.NAMESPACE_TOO_LONG],
    ["id -1", { type: 2, nsp: "/", data: ["e"], id: -1 }, Code.INVALID_ACK_ID],
    ["id 1.5", { type: 2, nsp: "/", data: ["e"], id: 1.5 }, Code.INVALID_ACK_ID],
    ["id 2^53", { type: 2, nsp: "/", data: ["e"], id: 2 ** 53 }, Code.INVALID_ACK_ID],
    ["id null", { type: 2, nsp: "/", data: ["e"], id: null }, Code.INVALID_ACK_ID],
    ['id "1"', { type: 2, nsp: "/", data: ["e"], id: "1" }, Code.INVALID_ACK_ID],
    ["ACK without id", { type: 3, nsp: "/", data: [] }, Code.INVALID_ACK_ID],
    ["CONNECT with id", { type: 0, nsp: "/", id: 1 }, Code.INVALID_ACK_ID],
    ["DISCONNECT with id", { type: 1, nsp: "/", id: 1 }, Code.INVALID_ACK_ID],
    ["CONNECT_ERROR with id", { type: 4, nsp: "/", data: "x", id: 1 }, Code.INVALID_ACK_ID],
    ["CONNECT data an array", { type: 0, nsp: "/", data: [1] }, Code.INVALID_PAYLOAD],
    ["CONNECT data a string", { type: 0, nsp: "/", data: "t" }, Code.INVALID_PAYLOAD],
    ["CONNECT data null", { type: 0, nsp: "/", data: null }, Code.INVALID_PAYLOAD],
    ["CONNECT data binary", { type: 0, nsp: "/", data: new Uint8Array(1) }, Code.INVALID_PAYLOAD],
    ["DISCONNECT with data", { type: 1, nsp: "/", data: {} }, Code.INVALID_PAYLOAD],
    ["CONNECT_ERROR data a number", { type: 4, nsp: "/", data: 1 }, Code.INVALID_PAYLOAD],
    ["EVENT data not an array", { type: 2, nsp: "/", data: "e" }, Code.INVALID_PAYLOAD],
    ["EVENT data empty", { type: 2, nsp: "/", data: [] }, Code.INVALID_PAYLOAD],
    ["EVENT name a number", { type: 2, nsp: "/", data: [1] }, Code.INVALID_EVENT_NAME],
    [
      "EVENT name too long",
      { type: 2, nsp: "/", data: ["e".repeat(257)] },
      Code.EVENT_NAME_TOO_LONG,
    ],
    ["ACK data not an array", { type: 3, nsp: "/", data: {}, id: 1 }, Code.INVALID_PAYLOAD],
  ])("refuses %s", (_name, input, code) => {
    expect(codeOf(() => validateDecodedPacket(input))).toBe(code);
  });

  it("refuses nesting beyond MAX_ENCODE_DEPTH (1000), as the default decoder does", () => {
    const nest = (levels: number): unknown[] => {
      let value: unknown[] = [];
      for (let i = 1; i < levels; i++) value = [value];
      return value;
    };
    // the event array itself is the first level
    expect(validateDecodedPacket({ type: 2, nsp: "/", data: ["e", nest(999)] }).type).toBe(2);
    expect(
      codeOf(() => validateDecodedPacket({ type: 2, nsp: "/", data: ["e", nest(1000)] })),
    ).toBe(Code.DATA_TOO_DEEP);
    let deepAuth: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) deepAuth = { a: deepAuth };
    expect(codeOf(() => validateDecodedPacket({ type: 0, nsp: "/", data: deepAuth }))).toBe(
      Code.DATA_TOO_DEEP,
    );
  });

  it("counts binary values anywhere against maxAttachments", () => {
    const bins = (n: number) => Array.from({ length: n }, () => new Uint8Array(1));
    const packet = (n: number) => ({ type: 2, nsp: "/", data: ["e", { list: bins(n) }] });
    expect(validateDecodedPacket(packet(64)).type).toBe(2);
    expect(codeOf(() => validateDecodedPacket(packet(65)))).toBe(Code.TOO_MANY_ATTACHMENTS);
    expect(codeOf(() => validateDecodedPacket(packet(3), { maxAttachments: 2 }))).toBe(
      Code.TOO_MANY_ATTACHMENTS,
    );
  });

  it("refuses objects whose prototype came from the data (a __proto__ key set by assignment)", () => {
    const injected: Record<string, unknown> = {};
    // what a decoder writing `obj[key] = value` does for the key "__proto__"
    Object.setPrototypeOf(injected, { isAdmin: true });
    expect(injected.isAdmin).toBe(true);
    expect(codeOf(() => validateDecodedPacket({ type: 0, nsp: "/", data: injected }))).toBe(
      Code.INVALID_PAYLOAD,
    );
    expect(
      codeOf(() => validateDecodedPacket({ type: 2, nsp: "/", data: ["e", { a: [injected] }] })),
    ).toBe(Code.INVALID_PAYLOAD);
    // JSON.parse makes it an own property: fine
    const own = JSON.parse('{"__proto__":{"isAdmin":true}}') as Record<string, unknown>;
    expect(validateDecodedPacket({ type: 0, nsp: "/", data: own }).type).toBe(0);
  });
});

/** A minimal event emitter, as component-emitter gives socket.io's parsers. */
class Emitter {
  readonly #listeners = new Map<string, ((...args: unknown[]) => void)[]>();
  on(event: string, fn: (...args: unknown[]) => void): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), fn]);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const fn of this.#listeners.get(event) ?? []) fn(...args);
  }
}

/** A parser over JSON text whose decoder emits every packet of an array of packets. */
function jsonParser(hooks: { onDestroy?: () => void } = {}): SocketParser {
  return {
    Encoder: class {
      encode(packet: unknown) {
        return [JSON.stringify(packet)];
      }
    },
    Decoder: class extends Emitter {
      add(chunk: string) {
        for (const packet of JSON.parse(chunk) as unknown[]) this.emit("decoded", packet);
      }
      destroy() {
        hooks.onDestroy?.();
      }
    },
  };
}

function collect(parser: SocketParser, limits?: { maxAttachments: number }) {
  const packets: SocketPacket[] = [];
  const errors: ProtocolError[] = [];
  const decoder = new CustomPacketDecoder(parser, limits, {
    onPacket: (p) => packets.push(p),
    onError: (e) => errors.push(e),
  });
  return { decoder, packets, errors };
}

describe("CustomPacketDecoder", () => {
  it("delivers the validated packets of each message in order, none from an empty one", () => {
    const { decoder, packets, errors } = collect(jsonParser());
    decoder.add('[{"type":0,"nsp":"/"},{"type":2,"nsp":"/","data":["a"],"junk":1}]');
    decoder.add("[]");
    decoder.add('[{"type":2,"nsp":"/","data":["b"]}]');
    expect(packets).toEqual([
      { type: 0, nsp: "/" },
      { type: 2, nsp: "/", data: ["a"] },
      { type: 2, nsp: "/", data: ["b"] },
    ]);
    expect(errors).toEqual([]);
  });

  it("reports an invalid packet once, destroys the parser's decoder, and delivers nothing more", () => {
    let destroyed = 0;
    const { decoder, packets, errors } = collect(jsonParser({ onDestroy: () => destroyed++ }));
    decoder.add(
      '[{"type":2,"nsp":"/","data":["a"]},{"type":2,"nsp":"/","data":[]},{"type":2,"nsp":"/","data":["c"]}]',
    );
    decoder.add('[{"type":2,"nsp":"/","data":["d"]}]');
    expect(packets.map((p) => (p as { data: unknown[] }).data[0])).toEqual(["a"]);
    expect(errors.map((e) => e.code)).toEqual([Code.INVALID_PAYLOAD]);
    expect(destroyed).toBe(1);
  });

  it("wraps whatever the parser throws as SB_ERR_PARSER_ERROR with the thrown value as cause", () => {
    const { decoder, errors } = collect(jsonParser());
    decoder.add("not json");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe(Code.PARSER_ERROR);
    expect(errors[0]!.cause).toBeInstanceOf(SyntaxError);
  });

  it("reports a decoder that cannot be constructed", () => {
    const parser: SocketParser = {
      Encoder: jsonParser().Encoder,
      Decoder: class {
        constructor() {
          throw new Error("nope");
        }
      } as unknown as SocketParser["Decoder"],
    };
    const { decoder, errors } = collect(parser);
    decoder.add("[]");
    expect(errors.map((e) => e.code)).toEqual([Code.PARSER_ERROR]);
  });

  it("counts messages that complete no packet against maxAttachments", () => {
    const { decoder, packets, errors } = collect(jsonParser(), { maxAttachments: 2 });
    decoder.add("[]");
    decoder.add("[]");
    decoder.add('[{"type":1,"nsp":"/"}]'); // 2 incomplete messages, then a packet: fine
    decoder.add("[]");
    decoder.add("[]");
    expect(errors).toEqual([]);
    decoder.add("[]");
    expect(errors.map((e) => e.code)).toEqual([Code.TOO_MANY_ATTACHMENTS]);
    expect(packets).toHaveLength(1);
  });

  it("delivers packets the parser emits later, and reports a late 'error'", () => {
    let late: Emitter | undefined;
    const parser: SocketParser = {
      Encoder: jsonParser().Encoder,
      Decoder: class extends Emitter {
        constructor() {
          super();
          late = this;
        }
        add() {}
      },
    };
    const { decoder, packets, errors } = collect(parser, { maxAttachments: 10 });
    decoder.add("x");
    late!.emit("decoded", { type: 2, nsp: "/", data: ["later"] });
    expect(packets).toEqual([{ type: 2, nsp: "/", data: ["later"] }]);
    late!.emit("error", new Error("gone"));
    expect(errors.map((e) => e.code)).toEqual([Code.PARSER_ERROR]);
    late!.emit("decoded", { type: 2, nsp: "/", data: ["after the error"] });
    expect(packets).toHaveLength(1);
  });

  it("lets an exception of onPacket propagate from add, not as a decoding error", () => {
    const decoder = new CustomPacketDecoder(jsonParser(), undefined, {
      onPacket: () => {
        throw new Error("handler bug");
      },
      onError: () => {
        throw new Error("not a decoding error");
      },
    });
    expect(() => decoder.add('[{"type":1,"nsp":"/"}]')).toThrow("handler bug");
  });

  it("delivers nothing after destroy, and stops in the middle of a message when destroyed by a packet", () => {
    let destroyed = 0;
    const packets: SocketPacket[] = [];
    const decoder = new CustomPacketDecoder(
      jsonParser({ onDestroy: () => destroyed++ }),
      undefined,
      {
        onPacket: (p) => {
          packets.push(p);
          decoder.destroy();
        },
        onError: () => {},
      },
    );
    decoder.add('[{"type":1,"nsp":"/a"},{"type":1,"nsp":"/b"}]');
    decoder.add('[{"type":1,"nsp":"/c"}]');
    expect(packets).toEqual([{ type: 1, nsp: "/a" }]);
    expect(destroyed).toBe(1);
  });
});

describe("customEncoder", () => {
  it("hands the parser EVENT / ACK types and only the fields that are set", () => {
    const seen: unknown[] = [];
    const encode = customEncoder({
      Encoder: class {
        encode(packet: unknown) {
          seen.push(packet);
          return ["x"];
        }
      },
      Decoder: jsonParser().Decoder,
    });
    encode({ type: 5, nsp: "/", data: ["e"] });
    encode({ type: 6, nsp: "/", data: [], id: 3 });
    encode({ type: 2, nsp: "/", data: ["e"], id: undefined });
    encode({ type: 0, nsp: "/", data: undefined });
    expect(seen).toEqual([
      { type: 2, nsp: "/", data: ["e"] },
      { type: 3, nsp: "/", data: [], id: 3 },
      { type: 2, nsp: "/", data: ["e"] },
      { type: 0, nsp: "/" },
    ]);
    expect(Object.keys(seen[2]!)).toEqual(["type", "nsp", "data"]);
  });

  it("returns text and binary chunks, any ArrayBufferView as a Uint8Array over the same bytes", () => {
    const buffer = new ArrayBuffer(8);
    const encode = customEncoder({
      Encoder: class {
        encode() {
          return ["t", buffer, new Uint8Array(buffer, 1, 2), new DataView(buffer, 2, 3)];
        }
      },
      Decoder: jsonParser().Decoder,
    });
    const [text, whole, bytes, view] = encode({ type: 1, nsp: "/" });
    expect(text).toBe("t");
    expect(whole).toBe(buffer);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(view).toBeInstanceOf(Uint8Array);
    expect([(view as Uint8Array).byteOffset, (view as Uint8Array).byteLength]).toEqual([2, 3]);
  });

  it.each([
    ["not an array", "abc", Code.PARSER_ERROR],
    ["an empty array", [], Code.PARSER_ERROR],
    ["a chunk that is a number", [1], Code.PARSER_ERROR],
    ["a chunk that is an object", [{}], Code.PARSER_ERROR],
  ])("refuses an encoder result that is %s", (_name, result, code) => {
    const encode = customEncoder({
      Encoder: class {
        encode() {
          return result;
        }
      },
      Decoder: jsonParser().Decoder,
    });
    expect(codeOf(() => encode({ type: 1, nsp: "/" }))).toBe(code);
  });

  it("reports an encoder that throws as SB_ERR_UNSERIALIZABLE_DATA with the cause", () => {
    const cause = new Error("BigInt");
    const encode = customEncoder({
      Encoder: class {
        encode(): never {
          throw cause;
        }
      },
      Decoder: jsonParser().Decoder,
    });
    try {
      encode({ type: 2, nsp: "/", data: ["e"] });
      throw new Error("nothing was thrown");
    } catch (err) {
      expect((err as ProtocolError).code).toBe(Code.UNSERIALIZABLE_DATA);
      expect((err as ProtocolError).cause).toBe(cause);
    }
  });
});

describe("isSocketParser", () => {
  it("wants an Encoder and a Decoder constructor", () => {
    expect(isSocketParser(jsonParser())).toBe(true);
    expect(isSocketParser({ Encoder: class {} })).toBe(false);
    expect(isSocketParser({ Encoder: 1, Decoder: class {} })).toBe(false);
    expect(isSocketParser(null)).toBe(false);
    expect(isSocketParser("msgpack")).toBe(false);
  });
});
