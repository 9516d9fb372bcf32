import type { BinaryData } from "../engine/packet.js";
import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { deconstructBinary, depthError, hasBinary } from "./binary.js";
import type { SocketPacket } from "./packet-type.js";

function invalidPacket(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_PACKET, message);
}

/** `"<nsp>,"`, or nothing for the main namespace (spec: the namespace is omitted for "/"). */
function namespacePart(nsp: unknown): string {
  if (nsp === "/") return "";
  // the namespace is delimited by a comma with no escape sequence (spec, "Format")
  if (typeof nsp !== "string" || nsp.charCodeAt(0) !== 47 || nsp.includes(",")) {
    throw new ProtocolError(
      ProtocolErrorCode.INVALID_NAMESPACE,
      "namespace must be a string starting with / and without a comma",
    );
  }
  return `${nsp},`;
}

function ackIdPart(id: unknown, required: boolean): string {
  if (id === undefined) {
    if (required) throw invalidPacket("ACK packet without id");
    return "";
  }
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
    throw invalidPacket("ack id must be a safe non-negative integer");
  }
  return `${id}`;
}

/**
 * The ProtocolError for an exception thrown while walking or serialising `value`: cyclic or
 * too-deep data keep their own codes; anything else (BigInt, a throwing toJSON) is
 * SB_ERR_UNSERIALIZABLE_DATA.
 */
function encodeFailure(cause: unknown, value: unknown): ProtocolError {
  if (cause instanceof ProtocolError) return cause;
  if (cause instanceof RangeError || cause instanceof TypeError) {
    try {
      const err = depthError(value);
      if (err.code === ProtocolErrorCode.CYCLIC_DATA || cause instanceof RangeError) return err;
    } catch {
      // a toJSON that throws again: fall through to the generic code
    }
  }
  return new ProtocolError(
    ProtocolErrorCode.UNSERIALIZABLE_DATA,
    "data cannot be serialised as JSON",
    { cause },
  );
}

/** JSON.stringify with every failure reported as a ProtocolError. */
function stringify(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw encodeFailure(cause, value);
  }
  if (json === undefined) throw invalidPacket("data serialises to nothing");
  return json;
}

function encodeWithArgs(
  textType: "2" | "3",
  binaryType: "5" | "6",
  nsp: string,
  id: string,
  data: unknown[],
): [string, ...BinaryData[]] {
  let split: ReturnType<typeof deconstructBinary>;
  try {
    if (!hasBinary(data)) {
      // fast path (no binary): one walk, one JSON.stringify, concatenation
      return [textType + namespacePart(nsp) + id + stringify(data)];
    }
    split = deconstructBinary(data);
  } catch (cause) {
    throw encodeFailure(cause, data);
  }
  const json = stringify(split.data);
  if (split.attachments.length === 0) return [textType + namespacePart(nsp) + id + json];
  return [
    `${binaryType}${split.attachments.length}-${namespacePart(nsp)}${id}${json}`,
    ...split.attachments,
  ];
}

/**
 * Encode a Socket.IO packet into engine messages: the text packet first, then one binary
 * attachment per binary value in the data. EVENT / ACK become BINARY_EVENT / BINARY_ACK by
 * themselves when the data holds binary (Uint8Array, Node Buffer, ArrayBuffer, any
 * ArrayBufferView, Blob where defined), and BINARY_EVENT / BINARY_ACK without binary data are
 * sent as EVENT / ACK. Objects with `toJSON` are serialised through it, like `JSON.stringify`.
 * The caller's data is never mutated.
 *
 * Without binary this is one walk over objects/arrays, one `JSON.stringify` and string
 * concatenation: encode once per broadcast, not per recipient.
 *
 * A `Blob` cannot be read synchronously: it is passed through unchanged as its attachment
 * (check with `isBlob`); a browser WebSocket can send it as is.
 *
 * @throws ProtocolError `SB_ERR_INVALID_PACKET`, `SB_ERR_INVALID_NAMESPACE`, `SB_ERR_CYCLIC_DATA`,
 *   `SB_ERR_DATA_TOO_DEEP`, `SB_ERR_UNSERIALIZABLE_DATA`
 * @example
 * ```ts
 * encodeSocketPacket({ type: 2, nsp: "/", data: ["hello", 1] });        // ['2["hello",1]']
 * encodeSocketPacket({ type: 2, nsp: "/admin", data: ["bye"], id: 12 }); // ['2/admin,12["bye"]']
 * encodeSocketPacket({ type: 2, nsp: "/", data: ["file", new Uint8Array([1])] });
 * // ['51-["file",{"_placeholder":true,"num":0}]', Uint8Array [1]]
 * ```
 */
