import { copyBytes } from '../../util/bytes';
import { H264Error } from './errors';

/** nal_unit_type values (H.264 Table 7-1). */
export const NalType = {
  UNSPECIFIED: 0,
  SLICE: 1,
  SLICE_DPA: 2,
  SLICE_DPB: 3,
  SLICE_DPC: 4,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  END_OF_SEQUENCE: 10,
  END_OF_STREAM: 11,
  FILLER: 12,
  SPS_EXT: 13,
  PREFIX: 14,
  SUBSET_SPS: 15,
  DPS: 16,
  AUX_SLICE: 19,
  SLICE_EXT: 20,
  SLICE_EXT_DEPTH: 21,
} as const;

export interface NalHeader {
  readonly forbiddenZeroBit: number;
  readonly refIdc: number;
  readonly type: number;
}

export function parseNalHeader(byte: number): NalHeader {
  return { forbiddenZeroBit: byte >> 7, refIdc: (byte >> 5) & 3, type: byte & 31 };
}

/** Coded slices of a primary picture (types 1 to 5; 2-4 are data partitions, A carries the header). */
export function isVcl(type: number): boolean {
  return type >= 1 && type <= 5;
}

/**
 * Non-VCL types that, after the last VCL NAL of a picture, begin the next access unit (clause 7.4.1.2.3):
 * AUD, SPS, PPS, SEI, 14-18.
 */
export function startsAccessUnit(type: number): boolean {
  return type === 6 || type === 7 || type === 8 || type === 9 || (type >= 14 && type <= 18);
}

/** Whether `data[from..to)` contains an emulation-prevention sequence 00 00 03. */
export function hasEmulationPrevention(data: Uint8Array, from = 0, to = data.length): boolean {
  for (let i = from + 2; i < to; i++) {
    if (data[i] === 3 && data[i - 1] === 0 && data[i - 2] === 0) return true;
  }
  return false;
}

/**
 * Removes emulation prevention bytes in place (clause 7.3.1: every 03 after 00 00 is dropped) from
 * `buf[0..len)`; returns the new length. In place is safe since the output never outruns the input.
 */
export function unescapeInPlace(buf: Uint8Array, len = buf.length): number {
  let zeros = 0;
  let j = 0;
  for (let i = 0; i < len; i++) {
    const b = buf[i];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    buf[j++] = b;
  }
  return j;
}

/**
 * RBSP of a NAL (or of its first `maxBytes` bytes): a view when there is nothing to unescape, a copy
 * otherwise. Header parsers read from this.
 */
export function unescapeRbsp(nal: Uint8Array, maxBytes = nal.length): Uint8Array {
  const n = Math.min(maxBytes, nal.length);
  if (!hasEmulationPrevention(nal, 0, n)) return nal.subarray(0, n);
  // Not nal.slice(): on a Node Buffer that is a view, and unescaping would rewrite the packet in place.
  const copy = copyBytes(nal, 0, n);
  return copy.subarray(0, unescapeInPlace(copy));
}

