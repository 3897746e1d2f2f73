import { Probability, TYPES, type TypeFound } from './types';

/** Top-level boxes an ISO BMFF / QuickTime file may begin with, and what each start says about it. */
const FIRST_BOXES: Readonly<Record<string, 'quicktime' | 'fragment' | 'any'>> = {
  ftyp: 'any', // decided by its brand
  moov: 'quicktime', // QuickTime files predate ftyp: moov, mdat, wide, free, skip or pnot first
  mdat: 'quicktime',
  wide: 'quicktime',
  free: 'quicktime',
  skip: 'quicktime',
  pnot: 'quicktime',
  styp: 'fragment', // a media segment (DASH, HLS fMP4)
  moof: 'fragment',
  sidx: 'fragment',
  pdin: 'any',
  uuid: 'any',
};

const u32 = (d: Uint8Array, p: number): number => ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
const fourcc = (d: Uint8Array, p: number): string => String.fromCharCode(d[p], d[p + 1], d[p + 2], d[p + 3]);

/** A box header at `p` that could be real: its size (0 = to the end, 1 = 64-bit) and a printable type. */
function boxAt(d: Uint8Array, p: number): { type: string; size: number; header: number } | undefined {
  if (p + 8 > d.length) return undefined;
  for (let i = p + 4; i < p + 8; i++) if (d[i] < 0x20 || d[i] > 0x7e) return undefined;
  let size = u32(d, p);
  if (size === 1) {
    if (p + 16 > d.length) return { type: fourcc(d, p + 4), size: Infinity, header: 16 };
    size = u32(d, p + 8) * 2 ** 32 + u32(d, p + 12);
    if (size < 16) return undefined;
  } else if (size !== 0 && size < 8) return undefined;
  return {
    type: fourcc(d, p + 4),
    size: size === 0 ? Infinity : size,
    header: u32(d, p) === 1 ? 16 : 8,
  };
}

/**
 * ISO BMFF (MP4) and QuickTime: a known top-level box first. The ftyp's major brand tells QuickTime
 * (`qt  `) from the ISO family (isom, mp41, mp42, avc1, dash, M4V, 3gp…); a file that starts without an
 * ftyp is classic QuickTime, unless it starts with a fragment (styp, moof, sidx: a media segment).
 */
export function findIsoBmff(d: Uint8Array): TypeFound | undefined {
  const first = boxAt(d, 0);
  if (!first) return undefined;
  const role = FIRST_BOXES[first.type];
  if (!role) return undefined;
  if (first.type === 'ftyp') {
    // The major brand follows the header, which a 64-bit size makes 16 bytes long.
    if (first.size < first.header + 8 || d.length < first.header + 4) return undefined;
    const brand = fourcc(d, first.header);
    if (brand === 'qt  ')
      return {
        ...TYPES.mov,
        probability: Probability.MAXIMUM,
        detail: "brand 'qt  '",
      };
    return {
      ...TYPES.mp4,
      probability: Probability.MAXIMUM,
      detail: `brand '${brand.trimEnd()}'`,
    };
  }
  // Without ftyp there is no magic number: the next box must be a box too, where the bytes reach it.
  const next = first.size === Infinity ? undefined : first.size;
  if (next !== undefined && next + 8 <= d.length && !boxAt(d, next)) return undefined;
  const probability = next !== undefined && next + 8 <= d.length ? Probability.LIKELY : Probability.POSSIBLE;
  if (role === 'fragment')
    return {
      ...TYPES.mp4,
      probability,
      detail: `starts with a '${first.type}' (a fragment)`,
    };
  return {
    ...TYPES.mov,
    probability,
    detail: `starts with a '${first.type}' box, no ftyp`,
  };
}
