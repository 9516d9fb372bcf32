import type { BinaryData, RawData, SocketPacket } from "@switchboard/protocol";

/** How a Manager turns packets into engine messages and back: the built-in codec or a custom parser's. */
export interface PacketCodec {
  /** Encodes one packet into its engine messages. */
  encode(packet: SocketPacket): (string | BinaryData)[];
  /** Decodes engine messages; `add` returns a complete packet, or null (a custom parser's decoder reports through its sink). */
  decoder: { add(data: RawData): SocketPacket | null; reset(): void };
}
