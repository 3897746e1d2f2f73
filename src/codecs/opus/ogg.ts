/**
 * The packets of an Ogg file's first logical stream (RFC 3533: pages, lacing values, packets continued
 * across pages), enough to take Opus out of an .opus/.ogg file: the first two are OpusHead and OpusTags.
 * Pure; `null` when a page is not where one must be. Not a demuxer element: no seeking, one stream.
 */
export function oggPackets(b: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  let serial: number | undefined;
  let at = 0;
  while (at + 27 <= b.length) {
    if (b[at] !== 0x4f || b[at + 1] !== 0x67 || b[at + 2] !== 0x67 || b[at + 3] !== 0x53) return null;
    const s = (b[at + 14] | (b[at + 15] << 8) | (b[at + 16] << 16) | (b[at + 17] << 24)) >>> 0;
    const segs = b[at + 26];
    let body = at + 27 + segs;
    if (body > b.length) return null;
    serial ??= s;
    const mine = s === serial;
    for (let i = 0; i < segs; i++) {
      const len = b[at + 27 + i];
      if (body + len > b.length) return null;
      if (mine) {
        parts.push(b.subarray(body, body + len));
        if (len < 255) {
          const n = parts.reduce((a, p) => a + p.length, 0);
          const pkt = new Uint8Array(n);
          let k = 0;
          for (const p of parts) {
            pkt.set(p, k);
            k += p.length;
          }
          out.push(pkt);
          parts = [];
        }
      }
      body += len;
    }
    at = body;
  }
  return out;
}
