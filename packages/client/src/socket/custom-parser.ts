import {
  CustomPacketDecoder,
  customEncoder,
  type DecodedPacketSink,
  isSocketParser,
  type SocketParser,
} from "@switchboard/protocol";
import { optionError } from "../engine/errors.js";
import type { PacketCodec } from "./codec.js";

/**
 * The `parser` option of the Manager: the parser's encoder (one instance per Manager) and its
 * decoder (one per connection: a new one after each close), with the checks and limits of
 * the built-in decoder (see `CustomPacketDecoder` in @switchboard/protocol). Decoded packets
 * and errors go to `sink`; the decoder's `add` returns nothing itself.
 *
 * This module is left out of the IIFE bundles (`socket.io.js`, `socket.io.min.js`; see the
 * Manager's constructor): custom parsers work in the ESM build, in Node.js and through
 * bundlers.
 */
export function parserCodec(parser: unknown, sink: DecodedPacketSink): PacketCodec {
  if (!isSocketParser(parser)) {
    throw optionError("option parser must have an Encoder and a Decoder class");
  }
  const valid: SocketParser = parser;
  let decoder: CustomPacketDecoder | undefined;
  return {
    encode: customEncoder(valid),
    decoder: {
      add(data) {
        decoder ??= new CustomPacketDecoder(valid, undefined, sink);
        decoder.add(data);
        return null;
      },
      reset() {
        decoder?.destroy();
        decoder = undefined;
      },
    },
  };
}