/** Inserts emulation prevention bytes (00 00 0x with x <= 3 becomes 00 00 03 0x), as encoders do. */
export function escapeRbsp(rbsp: Uint8Array): Uint8Array {
  let extra = 0;
  let zeros = 0;
  for (let i = 0; i < rbsp.length; i++) {
    const b = rbsp[i];
    if (zeros >= 2 && b <= 3) {
      extra++;
      zeros = 0;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  // A trailing 00 00 would merge with a following start code; a trailing 00 gets 03 appended (cabac_zero_word rule).
  const tail = rbsp.length > 0 && rbsp[rbsp.length - 1] === 0 ? 1 : 0;
  if (extra === 0 && tail === 0) return rbsp;
  const out = new Uint8Array(rbsp.length + extra + tail);
  let j = 0;
  zeros = 0;
  for (let i = 0; i < rbsp.length; i++) {
    const b = rbsp[i];
    if (zeros >= 2 && b <= 3) {
      out[j++] = 3;
      zeros = 0;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[j++] = b;
  }
  if (tail) out[j++] = 3;
  return out;
}

/**
 * A faster host search for 00 00 01, where the host has one (Node's `Buffer#indexOf` is a native
 * memchr-based search, ~5× the JS loop): same contract as `findStartCode` over a whole chunk.
 * Installed by the Node drivers (`installNativeStartCodeFinder`); the core never imports Node.
 */
export type StartCodeFinder = (data: Uint8Array, from: number) => number;
let hostFinder: StartCodeFinder | undefined;

export function setStartCodeFinder(finder: StartCodeFinder | undefined): StartCodeFinder | undefined {
  const previous = hostFinder;
  hostFinder = finder;
  return previous;
}

export function startCodeFinder(): StartCodeFinder | undefined {
  return hostFinder;
}

/**
 * Position of the next 00 00 01 at or after `from` (the index of its first 00), or -1.
 * The tight loop looks at every third byte: a byte above 1 cannot be part of a start code, so the
 * next possible `01` is three bytes on.
 */
export function findStartCode(data: Uint8Array, from = 0, to = data.length): number {
  let i = from + 2;
  while (i < to) {
    const b = data[i];
    if (b > 1) i += 3;
    else if (b === 0) i++;
    else {
      if (data[i - 1] === 0 && data[i - 2] === 0) return i - 2;
      i += 3;
    }
  }
  return -1;
}

/**
 * Splits a whole Annex B buffer into NAL units (views, start codes and trailing zeros removed). Bytes
 * before the first start code are ignored. For streams in chunks, use AnnexBSplitter.
 */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  splitAnnexBInto(data, out);
  return out;
}

/**
 * `splitAnnexB` appending to `out`, for hot loops such as payloaders (which see every byte a second time:
 * packets do not carry the NAL boundaries the parser found). Uses the host's start-code search when one is
 * installed. The views are plain Uint8Arrays even over a Node Buffer, whose own `subarray` costs ~1.5× as
 * much, which matters where a view is taken per FU-A fragment.
 */
export function splitAnnexBInto(data: Uint8Array, out: Uint8Array[]): void {
  const find = hostFinder ?? findStartCode;
  const buf = data.buffer;
  const base = data.byteOffset;
  const n = data.length;
  let sc = find(data, 0);
  while (sc >= 0) {
    const start = sc + 3;
    const next = start < n ? find(data, start) : -1;
    let end = next < 0 ? n : next;
    while (end > start && data[end - 1] === 0) end--;
    if (end > start) out.push(new Uint8Array(buf, base + start, end - start));
    sc = next;
  }
}

/**
 * Incremental Annex B splitter: chunks in (any sizes, start codes may straddle them), complete NAL
 * units out. A NAL within one chunk is a view of it; one spanning chunks is concatenated (the only copy).
 * Call `flush()` at the end of the stream for the last NAL. (The access-unit assembler has its own
 * scanner that also looks at a NAL before it ends; this one is for simple uses such as packetisers.)
 */
export class AnnexBSplitter {
  private parts: Uint8Array[] = [];
  private partsLen = 0;
  /** Inside a NAL (a start code was seen). */
  private inNal = false;
  /** Zero bytes at the end of what was seen (capped at 2, all a start code needs). */
  private zeros = 0;
  /** Bytes before the first start code (not counting its 00 00 01). */
  skippedBytes = 0;

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    const n = chunk.length;
    let pos = 0; // start of the part of the chunk not yet given to a NAL
    // A start code whose 01 is at index 0 or 1 takes its zeros from the previous chunk; those zeros
    // went into the previous NAL and are trimmed there as trailing zeros.
    for (let i = 0; i < 2 && i < n; i++) {
      const b = chunk[i];
      if (b === 1 && this.zeros >= 2) {
        // Before the first NAL, the zeros of this start code were counted as skipped with their chunk.
        if (!this.inNal) this.skippedBytes -= 2 - i;
        this.endNal(chunk.subarray(0, 0), out);
        pos = i + 1;
        this.inNal = true;
      }
      this.zeros = b === 0 ? Math.min(this.zeros + 1, 2) : 0;
    }
    let i = Math.max(2, pos + 2);
    while (i < n) {
      const b = chunk[i];
      if (b > 1) i += 3;
      else if (b === 0) i++;
      else {
        if (chunk[i - 1] === 0 && chunk[i - 2] === 0) {
          this.endNal(chunk.subarray(pos, i - 2), out);
          pos = i + 1;
          this.inNal = true;
        }
        i += 3;
      }
    }
    if (n >= 2) this.zeros = chunk[n - 1] !== 0 ? 0 : chunk[n - 2] !== 0 ? 1 : 2;
    if (pos < n) {
      if (this.inNal) {
        this.parts.push(chunk.subarray(pos));
        this.partsLen += n - pos;
      } else {
        this.skippedBytes += n - pos;
      }
    }
    return out;
  }

  /** The last NAL, if any. */
  flush(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.endNal(new Uint8Array(0), out);
    this.inNal = false;
    this.zeros = 0;
    return out;
  }

  private endNal(tail: Uint8Array, out: Uint8Array[]): void {
    if (!this.inNal) {
      this.skippedBytes += tail.length;
      return;
    }
    let nal: Uint8Array;
    if (this.parts.length === 0) nal = tail;
    else if (tail.length === 0 && this.parts.length === 1) nal = this.parts[0];
    else {
      nal = new Uint8Array(this.partsLen + tail.length);
      let o = 0;
      for (const p of this.parts) {
        nal.set(p, o);
        o += p.length;
      }
      nal.set(tail, o);
    }
    this.parts = [];
    this.partsLen = 0;
    let end = nal.length;
    while (end > 0 && nal[end - 1] === 0) end--;
    if (end > 0) out.push(nal.subarray(0, end));
  }
}

/** Splits an AVC (length-prefixed) sample into NAL views; throws H264Error on a length past the end. */
export function splitAvc(sample: Uint8Array, lengthSize: 1 | 2 | 3 | 4 = 4): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < sample.length) {
    if (i + lengthSize > sample.length) throw new H264Error('truncated', `NAL length field cut off at byte ${i}`);
    let len = 0;
    for (let k = 0; k < lengthSize; k++) len = len * 256 + sample[i + k];
    i += lengthSize;
    if (i + len > sample.length) throw new H264Error('truncated', `NAL of ${len} bytes at byte ${i} runs past the sample (${sample.length})`);
    out.push(sample.subarray(i, i + len));
    i += len;
  }
  return out;
}

/** Annex B (4-byte start codes) from NAL units. */
export function joinAnnexB(nals: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const n of nals) size += 4 + n.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const n of nals) {
    out[o + 3] = 1;
    out.set(n, o + 4);
    o += 4 + n.length;
  }
  return out;
}

/** An AVC sample (big-endian length prefixes of `lengthSize` bytes) from NAL units. */
export function joinAvc(nals: readonly Uint8Array[], lengthSize: 1 | 2 | 3 | 4 = 4): Uint8Array {
  let size = 0;
  const max = lengthSize === 4 ? 0xffffffff : 2 ** (8 * lengthSize) - 1;
  for (const n of nals) {
    if (n.length > max) throw new H264Error('argument', `NAL of ${n.length} bytes does not fit a ${lengthSize}-byte length`);
    size += lengthSize + n.length;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const n of nals) {
    let len = n.length;
    for (let k = lengthSize - 1; k >= 0; k--) {
      out[o + k] = len & 0xff;
      len = Math.floor(len / 256);
    }
    out.set(n, o + lengthSize);
    o += lengthSize + n.length;
  }
  return out;
}
