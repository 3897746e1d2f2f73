import { BitReader } from './bit-reader';
import { H264Error, isTruncation } from './errors';
import { unescapeRbsp } from './nal';

export interface Vui {
  readonly sarWidth: number;
  readonly sarHeight: number;
  readonly videoFormat?: number;
  readonly fullRange?: boolean;
  readonly colourPrimaries?: number;
  readonly transferCharacteristics?: number;
  readonly matrixCoefficients?: number;
  readonly numUnitsInTick?: number;
  readonly timeScale?: number;
  readonly fixedFrameRate?: boolean;
  readonly nalHrd: boolean;
  readonly vclHrd: boolean;
  readonly picStructPresent: boolean;
  /** From bitstream_restriction; undefined when absent. */
  readonly maxNumReorderFrames?: number;
  readonly maxDecFrameBuffering?: number;
  /** The VUI was cut short (seen in the wild); fields after the cut are absent. */
  readonly truncated: boolean;
}

export interface Sps {
  readonly profileIdc: number;
  /** constraint_set0..5 flags as the byte that carries them (set0 is 0x80). */
  readonly constraintFlags: number;
  readonly levelIdc: number;
  readonly id: number;
  readonly chromaFormatIdc: number;
  readonly separateColourPlane: boolean;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly log2MaxFrameNum: number;
  readonly picOrderCntType: number;
  readonly log2MaxPocLsb: number;
  readonly deltaPicOrderAlwaysZero: boolean;
  readonly offsetForNonRefPic: number;
  readonly offsetForTopToBottomField: number;
  readonly offsetForRefFrame: readonly number[];
  readonly maxNumRefFrames: number;
  readonly gapsInFrameNumAllowed: boolean;
  readonly picWidthInMbs: number;
  readonly picHeightInMapUnits: number;
  readonly frameMbsOnly: boolean;
  readonly mbAdaptiveFrameField: boolean;
  readonly direct8x8Inference: boolean;
  readonly crop: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  /** Decoded size in pixels (macroblock aligned). */
  readonly codedWidth: number;
  readonly codedHeight: number;
  /** Display size after the cropping window. */
  readonly width: number;
  readonly height: number;
  readonly vui?: Vui;
  /** Frame rate from VUI timing (time_scale / (2 * num_units_in_tick)), reduced; undefined without. */
  readonly framerate?: { readonly num: number; readonly den: number };
}

/** profile_idc values whose SPS carries chroma format, bit depths and scaling matrices. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

export function hasChromaInfo(profileIdc: number): boolean {
  return HIGH_PROFILES.has(profileIdc);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.seRange(-128, 127, 'delta_scale');
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

function skipHrd(r: BitReader): void {
  const cpbCnt = r.ueMax(31, 'cpb_cnt_minus1') + 1;
  r.skip(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < cpbCnt; i++) {
    r.ue();
    r.ue();
    r.skip(1);
  }
  r.skip(20); // four 5-bit lengths
}

function parseVui(r: BitReader): Vui {
  let sarWidth = 1;
  let sarHeight = 1;
  const v: { -readonly [K in keyof Vui]: Vui[K] } = { sarWidth, sarHeight, nalHrd: false, vclHrd: false, picStructPresent: false, truncated: false };
  try {
    if (r.flag()) {
      const idc = r.u(8);
      if (idc === 255) {
        sarWidth = r.u(16);
        sarHeight = r.u(16);
      } else if (idc > 0 && idc < SAR_TABLE.length) {
        [sarWidth, sarHeight] = SAR_TABLE[idc];
      }
      if (sarWidth === 0 || sarHeight === 0) [sarWidth, sarHeight] = [1, 1];
      v.sarWidth = sarWidth;
      v.sarHeight = sarHeight;
    }
    if (r.flag()) r.skip(1); // overscan_appropriate
    if (r.flag()) {
      v.videoFormat = r.u(3);
      v.fullRange = r.flag();
      if (r.flag()) {
        v.colourPrimaries = r.u(8);
        v.transferCharacteristics = r.u(8);
        v.matrixCoefficients = r.u(8);
      }
    }
    if (r.flag()) {
      r.ue();
      r.ue();
    }
    if (r.flag()) {
      v.numUnitsInTick = r.u(32);
      v.timeScale = r.u(32);
      v.fixedFrameRate = r.flag();
    }
    v.nalHrd = r.flag();
    if (v.nalHrd) skipHrd(r);
    v.vclHrd = r.flag();
    if (v.vclHrd) skipHrd(r);
    if (v.nalHrd || v.vclHrd) r.skip(1); // low_delay_hrd_flag
    v.picStructPresent = r.flag();
    if (r.flag()) {
      r.skip(1);
      r.ue();
      r.ue();
      r.ue();
      r.ue();
      v.maxNumReorderFrames = r.ueMax(16, 'max_num_reorder_frames');
      v.maxDecFrameBuffering = r.ueMax(16, 'max_dec_frame_buffering');
    }
  } catch (e) {
    // A truncated VUI is common enough (ffmpeg tolerates it too): keep what was read.
    if (!isTruncation(e)) throw e;
    v.truncated = true;
  }
  return v;
}

/** Table E-1 sample aspect ratios by aspect_ratio_idc. */
const SAR_TABLE: readonly (readonly [number, number])[] = [
  [0, 0], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11], [80, 33], [18, 11],
  [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];

