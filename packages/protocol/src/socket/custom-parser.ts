import type { BinaryData, RawData } from "../engine/packet.js";
import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { type DecoderLimits, MAX_ENCODE_DEPTH, resolveDecoderLimits } from "../limits.js";
import { isBinary } from "./binary.js";
import { isMsgpackParser, scanMsgpack } from "./msgpack-scan.js";
import type { SocketPacket } from "./packet-type.js";

/**
 * The encoder half of a socket.io parser: `encode(packet)` returns the chunks to send, each
 * one engine message (a string as a text message, binary as a binary message).
 */
export interface SocketParserEncoder {
  // biome-ignore lint/suspicious/noExplicitAny: parsers type their input loosely (socket.io-msgpack-parser: any)
  encode(packet: any): unknown;
}

/**
 * The decoder half of a socket.io parser: an event emitter fed one engine message at a time
 * with `add(chunk)`, emitting `"decoded"` with each complete packet `{type, nsp, data, id}`.
 */
export interface SocketParserDecoder {
  // biome-ignore lint/suspicious/noExplicitAny: parsers type their input loosely
  add(chunk: any): void;
  // biome-ignore lint/suspicious/noExplicitAny: component-emitter and Node's EventEmitter type listeners loosely
  on(event: string, listener: (...args: any[]) => void): unknown;
  destroy?(): void;
}

/**
 * A socket.io parser module (`socket.io-parser`, `socket.io-msgpack-parser`, or any module
 * with the same shape): an `Encoder` class and a `Decoder` class, as socket.io's `parser`
 * option takes them. Packet types are socket.io-parser's `PacketType` (0 CONNECT to 6
 * BINARY_ACK).
 *
 * @example
 * ```ts
 * import * as msgpackParser from "socket.io-msgpack-parser";
 * const io = new Server({ parser: msgpackParser });
 * ```
 */
export interface SocketParser {
  Encoder: new () => SocketParserEncoder;
  Decoder: new () => SocketParserDecoder;
}

/** What a {@link CustomPacketDecoder} reports to. */
export interface DecodedPacketSink {
  /** A decoded packet that passed {@link validateDecodedPacket}, in order. */
  onPacket(packet: SocketPacket): void;
  /** The decoder refused a message, or what it decoded is not a valid packet; nothing more is delivered. */
  onError(err: ProtocolError): void;
}

/** Whether `value` is a {@link SocketParser} (two constructors); for option validation. */
export function isSocketParser(value: unknown): value is SocketParser {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as SocketParser).Encoder === "function" &&
    typeof (value as SocketParser).Decoder === "function"
  );
}

