import type { BinaryData, RawData } from "../engine/packet.js";
import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import {
  type DecoderLimits,
  MAX_ACK_ID_DIGITS,
  MAX_ATTACHMENT_COUNT_DIGITS,
  MAX_ENCODE_DEPTH,
  resolveDecoderLimits,
} from "../limits.js";
import { setOwn, toAttachment } from "./binary.js";
import type { AckPacket, EventPacket, SocketPacket } from "./packet-type.js";

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_DASH = 45;
const CHAR_SLASH = 47;
const CHAR_COMMA = 44;

function fail(code: ProtocolErrorCode, message: string, cause?: unknown): ProtocolError {
  return cause === undefined
    ? new ProtocolError(code, message)
    : new ProtocolError(code, message, { cause });
}

/**
 * Refuses JSON (from `text[from]` on) nesting deeper than the encoder accepts
 * (`MAX_ENCODE_DEPTH`). `JSON.parse` survives any depth, but a handler that relays such
 * data (`socket.to(room).emit("x", data)`, an ack echoing it) would then throw
 * `SB_ERR_DATA_TOO_DEEP` in application code; refusing it here keeps hostile input at the
 * edge, on both sides of a connection. Called only for texts long enough to nest that deep
 * (depth d takes at least 2·d characters), so ordinary packets cost one length check.
 */
function checkDepth(text: string, from: number): void {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if ((c | 32) === 123) {
      // "[" (91) or "{" (123): they differ only in bit 5, as "]" (93) and "}" (125) do
      if (++depth > MAX_ENCODE_DEPTH) {
        throw fail(ProtocolErrorCode.DATA_TOO_DEEP, "payload nests too deep");
      }
    } else if ((c | 32) === 125) {
      depth--;
    }
  }
}

/** Where a placeholder sits in decoded data, so the attachment can be put there later. */
interface PlaceholderSlot {
  container: Record<string, unknown> | unknown[];
  key: string | number;
  num: number;
}

/** A binary packet waiting for its attachments. */
interface PendingPacket {
  packet: EventPacket | AckPacket;
  expected: number;
  slots: PlaceholderSlot[];
  attachments: BinaryData[];
}

function isDigit(code: number): boolean {
  return code >= CHAR_0 && code <= CHAR_9;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Find every `{"_placeholder":true,"num":N}` in decoded JSON and check it: exactly those
 * two keys, N an integer in [0, attachments). Iterative, so deeply nested input cannot
 * overflow the stack.
 */
function collectPlaceholders(data: unknown[], attachments: number): PlaceholderSlot[] {
  const slots: PlaceholderSlot[] = [];
  const stack: (Record<string, unknown> | unknown[])[] = [data];
  while (stack.length > 0) {
    const container = stack.pop()!;
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        visit(container, i, container[i], attachments, slots, stack);
      }
    } else {
      for (const key of Object.keys(container)) {
        visit(container, key, container[key], attachments, slots, stack);
      }
    }
  }
  return slots;
}

function visit(
  container: Record<string, unknown> | unknown[],
  key: string | number,
  value: unknown,
  attachments: number,
  slots: PlaceholderSlot[],
  stack: (Record<string, unknown> | unknown[])[],
): void {
  if (typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    stack.push(value);
    return;
  }
  const record = value as Record<string, unknown>;
  if (!Object.hasOwn(record, "_placeholder")) {
    stack.push(record);
    return;
  }
  const num = record.num;
  const keys = Object.keys(record);
  if (
    record._placeholder !== true ||
    keys.length !== 2 ||
    typeof num !== "number" ||
    !Number.isInteger(num)
  ) {
    throw fail(ProtocolErrorCode.INVALID_PLACEHOLDER, "malformed attachment placeholder");
  }
  if (num < 0 || num >= attachments) {
    throw fail(
      ProtocolErrorCode.INVALID_PLACEHOLDER,
      `placeholder ${num} out of range (${attachments} attachments)`,
    );
  }
  slots.push({ container, key, num });
}

function fillPlaceholders(slots: PlaceholderSlot[], attachments: BinaryData[]): void {
  for (const { container, key, num } of slots) setOwn(container, key, attachments[num]);
}

/** Result of parsing one text packet. */
interface ParsedText {
  packet: SocketPacket;
  attachments: number;
}

