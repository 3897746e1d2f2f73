import type { AccessUnit, NalUnit } from './access-unit';
import { H264Error } from './errors';
import { findStartCode, NalType, startCodeFinder } from './nal';

export type StreamFormat = 'byte-stream' | 'avc';

export interface WriteOptions {
  /** Drop NAL units of these types. */
  readonly drop?: (type: number) => boolean;
  /** Whole NAL units (parameter sets) to put before the unit's others, after an AUD if it has one. */
  readonly insert?: readonly Uint8Array[];
  /** Length prefix size for 'avc' output (default 4). */
  readonly lengthSize?: 1 | 2 | 4;
}

/**
 * An access unit's bytes in `format`: its own `data` (no copy) when nothing changes, else a new buffer
 * with NALs dropped, parameter sets inserted, or start codes and length prefixes exchanged.
 */
export function writeAccessUnit(au: Pick<AccessUnit, 'format' | 'lengthSize' | 'data' | 'nals'>, format: StreamFormat, options: WriteOptions = {}): Uint8Array {
  const lengthSize = options.lengthSize ?? 4;
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 4) throw new H264Error('argument', `lengthSize must be 1, 2 or 4, got ${lengthSize}`);
  const drop = options.drop;
  const insert = options.insert ?? [];
  const same = format === 'byte-stream' ? au.format === 'annexb' : au.format === 'avc' && au.lengthSize === lengthSize;
  let dropping = false;
  if (drop) for (const n of au.nals) if (drop(n.type)) dropping = true;
  if (same && !dropping && insert.length === 0) return au.data;

  const keep: NalUnit[] = drop ? au.nals.filter((n) => !drop(n.type)) : (au.nals as NalUnit[]);
  const prefix = format === 'byte-stream' ? 4 : lengthSize;
  let size = 0;
  for (const n of keep) size += prefix + n.size;
  for (const n of insert) size += prefix + n.length;
  const out = new Uint8Array(size);
  let o = 0;
  const put = (src: Uint8Array, from: number, len: number): void => {
    if (format === 'byte-stream') {
      out[o + 3] = 1;
    } else {
      let v = len;
      if (lengthSize < 4 && v >= 2 ** (8 * lengthSize)) throw new H264Error('argument', `NAL of ${len} bytes does not fit a ${lengthSize}-byte length`);
      for (let k = lengthSize - 1; k >= 0; k--) {
        out[o + k] = v & 0xff;
        v = Math.floor(v / 256);
      }
    }
    out.set(from === 0 && len === src.length ? src : src.subarray(from, from + len), o + prefix);
    o += prefix + len;
  };
  // Parameter sets go after the AUD (it must come first in a unit) and before everything else.
  let k = 0;
  if (insert.length && keep.length && keep[0].type === NalType.AUD) put(au.data, keep[0].offset, keep[k++].size);
  for (const n of insert) put(n, 0, n.length);
  for (; k < keep.length; k++) put(au.data, keep[k].offset, keep[k].size);
  return out;
}

/**
 * NAL layouts of Annex B access units a parser handed out, keyed (weakly) by the unit's bytes: a consumer
 * that reframes them (mp4Mux) then skips the second start-code scan. Only a hint: without one, a scan.
 */
const layouts = new WeakMap<Uint8Array, readonly NalUnit[]>();

/** Records that `data` (an Annex B access unit, never changed afterwards) holds `nals`. */
export function rememberNalLayout(data: Uint8Array, nals: readonly NalUnit[]): void {
  layouts.set(data, nals);
}

/**
 * The NAL units of an Annex B access unit (offset after the start code, size without trailing zeros):
 * the parser's record when there is one, else found by scanning for start codes.
 */
export function annexBNals(data: Uint8Array): readonly NalUnit[] {
  const known = layouts.get(data);
  if (known) return known;
  const find = startCodeFinder() ?? findStartCode;
  const out: NalUnit[] = [];
  let sc = find(data, 0);
  while (sc >= 0) {
    const start = sc + 3;
    const next = start < data.length ? find(data, start) : -1;
    let end = next < 0 ? data.length : next;
    while (end > start && data[end - 1] === 0) end--;
    if (end > start) out.push({ type: data[start] & 0x1f, refIdc: (data[start] >> 5) & 3, offset: start, size: end - start });
    sc = next;
  }
  return out;
}

/** NAL units up to this size are copied next to their length prefixes; bigger ones are passed as views. */
const COPY_MAX = 1024;
const SLAB = 64 * 1024;

/**
 * Reframes Annex B access units as AVC samples (4-byte big-endian lengths) without copying their slices:
 * a sample is a list of parts, small pieces (length prefixes, with parameter sets and SEI copied beside
 * them) carved from a shared slab, and views of the big NAL units. Concatenated, the parts are exactly
 * what `writeAccessUnit(au, 'avc')` returns. The slab is never reused, so parts stay valid for as long
 * as anyone holds them.
 */
export class AvcGatherer {
  private slab = new Uint8Array(0);
  private used = 0;

  /** The AVC parts of `data` with NAL units `nals` (see annexBNals); empty when there are none. */
  parts(data: Uint8Array, nals: readonly NalUnit[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < nals.length) {
      // One small piece: the prefixes and bytes of the small NALs in a row, then the next big one's prefix.
      let need = 0;
      let j = i;
      while (j < nals.length && nals[j].size <= COPY_MAX) need += 4 + nals[j++].size;
      const big = j < nals.length;
      if (big) need += 4;
      if (this.slab.length - this.used < need) {
        this.slab = new Uint8Array(Math.max(SLAB, need));
        this.used = 0;
      }
      const slab = this.slab;
      const from = this.used;
      let o = from;
      for (let k = i; k < j; k++) {
        const n = nals[k];
        o = putLength(slab, o, n.size);
        slab.set(data.subarray(n.offset, n.offset + n.size), o);
        o += n.size;
      }
      if (big) o = putLength(slab, o, nals[j].size);
      this.used = o;
      out.push(slab.subarray(from, o));
      if (big) {
        const n = nals[j];
        out.push(data.subarray(n.offset, n.offset + n.size));
        j++;
      }
      i = j;
    }
    return out;
  }
}

function putLength(b: Uint8Array, o: number, len: number): number {
  b[o] = len >>> 24;
  b[o + 1] = (len >>> 16) & 0xff;
  b[o + 2] = (len >>> 8) & 0xff;
  b[o + 3] = len & 0xff;
  return o + 4;
}
