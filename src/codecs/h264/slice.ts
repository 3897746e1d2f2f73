import { BitReader } from './bit-reader';
import { H264Error } from './errors';
import type { Pps } from './pps';
import type { Sps } from './sps';

export const SliceType = { P: 0, B: 1, I: 2, SP: 3, SI: 4 } as const;

/** The parameter sets a slice header refers to. */
export interface ParameterSetLookup {
  sps(id: number): Sps | undefined;
  pps(id: number): Pps | undefined;
}

/**
 * The slice header fields that decide access-unit boundaries (clause 7.4.1.2.4) and the picture order
 * count (clause 8.2.1), plus the memory management operations POC depends on.
 */
export interface SliceHeader {
  readonly nalType: number;
  readonly refIdc: number;
  readonly idr: boolean;
  readonly firstMbInSlice: number;
  /** slice_type modulo 5 (SliceType). */
  readonly sliceType: number;
  readonly ppsId: number;
  readonly colourPlaneId: number;
  readonly frameNum: number;
  readonly fieldPic: boolean;
  readonly bottomField: boolean;
  readonly idrPicId: number;
  readonly pocLsb: number;
  readonly deltaPocBottom: number;
  readonly deltaPoc0: number;
  readonly deltaPoc1: number;
  readonly redundantPicCnt: number;
  /** memory_management_control_operation 5 present (resets frame_num and POC). */
  readonly mmco5: boolean;
  /**
   * Why the rest of the header after the fields above (up to dec_ref_pic_marking) could not be read
   * (the slice is damaged); undefined when it could.
   */
  readonly tailError?: string;
  readonly sps: Sps;
  readonly pps: Pps;
}

/**
 * Parses a slice header from RBSP bytes starting at the NAL header byte. `complete` says whether `rbsp`
 * is the whole NAL (else a prefix): from a prefix, any truncation throws (the caller retries with more),
 * from a whole NAL a damaged tail is reported in `tailError` and only a damaged head throws.
 */
export function parseSliceHeader(
  rbsp: Uint8Array,
  length: number,
  lookup: ParameterSetLookup,
  complete: boolean,
  reader: BitReader = new BitReader(),
): SliceHeader {
  const r = reader.reset(rbsp, length);
  const header = r.u(8);
  const nalType = header & 31;
  const refIdc = (header >> 5) & 3;
  // Type 2 (data partition A) starts with the same slice header.
  if (nalType !== 1 && nalType !== 2 && nalType !== 5) throw new H264Error('argument', `not a slice NAL (type ${nalType})`);
  const idr = nalType === 5;
  const firstMbInSlice = r.ue();
  const rawType = r.ueMax(9, 'slice_type');
  const sliceType = rawType % 5;
  const ppsId = r.ueMax(255, 'pic_parameter_set_id');
  const pps = lookup.pps(ppsId);
  if (!pps) throw new H264Error('missing-reference', `slice refers to unknown PPS ${ppsId}`);
  const sps = lookup.sps(pps.spsId);
  if (!sps) throw new H264Error('missing-reference', `PPS ${ppsId} refers to unknown SPS ${pps.spsId}`);
  if (idr && sliceType !== SliceType.I && sliceType !== SliceType.SI) {
    throw new H264Error('invalid', `IDR slice of type ${rawType}`);
  }
  if (refIdc === 0 && idr) throw new H264Error('invalid', 'IDR slice with nal_ref_idc 0');
  const colourPlaneId = sps.separateColourPlane ? r.u(2) : 0;
  const frameNum = r.u(sps.log2MaxFrameNum);
  let fieldPic = false;
  let bottomField = false;
  if (!sps.frameMbsOnly) {
    fieldPic = r.flag();
    if (fieldPic) bottomField = r.flag();
  }
  const picSizeInMbs = sps.picWidthInMbs * sps.picHeightInMapUnits * (sps.frameMbsOnly ? 1 : 2) / (fieldPic ? 2 : 1);
  if (firstMbInSlice >= picSizeInMbs) throw new H264Error('invalid', `first_mb_in_slice ${firstMbInSlice} >= ${picSizeInMbs}`);
  const idrPicId = idr ? r.ueMax(65535, 'idr_pic_id') : 0;
  let pocLsb = 0;
  let deltaPocBottom = 0;
  let deltaPoc0 = 0;
  let deltaPoc1 = 0;
  if (sps.picOrderCntType === 0) {
    pocLsb = r.u(sps.log2MaxPocLsb);
    if (pps.bottomFieldPicOrderInFramePresent && !fieldPic) deltaPocBottom = r.se();
  } else if (sps.picOrderCntType === 1 && !sps.deltaPicOrderAlwaysZero) {
    deltaPoc0 = r.se();
    if (pps.bottomFieldPicOrderInFramePresent && !fieldPic) deltaPoc1 = r.se();
  }
  const redundantPicCnt = pps.redundantPicCntPresent ? r.ueMax(127, 'redundant_pic_cnt') : 0;

  let mmco5 = false;
  let tailError: string | undefined;
  try {
    mmco5 = parseTail(r, sliceType, idr, refIdc, sps, pps);
  } catch (e) {
    if (!complete || !(e instanceof H264Error)) throw e;
    tailError = e.message;
  }
  return {
    nalType,
    refIdc,
    idr,
    firstMbInSlice,
    sliceType,
    ppsId,
    colourPlaneId,
    frameNum,
    fieldPic,
    bottomField,
    idrPicId,
    pocLsb,
    deltaPocBottom,
    deltaPoc0,
    deltaPoc1,
    redundantPicCnt,
    mmco5,
    tailError,
    sps,
    pps,
  };
}

