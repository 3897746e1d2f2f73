import { caps } from '../caps';
import { Probability, TYPES, type TypeFound } from './types';

/** Frames in a row that make ADTS certain (GStreamer's aac typefinder follows the chain too). */
const MIN_FRAMES = 3;

/** An ADTS frame header at `p`: its length, or undefined when these bytes are not one. */
function adtsFrame(d: Uint8Array, p: number): { length: number; mpegVersion: 2 | 4 } | undefined {
  if (p + 7 > d.length) return undefined;
  // syncword 0xFFF, then ID, layer (always 00), protection_absent.
  if (d[p] !== 0xff || (d[p + 1] & 0xf6) !== 0xf0) return undefined;
  if (((d[p + 2] >> 2) & 0xf) > 12) return undefined; // sampling_frequency_index 13–15: reserved, escape
  const length = ((d[p + 3] & 0x3) << 11) | (d[p + 4] << 3) | (d[p + 5] >> 5);
  const header = d[p + 1] & 0x1 ? 7 : 9;
  if (length <= header) return undefined;
  return { length, mpegVersion: d[p + 1] & 0x8 ? 2 : 4 };
}

/** Skips an ID3v2 tag (10-byte header, syncsafe size): ADTS files sometimes begin with one. */
function afterId3(d: Uint8Array): number {
  if (d.length < 10 || d[0] !== 0x49 || d[1] !== 0x44 || d[2] !== 0x33) return 0; // "ID3"
  const size = ((d[6] & 0x7f) << 21) | ((d[7] & 0x7f) << 14) | ((d[8] & 0x7f) << 7) | (d[9] & 0x7f);
  return 10 + size + (d[5] & 0x10 ? 10 : 0); // a footer when flagged
}

/**
 * AAC in ADTS: the 12-bit sync 0xFFF with layer 0, and the frame lengths chaining one header to the next
 * (one header alone could be any bytes). MP3 shares the sync but never layer 0.
 */
export function findAdts(d: Uint8Array, complete: boolean): TypeFound | undefined {
  let p = afterId3(d);
  const first = adtsFrame(d, p);
  if (!first) return undefined;
  let n = 0;
  for (let f: ReturnType<typeof adtsFrame> = first; f; f = adtsFrame(d, p)) {
    n++;
    p += f.length;
    if (n >= MIN_FRAMES) break;
  }
  // A header's worth of bytes after a frame that is no header breaks the chain; running out of bytes does not.
  if (n < MIN_FRAMES && p + 7 <= d.length) return undefined;
  if (n < 2 && !(complete && p === d.length)) return undefined;
  return {
    ...TYPES.adts,
    caps: caps('audio/mpeg', {
      mpegversion: first.mpegVersion,
      'stream-format': 'adts',
    }),
    probability: n >= MIN_FRAMES ? Probability.MAXIMUM : Probability.LIKELY,
    detail: `${n} frame${n === 1 ? '' : 's'} chained`,
  };
}
