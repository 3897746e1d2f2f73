import { Probability, TYPES, type TypeFound } from './types';

/** NAL units looked at: enough for the parameter sets and the first slices, bounded for garbage. */
const MAX_NALS = 64;

/** profile_idc values of H.264 (A.2, G.10, H.10): an SPS with another is not H.264's. */
const H264_PROFILES = new Set([66, 77, 88, 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** What one hypothesis made of the NAL unit headers. */
interface Tally {
  /** Headers that break the syntax's rules. */
  bad: number;
  good: number;
  /** Parameter sets and slices seen (VPS only for H.265). */
  vps: boolean;
  sps: boolean;
  pps: boolean;
  slice: boolean;
}

const tally = (): Tally => ({
  bad: 0,
  good: 0,
  vps: false,
  sps: false,
  pps: false,
  slice: false,
});

/**
 * One NAL unit as H.264 (7.3.1: forbidden_zero_bit, nal_ref_idc, nal_unit_type). The rules that tell it
 * from H.265's two-byte header: types 0 and 24–31 are not in a byte stream, 16–18 and 22–23 are reserved;
 * SPS, PPS and IDR slices have nal_ref_idc ≠ 0, SEI, AUD, end of sequence/stream and filler have 0 (7.4.1).
 */
function asH264(t: Tally, nal: Uint8Array): void {
  const b = nal[0];
  const type = b & 0x1f;
  const ref = (b >> 5) & 3;
  let ok = (b & 0x80) === 0 && type !== 0 && type < 22 && (type < 16 || type > 18);
  if (type === 5 || type === 7 || type === 8) ok &&= ref !== 0;
  if (type === 6 || (type >= 9 && type <= 12)) ok &&= ref === 0;
  if (type === 7) ok &&= nal.length < 2 || H264_PROFILES.has(nal[1]);
  if (!ok) {
    t.bad++;
    return;
  }
  t.good++;
  if (type === 7) t.sps = true;
  else if (type === 8) t.pps = true;
  else if (type === 1 || type === 5) t.slice = true;
}

/**
 * One NAL unit as H.265 (7.3.1.2: forbidden_zero_bit, nal_unit_type(6), nuh_layer_id(6),
 * nuh_temporal_id_plus1(3)). Rules: temporal id + 1 is never 0; reserved (10–15, 22–31, 41–47) and
 * unspecified (48–63) types are not in a stream; IRAP pictures, VPS, SPS and end of sequence/bitstream
 * have temporal id 0; a single-layer stream's layer id is 0.
 */
function asH265(t: Tally, nal: Uint8Array): void {
  if (nal.length < 2) {
    t.bad++;
    return;
  }
  const type = (nal[0] >> 1) & 0x3f;
  const layer = ((nal[0] & 1) << 5) | (nal[1] >> 3);
  const tid1 = nal[1] & 7;
  let ok = (nal[0] & 0x80) === 0 && tid1 !== 0 && layer === 0;
  ok &&= !((type >= 10 && type <= 15) || (type >= 22 && type <= 31) || type >= 41);
  if ((type >= 16 && type <= 23) || type === 32 || type === 33 || type === 36 || type === 37) ok &&= tid1 === 1;
  if (!ok) {
    t.bad++;
    return;
  }
  t.good++;
  if (type === 32) t.vps = true;
  else if (type === 33) t.sps = true;
  else if (type === 34) t.pps = true;
  else if (type <= 21) t.slice = true;
}

/**
 * The NAL units of an Annex B stream's first bytes: views from after each start code to the next (the
 * last may be cut short). Undefined when the bytes do not begin with zeros and a start code.
 */
function nalUnits(d: Uint8Array): Uint8Array[] | undefined {
  let i = 0;
  while (i < d.length && d[i] === 0) i++;
  if (i < 2 || i >= d.length - 1 || d[i] !== 1) return undefined;
  const out: Uint8Array[] = [];
  let start = i + 1;
  for (let p = start; p + 2 < d.length && out.length < MAX_NALS; p++) {
    if (d[p + 2] > 1) {
      p += 2; // d[p+2] can be in no start code that begins at p, p+1 or p+2
      continue;
    }
    if (d[p] === 0 && d[p + 1] === 0 && d[p + 2] === 1) {
      let end = p;
      while (end > start && d[end - 1] === 0) end--; // trailing zeros belong to the next start code
      if (end > start) out.push(d.subarray(start, end));
      start = p + 3;
      p += 2;
    }
  }
  if (start < d.length && out.length < MAX_NALS) out.push(d.subarray(start));
  return out;
}

/**
 * H.264 or H.265 in Annex B: a start code first, then NAL unit headers read both ways. A stream is the
 * codec under which every header is valid, certain once its parameter sets and a slice are seen (VPS,
 * SPS, PPS for H.265; SPS, PPS for H.264), only possible from headers alone. The two headers rarely agree:
 * an H.264 SPS (0x67) is a reserved type with a layer id to H.265, H.265's VPS (0x40 0x01) type 0 to
 * H.264, and an H.264 AUD's second byte gives H.265 a temporal id of -1.
 */
export function findAnnexB(d: Uint8Array): TypeFound | undefined {
  const nals = nalUnits(d);
  if (!nals || nals.length === 0) return undefined;
  const avc = tally();
  const hevc = tally();
  for (const n of nals) {
    asH264(avc, n);
    asH265(hevc, n);
  }
  const certain = (t: Tally, vps: boolean) => t.bad === 0 && t.sps && t.pps && (!vps || t.vps);
  if (certain(hevc, true))
    return {
      ...TYPES.h265,
      probability: hevc.slice ? Probability.MAXIMUM : Probability.LIKELY,
      detail: 'VPS, SPS and PPS',
    };
  if (certain(avc, false))
    return {
      ...TYPES.h264,
      probability: avc.slice ? Probability.MAXIMUM : Probability.LIKELY,
      detail: 'SPS and PPS',
    };
  if (avc.bad === 0 && hevc.bad > 0)
    return {
      ...TYPES.h264,
      probability: Probability.POSSIBLE,
      detail: `${avc.good} NAL unit header${avc.good === 1 ? '' : 's'}, no parameter sets`,
    };
  if (hevc.bad === 0 && avc.bad > 0)
    return {
      ...TYPES.h265,
      probability: Probability.POSSIBLE,
      detail: `${hevc.good} NAL unit header${hevc.good === 1 ? '' : 's'}, no parameter sets`,
    };
  return undefined;
}
