import { caps } from '../caps';
import { Probability, TYPES, type TypeFound } from './types';

const SYNC = 0x47;
/** Plain TS, M2TS/BDAV (a 4-byte timestamp before each packet), and TS with 16 bytes of Reed-Solomon parity. */
const PACKET_SIZES = [188, 192, 204] as const;
/** GStreamer's typefinder wants 4 sync bytes in a row (GST_MPEGTS_TYPEFIND_MIN_HEADERS). */
const MIN_SYNCS = 4;

/** How many packets of `size` from `start` begin with the sync byte, stopping at the first that does not. */
function syncRun(d: Uint8Array, start: number, size: number): number {
  let n = 0;
  for (let p = start; p < d.length && d[p] === SYNC; p += size) n++;
  return n;
}

/**
 * MPEG-TS: the sync byte 0x47 every 188 bytes (or 192, 204), from the first packet on. Fewer than four
 * packets are enough only when they are the whole stream. Caps as GStreamer's: packetsize says which.
 */
export function findMpegTs(d: Uint8Array, complete: boolean): TypeFound | undefined {
  for (const size of PACKET_SIZES) {
    const start = size === 192 ? 4 : 0;
    const n = syncRun(d, start, size);
    if (n >= MIN_SYNCS || (complete && n >= 2 && n === Math.ceil((d.length - start) / size))) {
      return {
        ...TYPES.mpegts,
        caps: caps('video/mpegts', { systemstream: true, packetsize: size }),
        probability: n >= MIN_SYNCS ? Probability.MAXIMUM : Probability.LIKELY,
        detail: `${size}-byte packets`,
      };
    }
  }
  return undefined;
}
