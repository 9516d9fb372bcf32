/**
 * Float32 samples in [-1, 1], one array per channel, to interleaved little-endian 16-bit
 * PCM. Missing channels repeat the first one (a mono microphone recorded as stereo).
 */
export function toInt16Interleaved(
  channels: readonly Float32Array[],
  channelCount: number,
): Int16Array {
  const first = channels[0];
  if (!first) return new Int16Array(0);
  const frames = first.length;
  const out = new Int16Array(frames * channelCount);
  for (let c = 0; c < channelCount; c++) {
    const data = channels[c] ?? first;
    for (let i = 0; i < frames; i++) {
      const s = Math.max(-1, Math.min(1, data[i] ?? 0));
      out[i * channelCount + c] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
    }
  }
  return out;
}

/** Peak absolute value of the first channel, for the level meter. */
export function peak(channels: readonly Float32Array[]): number {
  const first = channels[0];
  let max = 0;
  if (!first) return 0;
  for (const s of first) max = Math.max(max, Math.abs(s));
  return max;
}
