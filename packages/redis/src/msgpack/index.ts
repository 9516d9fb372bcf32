import { type DecodeOptions, decode } from "./decode.js";
import { encode } from "./encode.js";

export { type DecodeOptions, decode, encode };

/**
 * How the adapter turns its messages into Redis payloads and back (the `parser` option of
 * `createAdapter`, as in @socket.io/redis-adapter). `decode` gets untrusted bytes.
 */
export interface Parser {
  encode(message: unknown): Buffer | string;
  decode(payload: Buffer): unknown;
}

/**
 * The default {@link Parser}: MessagePack as notepack.io writes it (what
 * @socket.io/redis-adapter uses), with a decoder safe for untrusted channel data.
 *
 * @example
 * ```ts
 * const bytes = msgpackParser.encode({ a: 1 });
 * msgpackParser.decode(Buffer.from(bytes)); // { a: 1 }
 * ```
 */
export const msgpackParser: Parser = { encode, decode: (payload) => decode(payload) };