/** Reads on to dec_ref_pic_marking (clause 7.3.3) and answers whether it holds MMCO 5. */
function parseTail(r: BitReader, sliceType: number, idr: boolean, refIdc: number, sps: Sps, pps: Pps): boolean {
  const isB = sliceType === SliceType.B;
  const isP = sliceType === SliceType.P || sliceType === SliceType.SP;
  if (isB) r.skip(1); // direct_spatial_mv_pred_flag
  let l0 = pps.numRefIdxL0DefaultActive;
  let l1 = pps.numRefIdxL1DefaultActive;
  if (isP || isB) {
    if (r.flag()) {
      l0 = r.ueMax(31, 'num_ref_idx_l0_active_minus1') + 1;
      if (isB) l1 = r.ueMax(31, 'num_ref_idx_l1_active_minus1') + 1;
    }
  }
  // ref_pic_list_modification (7.3.3.1)
  if (sliceType !== SliceType.I && sliceType !== SliceType.SI) {
    for (let list = 0; list < (isB ? 2 : 1); list++) {
      if (r.flag()) {
        for (let k = 0; ; k++) {
          if (k > 64) throw new H264Error('invalid', 'too many ref_pic_list_modification entries');
          const idc = r.ueMax(5, 'modification_of_pic_nums_idc');
          if (idc === 3) break;
          if (idc > 5) throw new H264Error('invalid', `modification_of_pic_nums_idc ${idc}`);
          r.ue();
        }
      }
    }
  }
  // pred_weight_table (7.3.3.2)
  if ((pps.weightedPred && isP) || (pps.weightedBipredIdc === 1 && isB)) {
    const chroma = !sps.separateColourPlane && sps.chromaFormatIdc !== 0;
    r.ueMax(7, 'luma_log2_weight_denom');
    if (chroma) r.ueMax(7, 'chroma_log2_weight_denom');
    for (let list = 0; list < (isB ? 2 : 1); list++) {
      const n = list === 0 ? l0 : l1;
      for (let i = 0; i < n; i++) {
        if (r.flag()) {
          r.se();
          r.se();
        }
        if (chroma && r.flag()) {
          r.se();
          r.se();
          r.se();
          r.se();
        }
      }
    }
  }
  // dec_ref_pic_marking (7.3.3.3)
  let mmco5 = false;
  if (refIdc !== 0) {
    if (idr) {
      r.skip(2); // no_output_of_prior_pics_flag, long_term_reference_flag
    } else if (r.flag()) {
      for (let k = 0; ; k++) {
        if (k > 64) throw new H264Error('invalid', 'too many memory_management_control_operations');
        const op = r.ueMax(6, 'memory_management_control_operation');
        if (op === 0) break;
        if (op === 1 || op === 3) r.ue();
        if (op === 2) r.ue();
        if (op === 3 || op === 6) r.ue();
        if (op === 4) r.ue();
        if (op === 5) mmco5 = true;
      }
    }
  }
  return mmco5;
}

/**
 * Whether slice `cur` begins a new primary coded picture after slice `prev` (clause 7.4.1.2.4).
 * Redundant slices never do.
 */
export function isNewPicture(prev: SliceHeader, cur: SliceHeader): boolean {
  if (cur.redundantPicCnt > 0) return false;
  if (cur.frameNum !== prev.frameNum) return true;
  if (cur.ppsId !== prev.ppsId) return true;
  if (cur.fieldPic !== prev.fieldPic) return true;
  if (cur.fieldPic && cur.bottomField !== prev.bottomField) return true;
  if (cur.refIdc !== prev.refIdc && (cur.refIdc === 0 || prev.refIdc === 0)) return true;
  const sps = cur.sps;
  if (sps.picOrderCntType === 0 && (cur.pocLsb !== prev.pocLsb || cur.deltaPocBottom !== prev.deltaPocBottom)) return true;
  if (sps.picOrderCntType === 1 && (cur.deltaPoc0 !== prev.deltaPoc0 || cur.deltaPoc1 !== prev.deltaPoc1)) return true;
  if (cur.idr !== prev.idr) return true;
  if (cur.idr && prev.idr && cur.idrPicId !== prev.idrPicId) return true;
  // Not in the spec's list, but two pictures whose fields all agree still restart at macroblock 0 when the
  // SPS changed under them (a new sequence with identical headers).
  if (cur.sps !== prev.sps) return true;
  return false;
}