export function encodeSocketPacket(packet: SocketPacket): [string, ...BinaryData[]] {
  if (typeof packet !== "object" || packet === null) throw invalidPacket("packet is not an object");
  switch (packet.type) {
    case 2:
    case 5: {
      const data: unknown = packet.data;
      if (!Array.isArray(data) || data.length === 0 || typeof data[0] !== "string") {
        throw invalidPacket("EVENT data must be [eventName, ...args]");
      }
      return encodeWithArgs("2", "5", packet.nsp, ackIdPart(packet.id, false), data);
    }
    case 3:
    case 6: {
      const data: unknown = packet.data;
      if (!Array.isArray(data)) throw invalidPacket("ACK data must be an array");
      return encodeWithArgs("3", "6", packet.nsp, ackIdPart(packet.id, true), data);
    }
    case 0: {
      const data = packet.data;
      if (data === undefined) return [`0${namespacePart(packet.nsp)}`];
      if (typeof data !== "object" || data === null || Array.isArray(data)) {
        throw invalidPacket("CONNECT data must be an object");
      }
      return [`0${namespacePart(packet.nsp)}${stringify(data)}`];
    }
    case 1:
      return [`1${namespacePart(packet.nsp)}`];
    case 4: {
      const data = packet.data;
      if (
        typeof data !== "string" &&
        (typeof data !== "object" || data === null || Array.isArray(data))
      ) {
        throw invalidPacket("CONNECT_ERROR data must be an object or a string");
      }
      return [`4${namespacePart(packet.nsp)}${stringify(data)}`];
    }
    default:
      throw invalidPacket(`unknown packet type ${String((packet as { type: unknown }).type)}`);
  }
}

/**
 * Encode a CONNECT packet: a client's request to join `nsp` (with optional auth), or the
 * server's acceptance (`{sid}`, plus `pid`/`offset` with connection state recovery).
 *
 * @example
 * ```ts
 * encodeConnectPacket("/admin", { token: "123" }); // '0/admin,{"token":"123"}'
 * encodeConnectPacket("/", { sid: "oSO0OpakMV_3jnilAAAA" }); // '0{"sid":"oSO0OpakMV_3jnilAAAA"}'
 * ```
 */
export function encodeConnectPacket(nsp: string, data?: object): string {
  return encodeSocketPacket(data === undefined ? { type: 0, nsp } : { type: 0, nsp, data })[0];
}

/**
 * Encode a DISCONNECT packet for `nsp`.
 *
 * @example
 * ```ts
 * encodeDisconnectPacket("/admin"); // "1/admin,"
 * ```
 */
export function encodeDisconnectPacket(nsp: string): string {
  return encodeSocketPacket({ type: 1, nsp })[0];
}

/**
 * Encode a CONNECT_ERROR packet `{message, data?}` refusing a namespace connection.
 *
 * @example
 * ```ts
 * encodeConnectErrorPacket("/", "Not authorized", { code: 401 });
 * // '4{"message":"Not authorized","data":{"code":401}}'
 * ```
 */
export function encodeConnectErrorPacket(nsp: string, message: string, data?: unknown): string {
  const payload = data === undefined ? { message } : { message, data };
  return encodeSocketPacket({ type: 4, nsp, data: payload })[0];
}