/**
 * Parses a sequence parameter set (clause 7.3.2.1.1) from a whole NAL unit (header byte included,
 * emulation prevention still in). Throws H264Error on damaged or unsupported syntax.
 */
export function parseSps(nal: Uint8Array): Sps {
  if (nal.length < 4) throw new H264Error('truncated', 'SPS shorter than 4 bytes');
  if ((nal[0] & 0x1f) !== 7) throw new H264Error('argument', `not an SPS (nal_unit_type ${nal[0] & 0x1f})`);
  return parseSpsRbsp(unescapeRbsp(nal));
}

/** As parseSps, from RBSP bytes that still start with the NAL header byte. */
export function parseSpsRbsp(rbsp: Uint8Array): Sps {
  const r = new BitReader(rbsp);
  r.skip(8);
  const profileIdc = r.u(8);
  const constraintFlags = r.u(8);
  const levelIdc = r.u(8);
  const id = r.ueMax(31, 'seq_parameter_set_id');
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ueMax(3, 'chroma_format_idc');
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    bitDepthLuma = r.ueMax(6, 'bit_depth_luma_minus8') + 8;
    bitDepthChroma = r.ueMax(6, 'bit_depth_chroma_minus8') + 8;
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  const log2MaxFrameNum = r.ueMax(12, 'log2_max_frame_num_minus4') + 4;
  const picOrderCntType = r.ueMax(2, 'pic_order_cnt_type');
  let log2MaxPocLsb = 0;
  let deltaPicOrderAlwaysZero = false;
  let offsetForNonRefPic = 0;
  let offsetForTopToBottomField = 0;
  const offsetForRefFrame: number[] = [];
  if (picOrderCntType === 0) {
    log2MaxPocLsb = r.ueMax(12, 'log2_max_pic_order_cnt_lsb_minus4') + 4;
  } else if (picOrderCntType === 1) {
    deltaPicOrderAlwaysZero = r.flag();
    offsetForNonRefPic = r.se();
    offsetForTopToBottomField = r.se();
    const n = r.ueMax(255, 'num_ref_frames_in_pic_order_cnt_cycle');
    for (let i = 0; i < n; i++) offsetForRefFrame.push(r.se());
  }
  const maxNumRefFrames = r.ueMax(16, 'max_num_ref_frames');
  const gapsInFrameNumAllowed = r.flag();
  const picWidthInMbs = r.ueMax(1023, 'pic_width_in_mbs_minus1') + 1;
  const picHeightInMapUnits = r.ueMax(1023, 'pic_height_in_map_units_minus1') + 1;
  const frameMbsOnly = r.flag();
  const mbAdaptiveFrameField = frameMbsOnly ? false : r.flag();
  const direct8x8Inference = r.flag();
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.flag()) {
    crop.left = r.ue();
    crop.right = r.ue();
    crop.top = r.ue();
    crop.bottom = r.ue();
  }
  const vui = r.flag() ? parseVui(r) : undefined;

  const codedWidth = picWidthInMbs * 16;
  const codedHeight = (2 - (frameMbsOnly ? 1 : 0)) * picHeightInMapUnits * 16;
  // Clause 7.4.2.1.1: crop units depend on ChromaArrayType and, vertically, on field coding.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaFormatIdc === 3 ? 1 : 2;
  const subHeightC = chromaFormatIdc === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - (frameMbsOnly ? 1 : 0));
  const width = codedWidth - cropUnitX * (crop.left + crop.right);
  const height = codedHeight - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) throw new H264Error('invalid', `cropping leaves no picture (${width}x${height})`);

  let framerate: Sps['framerate'];
  if (vui?.timeScale && vui.numUnitsInTick) {
    const num = vui.timeScale;
    const den = 2 * vui.numUnitsInTick;
    const g = gcd(num, den);
    framerate = { num: num / g, den: den / g };
  }
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    id,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    log2MaxFrameNum,
    picOrderCntType,
    log2MaxPocLsb,
    deltaPicOrderAlwaysZero,
    offsetForNonRefPic,
    offsetForTopToBottomField,
    offsetForRefFrame,
    maxNumRefFrames,
    gapsInFrameNumAllowed,
    picWidthInMbs,
    picHeightInMapUnits,
    frameMbsOnly,
    mbAdaptiveFrameField,
    direct8x8Inference,
    crop,
    codedWidth,
    codedHeight,
    width,
    height,
    vui,
    framerate,
  };
}

