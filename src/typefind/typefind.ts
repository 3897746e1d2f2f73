import { findAdts } from './adts';
import { findAnnexB } from './annexb';
import { findEbml } from './ebml';
import { findIsoBmff } from './isobmff';
import { findMpegTs } from './mpegts';
import type { TypeFound } from './types';

/**
 * Bytes a typefinder wants before deciding (fewer only at the end of the stream): the parameter sets of
 * an elementary stream, 21 TS packets, the EBML header, several ADTS frames.
 */
export const TYPEFIND_BYTES = 4096;

/** The most bytes any finder reads. */
const MAX_LOOK = 64 * 1024;

export interface FindTypeOptions {
  /** The bytes are the whole stream: a short one may still be decided (two TS packets, one ADTS frame). */
  readonly complete?: boolean;
}

/**
 * GStreamer's typefind as a pure function: what a stream is, from its first bytes (TYPEFIND_BYTES of
 * them, or all of a shorter stream), or undefined when no finder recognises them. Finders with a magic
 * number or fixed structure go first — ISO BMFF boxes, EBML, the TS sync pattern, ADTS frame chains —
 * and Annex B last: its zeros and start code are also what an MP4 box of 64-bit size (00 00 00 01) or
 * many binary formats begin with.
 */
export function findType(bytes: Uint8Array, options: FindTypeOptions = {}): TypeFound | undefined {
  // A whole file may be passed: the finders look at its start only, so that the cost stays bounded.
  const head = bytes.length > MAX_LOOK ? bytes.subarray(0, MAX_LOOK) : bytes;
  const complete = (options.complete ?? false) && head === bytes;
  return findIsoBmff(head) ?? findEbml(head, complete) ?? findMpegTs(head, complete) ?? findAdts(head, complete) ?? findAnnexB(head);
}