/**
 * Parse a text packet `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`: the header by char
 * codes, the payload with one JSON.parse, then the shape check for the type.
 */
function parseText(text: string, limits: Readonly<DecoderLimits>): ParsedText {
  const length = text.length;
  if (length === 0) throw fail(ProtocolErrorCode.EMPTY_PACKET, "empty packet");
  const type = text.charCodeAt(0) - CHAR_0;
  if (!(type >= 0 && type <= 6)) {
    throw fail(
      ProtocolErrorCode.UNKNOWN_PACKET_TYPE,
      `unknown packet type ${JSON.stringify(text[0])}`,
    );
  }
  let i = 1;

  let attachments = 0;
  if (type === 5 || type === 6) {
    const start = i;
    while (i < length && isDigit(text.charCodeAt(i))) {
      if (i - start >= MAX_ATTACHMENT_COUNT_DIGITS) {
        throw fail(ProtocolErrorCode.INVALID_ATTACHMENT_COUNT, "attachment count too long");
      }
      i++;
    }
    if (i === start || text.charCodeAt(i) !== CHAR_DASH) {
      throw fail(ProtocolErrorCode.INVALID_ATTACHMENT_COUNT, "missing attachment count");
    }
    attachments = Number(text.slice(start, i));
    if (attachments > limits.maxAttachments) {
      throw fail(
        ProtocolErrorCode.TOO_MANY_ATTACHMENTS,
        `${attachments} attachments declared, limit is ${limits.maxAttachments}`,
      );
    }
    i++;
  }

  let nsp = "/";
  if (text.charCodeAt(i) === CHAR_SLASH) {
    const start = i;
    // the namespace runs to the next comma, or to the end of the packet
    const scanEnd = Math.min(length, start + limits.maxNamespaceLength + 1);
    while (i < scanEnd && text.charCodeAt(i) !== CHAR_COMMA) i++;
    if (i - start > limits.maxNamespaceLength) {
      throw fail(
        ProtocolErrorCode.NAMESPACE_TOO_LONG,
        `namespace longer than ${limits.maxNamespaceLength}`,
      );
    }
    nsp = text.slice(start, i);
    if (i < length) i++; // the comma
  }

  let id: number | undefined;
  if (isDigit(text.charCodeAt(i))) {
    const start = i;
    while (i < length && isDigit(text.charCodeAt(i))) {
      if (i - start >= MAX_ACK_ID_DIGITS) {
        throw fail(ProtocolErrorCode.INVALID_ACK_ID, "ack id too long");
      }
      i++;
    }
    id = Number(text.slice(start, i));
    if (!Number.isSafeInteger(id)) {
      throw fail(ProtocolErrorCode.INVALID_ACK_ID, "ack id is not a safe integer");
    }
  }

  let data: unknown;
  const hasData = i < length;
  if (hasData) {
    if (length - i > 2 * MAX_ENCODE_DEPTH) checkDepth(text, i);
    try {
      data = JSON.parse(i === 0 ? text : text.slice(i));
    } catch (cause) {
      throw fail(ProtocolErrorCode.INVALID_JSON, "payload is not valid JSON", cause);
    }
  }

  switch (type) {
    case 0:
      if (id !== undefined) throw fail(ProtocolErrorCode.INVALID_ACK_ID, "CONNECT with ack id");
      if (!hasData) return { packet: { type, nsp }, attachments };
      if (!isPlainObject(data)) {
        throw fail(ProtocolErrorCode.INVALID_PAYLOAD, "CONNECT payload must be an object");
      }
      return { packet: { type, nsp, data }, attachments };
    case 1:
      if (id !== undefined) throw fail(ProtocolErrorCode.INVALID_ACK_ID, "DISCONNECT with ack id");
      if (hasData) throw fail(ProtocolErrorCode.INVALID_PAYLOAD, "DISCONNECT with payload");
      return { packet: { type, nsp }, attachments };
    case 4:
      if (id !== undefined) {
        throw fail(ProtocolErrorCode.INVALID_ACK_ID, "CONNECT_ERROR with ack id");
      }
      if (typeof data !== "string" && !isPlainObject(data)) {
        throw fail(
          ProtocolErrorCode.INVALID_PAYLOAD,
          "CONNECT_ERROR payload must be an object or a string",
        );
      }
      return { packet: { type, nsp, data }, attachments };
    case 2:
    case 5: {
      if (!Array.isArray(data) || data.length === 0) {
        throw fail(ProtocolErrorCode.INVALID_PAYLOAD, "EVENT payload must be a non-empty array");
      }
      const name: unknown = data[0];
      if (typeof name !== "string") {
        throw fail(ProtocolErrorCode.INVALID_EVENT_NAME, "event name must be a string");
      }
      if (name.length > limits.maxEventNameLength) {
        throw fail(
          ProtocolErrorCode.EVENT_NAME_TOO_LONG,
          `event name longer than ${limits.maxEventNameLength}`,
        );
      }
      const packet: EventPacket = id === undefined ? { type, nsp, data } : { type, nsp, data, id };
      return { packet, attachments };
    }
    default: {
      // 3 ACK, 6 BINARY_ACK
      if (id === undefined) throw fail(ProtocolErrorCode.INVALID_ACK_ID, "ACK without ack id");
      if (!Array.isArray(data)) {
        throw fail(ProtocolErrorCode.INVALID_PAYLOAD, "ACK payload must be an array");
      }
      return { packet: { type: type as 3 | 6, nsp, data, id }, attachments };
    }
  }
}