/** GStreamer's profile names (gst_codec_utils_h264_get_profile). */
export function profileName(sps: Pick<Sps, 'profileIdc' | 'constraintFlags'>): string {
  const f = sps.constraintFlags;
  const c1 = (f & 0x40) !== 0;
  const c3 = (f & 0x10) !== 0;
  const c4 = (f & 0x08) !== 0;
  const c5 = (f & 0x04) !== 0;
  switch (sps.profileIdc) {
    case 66:
      return c1 ? 'constrained-baseline' : 'baseline';
    case 77:
      return 'main';
    case 88:
      return 'extended';
    case 100:
      return c4 ? (c5 ? 'constrained-high' : 'progressive-high') : 'high';
    case 110:
      return c3 ? 'high-10-intra' : c4 ? 'progressive-high-10' : 'high-10';
    case 122:
      return c3 ? 'high-4:2:2-intra' : 'high-4:2:2';
    case 244:
      return c3 ? 'high-4:4:4-intra' : 'high-4:4:4';
    case 44:
      return 'cavlc-4:4:4-intra';
    case 118:
      return 'multiview-high';
    case 128:
      return 'stereo-high';
    case 83:
      return c5 ? 'scalable-constrained-baseline' : 'scalable-baseline';
    case 86:
      return c3 ? 'scalable-high-intra' : c5 ? 'scalable-constrained-high' : 'scalable-high';
    default:
      return `profile-${sps.profileIdc}`;
  }
}

/** GStreamer's level strings: "1b", "3", "3.1", ... */
export function levelName(sps: Pick<Sps, 'profileIdc' | 'constraintFlags' | 'levelIdc'>): string {
  const l = sps.levelIdc;
  const c3 = (sps.constraintFlags & 0x10) !== 0;
  if (l === 9 || (l === 11 && c3 && (sps.profileIdc === 66 || sps.profileIdc === 77 || sps.profileIdc === 88))) return '1b';
  return l % 10 === 0 ? String(l / 10) : `${Math.floor(l / 10)}.${l % 10}`;
}

/** MaxDpbMbs of Table A-1 by level_idc. */
const MAX_DPB_MBS: Readonly<Record<number, number>> = {
  9: 396, 10: 396, 11: 900, 12: 2376, 13: 2376, 20: 2376, 21: 4752, 22: 8100, 30: 8100, 31: 18000, 32: 20480,
  40: 32768, 41: 32768, 42: 34816, 50: 110400, 51: 184320, 52: 184320, 60: 696320, 61: 696320, 62: 696320,
};

/** MaxDpbFrames (A.3.1 h): the DPB size in frames the level allows for this picture size, at most 16. */
export function maxDpbFrames(sps: Sps): number {
  const mbs = sps.levelIdc === 11 && (sps.constraintFlags & 0x10) !== 0 ? 396 : (MAX_DPB_MBS[sps.levelIdc] ?? 696320);
  const frameMbs = sps.picWidthInMbs * sps.picHeightInMapUnits * (sps.frameMbsOnly ? 1 : 2);
  return Math.max(1, Math.min(16, Math.floor(mbs / frameMbs)));
}

/**
 * How many frames output order may lag decoding order: VUI max_num_reorder_frames when present; 0 for
 * streams that cannot reorder (Baseline profile, POC type 2); else the level's DPB size, the spec's
 * upper bound (what a decoder without the VUI must assume).
 */
export function reorderDepth(sps: Sps): number {
  if (sps.vui?.maxNumReorderFrames !== undefined) return sps.vui.maxNumReorderFrames;
  if (sps.picOrderCntType === 2 || sps.profileIdc === 66) return 0;
  // Intra-only profiles (CAVLC 4:4:4 Intra; High 10/4:2:2/4:4:4 with constraint_set3) never reorder.
  const p = sps.profileIdc;
  if (p === 44 || ((p === 110 || p === 122 || p === 244) && (sps.constraintFlags & 0x10) !== 0)) return 0;
  return maxDpbFrames(sps);
}
