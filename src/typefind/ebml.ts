import { Probability, TYPES, type TypeFound } from './types';

const EBML_MAGIC = [0x1a, 0x45, 0xdf, 0xa3];
const DOC_TYPE = 0x4282;

/** An EBML variable-length integer at `p`: its value (the length marker kept for IDs) and length. */
function vint(d: Uint8Array, p: number, keepMarker: boolean): { value: number; length: number } | undefined {
  if (p >= d.length || d[p] === 0) return undefined;
  const length = Math.clz32(d[p]) - 23; // 1 for 1xxxxxxx … 8 for 00000001
  if (p + length > d.length) return undefined;
  let value = keepMarker ? d[p] : d[p] & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + d[p + i];
  return { value, length };
}

/**
 * Matroska and WebM: the EBML magic, then the EBML header's DocType ('matroska' or 'webm'), as
 * GStreamer's matroska typefinder. Without the DocType in the bytes at hand it is undecided (WebM is
 * Matroska too, but a WebM reader wants to know), unless those are the whole stream: then possibly Matroska.
 */
export function findEbml(d: Uint8Array, complete: boolean): TypeFound | undefined {
  if (d.length < 4 || EBML_MAGIC.some((b, i) => d[i] !== b)) return undefined;
  const size = vint(d, 4, false);
  const unsure = (): TypeFound | undefined =>
    complete
      ? {
          ...TYPES.matroska,
          probability: Probability.POSSIBLE,
          detail: 'EBML magic, no DocType',
        }
      : undefined;
  if (!size) return unsure();
  const end = Math.min(d.length, 4 + size.length + size.value);
  let p = 4 + size.length;
  while (p < end) {
    const id = vint(d, p, true);
    if (!id) break;
    const len = vint(d, p + id.length, false);
    if (!len) break;
    const body = p + id.length + len.length;
    if (id.value === DOC_TYPE) {
      if (len.value > 64 || body + len.value > d.length) break; // DocTypes are short ASCII names
      // A string element may be padded with NULs.
      const docType = String.fromCharCode(...d.subarray(body, body + len.value)).replace(/\0+$/, '');
      if (docType === 'webm')
        return {
          ...TYPES.webm,
          probability: Probability.MAXIMUM,
          detail: "DocType 'webm'",
        };
      if (docType === 'matroska')
        return {
          ...TYPES.matroska,
          probability: Probability.MAXIMUM,
          detail: "DocType 'matroska'",
        };
      return undefined; // another EBML format
    }
    p = body + len.value;
  }
  return unsure();
}
