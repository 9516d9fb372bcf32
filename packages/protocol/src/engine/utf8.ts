// UTF-8 for the Engine.IO v3 binary payload, whose text packets are UTF-8 bytes. Pure
// TypeScript: this package has no TextEncoder / Buffer in its environment contract.

const REPLACEMENT = 0xfffd;

/** UTF-8 bytes of `text`; a lone surrogate becomes U+FFFD (as `TextEncoder` does). */
export function encodeUtf8(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[o++] = 0xf0 | (cp >> 18);
        out[o++] = 0x80 | ((cp >> 12) & 0x3f);
        out[o++] = 0x80 | ((cp >> 6) & 0x3f);
        out[o++] = 0x80 | (cp & 0x3f);
        continue;
      }
      c = REPLACEMENT;
    }
    out[o++] = 0xe0 | (c >> 12);
    out[o++] = 0x80 | ((c >> 6) & 0x3f);
    out[o++] = 0x80 | (c & 0x3f);
  }
  return out.subarray(0, o);
}

export function decodeUtf8(bytes: Uint8Array): string {
  const codes: number[] = [];
  let out = "";
  const end = bytes.length;
  let i = 0;
  while (i < end) {
    const b0 = bytes[i]!;
    let cp = b0;
    let used = 1;
    if (b0 >= 0x80) {
      // The WHATWG decoder's rule: a malformed sequence is its longest valid prefix (at
      // least the lead byte), replaced by one U+FFFD.
      const need =
        b0 >= 0xc2 && b0 <= 0xdf
          ? 1
          : b0 >= 0xe0 && b0 <= 0xef
            ? 2
            : b0 >= 0xf0 && b0 <= 0xf4
              ? 3
              : 0;
      let lower = b0 === 0xe0 ? 0xa0 : b0 === 0xf0 ? 0x90 : 0x80;
      let upper = b0 === 0xed ? 0x9f : b0 === 0xf4 ? 0x8f : 0xbf;
      cp = b0 & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
      while (used <= need) {
        const b = bytes[i + used];
        if (b === undefined || b < lower || b > upper) break;
        lower = 0x80;
        upper = 0xbf;
        cp = (cp << 6) | (b & 0x3f);
        used++;
      }
      if (need === 0 || used <= need) cp = REPLACEMENT;
    }
    i += used;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      codes.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else codes.push(cp);
    if (codes.length >= 0x2000) {
      out += String.fromCharCode.apply(null, codes);
      codes.length = 0;
    }
  }
  return out + String.fromCharCode.apply(null, codes);
}
