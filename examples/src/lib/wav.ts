/** Audio format of a PCM recording as announced by the browser. */
export interface PcmFormat {
  /** Frames per second, e.g. 48000. */
  sampleRate: number;
  /** 1 (mono) or 2 (stereo). */
  channels: number;
  /** Always 16 in this demo: the page converts Float32 samples to Int16. */
  bitsPerSample: 16;
}

/** Size of the canonical RIFF/WAVE header written by {@link wavHeader}. */
export const WAV_HEADER_BYTES = 44;

/** Sample rates the demo accepts (what AudioContext reports on common hardware). */
export const MIN_SAMPLE_RATE = 8_000;
export const MAX_SAMPLE_RATE = 96_000;

/**
 * Validates the untrusted `{sampleRate, channels}` options of `audio:start`.
 * Returns the format, or an error string meant for the client.
 */
export function parsePcmFormat(value: unknown): PcmFormat | string {
  if (typeof value !== "object" || value === null) return "format must be an object";
  const { sampleRate, channels } = value as Record<string, unknown>;
  if (
    typeof sampleRate !== "number" ||
    !Number.isInteger(sampleRate) ||
    sampleRate < MIN_SAMPLE_RATE ||
    sampleRate > MAX_SAMPLE_RATE
  ) {
    return `sampleRate must be an integer between ${MIN_SAMPLE_RATE} and ${MAX_SAMPLE_RATE}`;
  }
  if (channels !== 1 && channels !== 2) return "channels must be 1 or 2";
  return { sampleRate, channels, bitsPerSample: 16 };
}

/**
 * The 44-byte header of a PCM WAVE file holding `dataBytes` bytes of samples.
 * Sizes follow the RIFF layout: the RIFF chunk size counts everything after its own
 * 8-byte header (36 + data), and the `data` chunk size is the sample bytes.
 */
export function wavHeader(format: PcmFormat, dataBytes: number): Buffer {
  const blockAlign = format.channels * (format.bitsPerSample / 8);
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16); // fmt chunk size for PCM
  header.writeUInt16LE(1, 20); // audio format 1 = linear PCM
  header.writeUInt16LE(format.channels, 22);
  header.writeUInt32LE(format.sampleRate, 24);
  header.writeUInt32LE(format.sampleRate * blockAlign, 28); // byte rate
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(format.bitsPerSample, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** Fields read back from a canonical 44-byte WAV header (used by tests and listings). */
export interface WavInfo {
  riffSize: number;
  audioFormat: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  dataBytes: number;
}

/** Parses a canonical header; throws when the bytes are not one. */
export function parseWavHeader(bytes: Uint8Array): WavInfo {
  if (bytes.length < WAV_HEADER_BYTES) throw new Error("too short for a WAV header");
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => buf.toString("ascii", at, at + 4);
  if (tag(0) !== "RIFF" || tag(8) !== "WAVE" || tag(12) !== "fmt " || tag(36) !== "data") {
    throw new Error("not a canonical RIFF/WAVE header");
  }
  return {
    riffSize: buf.readUInt32LE(4),
    audioFormat: buf.readUInt16LE(20),
    channels: buf.readUInt16LE(22),
    sampleRate: buf.readUInt32LE(24),
    byteRate: buf.readUInt32LE(28),
    blockAlign: buf.readUInt16LE(32),
    bitsPerSample: buf.readUInt16LE(34),
    dataBytes: buf.readUInt32LE(40),
  };
}
