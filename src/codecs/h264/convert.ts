import type { AccessUnit, NalUnit } from './access-unit';
import { H264Error } from './errors';
import { NalType } from './nal';

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