/**
 * Decodes Socket.IO v5 packets from engine messages, one decoder per connection. A text
 * message is parsed at once; a BINARY_EVENT / BINARY_ACK waits for its declared number of
 * binary messages, then comes out with every placeholder replaced by its attachment.
 *
 * Strict on untrusted input: every malformed message throws a {@link ProtocolError} with a
 * stable code (nothing else is ever thrown), and the decoder drops any half-received binary
 * packet, so it is usable again (though the caller normally closes the connection).
 *
 * @example
 * ```ts
 * const decoder = new SocketPacketDecoder({ maxAttachments: 10 });
 * decoder.add('51-["file",{"_placeholder":true,"num":0}]'); // null: awaiting 1 attachment
 * decoder.add(new Uint8Array([1, 2, 3]));
 * // { type: 5, nsp: "/", data: ["file", Uint8Array [1, 2, 3]] }
 * ```
 */
export class SocketPacketDecoder {
  readonly #limits: Readonly<DecoderLimits>;
  #pending: PendingPacket | null = null;

  /**
   * @param limits - overrides of {@link DEFAULT_DECODER_LIMITS} (64 attachments, 256-char
   *   namespaces and event names); invalid values throw `TypeError`
   */
  constructor(limits?: Partial<DecoderLimits>) {
    this.#limits = resolveDecoderLimits(limits);
  }

  /** Whether a binary packet has been received and its attachments are still awaited. */
  get awaitingAttachments(): boolean {
    return this.#pending !== null;
  }

  /**
   * Feed one engine message.
   *
   * @returns the complete packet, or `null` while attachments are awaited
   * @throws ProtocolError on any malformed input (codes in {@link ProtocolErrorCode}),
   *   including `SB_ERR_UNEXPECTED_ATTACHMENT` and `SB_ERR_ATTACHMENT_EXPECTED`
   */
  add(message: RawData): SocketPacket | null {
    if (typeof message === "string") {
      if (this.#pending !== null) {
        this.#pending = null;
        throw fail(
          ProtocolErrorCode.ATTACHMENT_EXPECTED,
          "text packet received while attachments were awaited",
        );
      }
      const { packet, attachments } = parseText(message, this.#limits);
      if (packet.type !== 5 && packet.type !== 6) return packet;
      const slots = collectPlaceholders(packet.data, attachments);
      if (attachments === 0) return packet;
      this.#pending = { packet, expected: attachments, slots, attachments: [] };
      return null;
    }
    if (!(message instanceof ArrayBuffer || ArrayBuffer.isView(message))) {
      this.#pending = null;
      throw fail(ProtocolErrorCode.INVALID_MESSAGE, "message is neither text nor binary");
    }
    const pending = this.#pending;
    if (pending === null) {
      throw fail(ProtocolErrorCode.UNEXPECTED_ATTACHMENT, "attachment received while none awaited");
    }
    pending.attachments.push(toAttachment(message));
    if (pending.attachments.length < pending.expected) return null;
    this.#pending = null;
    fillPlaceholders(pending.slots, pending.attachments);
    return pending.packet;
  }

  /** Drop any half-received binary packet. */
  reset(): void {
    this.#pending = null;
  }
}
