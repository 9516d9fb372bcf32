import type { DecodedPacketSink } from "@switchboard/protocol";
import type { PacketCodec } from "./codec.js";

/**
 * What the IIFE bundles (`socket.io.js`, `socket.io.min.js`) have in place of
 * `custom-parser.ts` (the `switchboard-no-parser` import condition): the `parser` option
 * needs the ESM build (`socket.io.esm.min.js`, the package through a bundler, or Node.js).
 * Keeping it out keeps the IIFE bundle within its 10 KB budget.
 */
export function parserCodec(_parser: unknown, _sink: DecodedPacketSink): PacketCodec {
  throw new TypeError("parser needs the ESM build");
}