function fail(code: ProtocolErrorCode, message: string, cause?: unknown): ProtocolError {
  return cause === undefined
    ? new ProtocolError(code, message)
    : new ProtocolError(code, message, { cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isBinary(value);
}

/**
 * Walks decoded data without recursion: nesting within MAX_ENCODE_DEPTH (as the default
 * decoder, so a handler relaying the data cannot fail to encode it), at most
 * `maxAttachments` binary values (the default decoder's attachment limit), and no object
 * whose prototype came from the data. A msgpack map with a `__proto__` key decodes (in
 * notepack.io, which socket.io-msgpack-parser uses) to an object whose prototype is that
 * key's value: `auth.isAdmin` would then read an inherited, attacker-chosen value. JSON.parse
 * makes `__proto__` an own property instead, so the default decoder has no such case.
 */
function checkData(data: unknown, maxAttachments: number): void {
  if (typeof data !== "object" || data === null) return;
  let binaries = 0;
  const stack: [object, number][] = [[data, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (isBinary(value)) {
      if (++binaries > maxAttachments) {
        throw fail(
          ProtocolErrorCode.TOO_MANY_ATTACHMENTS,
          `more than ${maxAttachments} binary values in one packet`,
        );
      }
      continue;
    }
    let items: unknown[];
    if (Array.isArray(value)) {
      items = value;
    } else {
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        // A class instance a decoder builds on purpose (a msgpack timestamp is a Date) has a
        // prototype with its own constructor; a prototype taken from the data has none.
        const ctor = Object.getOwnPropertyDescriptor(proto, "constructor")?.value;
        if (typeof ctor !== "function") {
          throw fail(
            ProtocolErrorCode.INVALID_PAYLOAD,
            "object with a prototype taken from the data",
          );
        }
        continue;
      }
      items = Object.values(value);
    }
    for (const item of items) {
      if (typeof item !== "object" || item === null) continue;
      if (depth >= MAX_ENCODE_DEPTH && !isBinary(item)) {
        throw fail(ProtocolErrorCode.DATA_TOO_DEEP, "payload nests too deep");
      }
      stack.push([item, depth + 1]);
    }
  }
}

/**
 * Checks what a custom parser's decoder produced and returns it as a {@link SocketPacket}
 * (a fresh object with only `type`, `nsp`, `data` and `id`), with the checks the default
 * decoder makes on the same fields: type an integer 0-6, `nsp` a string starting with `/`
 * within `maxNamespaceLength`, `id` absent or a safe non-negative integer (required for ACK,
 * refused for CONNECT, DISCONNECT and CONNECT_ERROR), `data` of the shape of its type (EVENT:
 * a non-empty array whose first element is a string within `maxEventNameLength`; ACK: an
 * array; CONNECT: absent or an object; CONNECT_ERROR: an object or a string; DISCONNECT:
 * absent), nesting within `MAX_ENCODE_DEPTH`, at most `maxAttachments` binary values, no
 * prototype taken from the data.
 *
 * @throws ProtocolError `SB_ERR_PARSER_ERROR` (not an object), `SB_ERR_UNKNOWN_PACKET_TYPE`,
 *   `SB_ERR_INVALID_NAMESPACE`, `SB_ERR_NAMESPACE_TOO_LONG`, `SB_ERR_INVALID_ACK_ID`,
 *   `SB_ERR_INVALID_PAYLOAD`, `SB_ERR_INVALID_EVENT_NAME`, `SB_ERR_EVENT_NAME_TOO_LONG`,
 *   `SB_ERR_DATA_TOO_DEEP`, `SB_ERR_TOO_MANY_ATTACHMENTS`
 * @example
 * ```ts
 * validateDecodedPacket({ type: 2, nsp: "/", data: ["hello", 1] }); // { type: 2, nsp: "/", data: ["hello", 1] }
 * validateDecodedPacket({ type: 2, nsp: "/", data: "hello" }); // throws SB_ERR_INVALID_PAYLOAD
 * ```
 */
export function validateDecodedPacket(
  value: unknown,
  limits?: Partial<DecoderLimits>,
): SocketPacket {
  const { maxAttachments, maxNamespaceLength, maxEventNameLength } = resolveDecoderLimits(limits);
  if (!isRecord(value))
    throw fail(ProtocolErrorCode.PARSER_ERROR, "decoded packet is not an object");
  const { type, nsp, data, id } = value;
  if (typeof type !== "number" || !Number.isInteger(type) || type < 0 || type > 6) {
    throw fail(ProtocolErrorCode.UNKNOWN_PACKET_TYPE, `unknown packet type ${String(type)}`);
  }
  if (typeof nsp !== "string" || nsp.charCodeAt(0) !== 47) {
    throw fail(ProtocolErrorCode.INVALID_NAMESPACE, "namespace must be a string starting with /");
  }
  if (nsp.length > maxNamespaceLength) {
    throw fail(ProtocolErrorCode.NAMESPACE_TOO_LONG, `namespace longer than ${maxNamespaceLength}`);
  }
  if (id !== undefined && (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0)) {
    throw fail(ProtocolErrorCode.INVALID_ACK_ID, "ack id is not a safe non-negative integer");
  }
  switch (type) {
    case 0:
    case 1:
    case 4: {
      if (id !== undefined) throw fail(ProtocolErrorCode.INVALID_ACK_ID, "unexpected ack id");
      const ok =
        type === 0
          ? data === undefined || isRecord(data)
          : type === 1
            ? data === undefined
            : typeof data === "string" || isRecord(data);
      if (!ok) throw fail(ProtocolErrorCode.INVALID_PAYLOAD, `invalid payload for type ${type}`);
      checkData(data, maxAttachments);
      if (type === 1) return { type, nsp };
      if (type === 0) return data === undefined ? { type, nsp } : { type, nsp, data };
      return { type, nsp, data };
    }
    case 2:
    case 5: {
      if (!Array.isArray(data) || data.length === 0) {
        throw fail(ProtocolErrorCode.INVALID_PAYLOAD, "EVENT payload must be a non-empty array");
      }
      const name: unknown = data[0];
      if (typeof name !== "string") {
        throw fail(ProtocolErrorCode.INVALID_EVENT_NAME, "event name must be a string");
      }
      if (name.length > maxEventNameLength) {
        throw fail(
          ProtocolErrorCode.EVENT_NAME_TOO_LONG,
          `event name longer than ${maxEventNameLength}`,
        );
      }
      checkData(data, maxAttachments);
      return id === undefined ? { type, nsp, data } : { type, nsp, data, id };
    }
    default: {
      // 3 ACK, 6 BINARY_ACK
      if (id === undefined) throw fail(ProtocolErrorCode.INVALID_ACK_ID, "ACK without ack id");
      if (!Array.isArray(data)) {
        throw fail(ProtocolErrorCode.INVALID_PAYLOAD, "ACK payload must be an array");
      }
      checkData(data, maxAttachments);
      return { type: type as 3 | 6, nsp, data, id };
    }
  }
}

/**
 * Runs a custom parser's `Decoder` for one connection, with the default decoder's limits:
 * a parser that writes MessagePack (told by {@link isMsgpackParser}) gets only binary
 * messages whose structure {@link scanMsgpack} found sound (no length or count past the end
 * of the message, nesting within the limit: a msgpack decoder trusting those headers could
 * otherwise be made to allocate hundreds of MB from a 5-byte message);
 * every decoded packet is checked by {@link validateDecodedPacket} before it is delivered;
 * more than `maxAttachments` messages in a row that complete no packet (a decoder buffering
 * attachments) are refused with `SB_ERR_TOO_MANY_ATTACHMENTS`; a decoder that throws, emits
 * `"error"` or cannot be constructed is reported as `SB_ERR_PARSER_ERROR` (with the
 * decoder's error as `cause`). After an error, or {@link CustomPacketDecoder.destroy},
 * nothing more is delivered.
 *
 * Packets are delivered after the parser's `add` returns, not from inside its `"decoded"`
 * listener, so an exception thrown by `onPacket` (an application handler) is never taken for
 * a decoding error, and it propagates to the caller of {@link CustomPacketDecoder.add} as
 * with the default decoder.
 *
 * @example
 * ```ts
 * const decoder = new CustomPacketDecoder(msgpackParser, undefined, {
 *   onPacket: (packet) => route(packet),
 *   onError: (err) => connection.close("parse error"),
 * });
 * decoder.add(message);
 * ```
 */
export class CustomPacketDecoder {
  readonly #parser: SocketParser;
  readonly #limits: Readonly<DecoderLimits>;
  readonly #sink: DecodedPacketSink;
  /** Whether the parser writes MessagePack: binary messages are then scanned first. */
  readonly #msgpack: boolean;
  #decoder: SocketParserDecoder | undefined;
  /** Packets the parser emitted during the `add` in progress; undefined outside `add`. */
  #queue: unknown[] | undefined;
  /** Messages in a row that completed no packet. */
  #incomplete = 0;
  #done = false;

  constructor(
    parser: SocketParser,
    limits: Partial<DecoderLimits> | undefined,
    sink: DecodedPacketSink,
  ) {
    this.#parser = parser;
    this.#limits = resolveDecoderLimits(limits);
    this.#sink = sink;
    this.#msgpack = isMsgpackParser(parser);
  }

  /** Feeds one engine message (a string, or binary: a Buffer in Node.js, an ArrayBuffer in browsers). */
  add(message: RawData): void {
    if (this.#done) return;
    const queue: unknown[] = [];
    this.#queue = queue;
    try {
      if (this.#msgpack && typeof message !== "string") {
        const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
        // the data's nesting limit, plus the packet's own map
        scanMsgpack(bytes, MAX_ENCODE_DEPTH + 1);
      }
      this.#decoder ??= this.#create();
      this.#decoder.add(message);
    } catch (cause) {
      this.#queue = undefined;
      this.#fail(
        cause instanceof ProtocolError
          ? cause
          : fail(ProtocolErrorCode.PARSER_ERROR, "the parser's decoder refused the message", cause),
      );
      return;
    }
    this.#queue = undefined;
    if (this.#done) return;
    if (queue.length === 0) {
      if (++this.#incomplete > this.#limits.maxAttachments) {
        this.#fail(
          fail(
            ProtocolErrorCode.TOO_MANY_ATTACHMENTS,
            `more than ${this.#limits.maxAttachments} messages without a complete packet`,
          ),
        );
      }
      return;
    }
    this.#incomplete = 0;
    for (const raw of queue) {
      this.#deliver(raw);
      if (this.#done) return;
    }
  }

  /** Drops the parser's decoder (calling its `destroy`); nothing more is delivered. */
  destroy(): void {
    if (this.#done) return;
    this.#done = true;
    this.#release();
  }

  #create(): SocketParserDecoder {
    const decoder = new this.#parser.Decoder();
    decoder.on("decoded", (packet: unknown) => {
      if (this.#done || this.#decoder !== decoder) return;
      if (this.#queue !== undefined) this.#queue.push(packet);
      // emitted outside add (a decoder that completes packets asynchronously)
      else this.#deliver(packet);
    });
    // An EventEmitter-based decoder emitting "error" with no listener would throw, possibly
    // outside add, where nothing catches it.
    decoder.on("error", (cause: unknown) => {
      if (this.#done || this.#decoder !== decoder) return;
      this.#fail(fail(ProtocolErrorCode.PARSER_ERROR, "the parser's decoder failed", cause));
    });
    return decoder;
  }

  #deliver(raw: unknown): void {
    let packet: SocketPacket;
    try {
      packet = validateDecodedPacket(raw, this.#limits);
    } catch (err) {
      this.#fail(err as ProtocolError);
      return;
    }
    this.#sink.onPacket(packet);
  }

  #fail(err: ProtocolError): void {
    if (this.#done) return;
    this.#done = true;
    this.#release();
    this.#sink.onError(err);
  }

  #release(): void {
    const decoder = this.#decoder;
    this.#decoder = undefined;
    this.#queue = undefined;
    try {
      // quoted: the name belongs to the parser, and the client's minified bundles shorten
      // a list of internal property names (scripts/minify-options.mjs): kept out of reach
      // biome-ignore lint/complexity/useLiteralKeys: see above
      decoder?.["destroy"]?.();
    } catch {
      // a parser's destroy failing changes nothing: the decoder is dropped either way
    }
  }
}

/** A packet as a custom encoder receives it: EVENT / ACK types, only the fields that are set. */
function forEncoder(packet: SocketPacket): Record<string, unknown> {
  // socket.io hands its parser EVENT (2) and ACK (3) and lets the parser choose a binary form;
  // socket.io-msgpack-parser's decoder refuses types 5 and 6.
  const type = packet.type === 5 ? 2 : packet.type === 6 ? 3 : packet.type;
  const out: Record<string, unknown> = { type, nsp: packet.nsp };
  if ("data" in packet && packet.data !== undefined) out.data = packet.data;
  if ("id" in packet && packet.id !== undefined) out.id = packet.id;
  return out;
}

/**
 * An encode function over a custom parser's `Encoder` (one instance): the chunks it returns,
 * checked (an array of strings and binary; any `ArrayBufferView` comes back as a
 * `Uint8Array` over the same bytes).
 *
 * @throws ProtocolError (from the returned function) `SB_ERR_UNSERIALIZABLE_DATA` when the
 *   parser throws (its error as `cause`), `SB_ERR_PARSER_ERROR` when it returns anything else
 * @example
 * ```ts
 * const encode = customEncoder(msgpackParser);
 * encode({ type: 2, nsp: "/", data: ["hello"] }); // [<Buffer 83 a4 74 79 70 65 02 …>]
 * ```
 */
export function customEncoder(
  parser: SocketParser,
): (packet: SocketPacket) => (string | BinaryData)[] {
  const encoder = new parser.Encoder();
  return (packet) => {
    let chunks: unknown;
    try {
      chunks = encoder.encode(forEncoder(packet));
    } catch (cause) {
      if (cause instanceof ProtocolError) throw cause;
      throw fail(ProtocolErrorCode.UNSERIALIZABLE_DATA, "the parser's encoder failed", cause);
    }
    if (!Array.isArray(chunks) || chunks.length === 0) {
      throw fail(
        ProtocolErrorCode.PARSER_ERROR,
        "the parser's encoder returned no array of chunks",
      );
    }
    const out: (string | BinaryData)[] = new Array(chunks.length);
    for (let i = 0; i < chunks.length; i++) {
      const chunk: unknown = chunks[i];
      if (
        typeof chunk === "string" ||
        chunk instanceof ArrayBuffer ||
        chunk instanceof Uint8Array
      ) {
        out[i] = chunk;
      } else if (ArrayBuffer.isView(chunk)) {
        out[i] = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      } else {
        throw fail(
          ProtocolErrorCode.PARSER_ERROR,
          "the parser's encoder returned a chunk that is neither text nor binary",
        );
      }
    }
    return out;
  };
}
