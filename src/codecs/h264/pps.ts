import { BitReader } from './bit-reader';
import { H264Error } from './errors';
import { unescapeRbsp } from './nal';

/** The picture parameter set fields slice headers depend on (clause 7.3.2.2). */
export interface Pps {
  readonly id: number;
  readonly spsId: number;
  readonly entropyCodingMode: boolean;
  readonly bottomFieldPicOrderInFramePresent: boolean;
  readonly numSliceGroups: number;
  readonly numRefIdxL0DefaultActive: number;
  readonly numRefIdxL1DefaultActive: number;
  readonly weightedPred: boolean;
  readonly weightedBipredIdc: number;
  readonly picInitQp: number;
  readonly chromaQpIndexOffset: number;
  readonly deblockingFilterControlPresent: boolean;
  readonly constrainedIntraPred: boolean;
  readonly redundantPicCntPresent: boolean;
  readonly transform8x8Mode: boolean;
}

/** Parses a PPS from a whole NAL unit (header byte included, emulation prevention still in). */
export function parsePps(nal: Uint8Array): Pps {
  if (nal.length < 2) throw new H264Error('truncated', 'PPS shorter than 2 bytes');
  if ((nal[0] & 0x1f) !== 8) throw new H264Error('argument', `not a PPS (nal_unit_type ${nal[0] & 0x1f})`);
  return parsePpsRbsp(unescapeRbsp(nal));
}

export function parsePpsRbsp(rbsp: Uint8Array): Pps {
  const r = new BitReader(rbsp);
  r.skip(8);
  const id = r.ueMax(255, 'pic_parameter_set_id');
  const spsId = r.ueMax(31, 'seq_parameter_set_id');
  const entropyCodingMode = r.flag();
  const bottomFieldPicOrderInFramePresent = r.flag();
  const numSliceGroups = r.ueMax(7, 'num_slice_groups_minus1') + 1;
  if (numSliceGroups > 1) {
    const mapType = r.ueMax(6, 'slice_group_map_type');
    if (mapType === 0) {
      for (let i = 0; i < numSliceGroups; i++) r.ue();
    } else if (mapType === 2) {
      for (let i = 0; i < numSliceGroups - 1; i++) {
        r.ue();
        r.ue();
      }
    } else if (mapType >= 3 && mapType <= 5) {
      r.skip(1);
      r.ue();
    } else if (mapType === 6) {
      const units = r.ue() + 1;
      const bits = Math.ceil(Math.log2(numSliceGroups));
      if (units > 139264) throw new H264Error('invalid', `pic_size_in_map_units_minus1 = ${units - 1} too large`);
      r.skip(units * bits);
    }
  }
  const numRefIdxL0DefaultActive = r.ueMax(31, 'num_ref_idx_l0_default_active_minus1') + 1;
  const numRefIdxL1DefaultActive = r.ueMax(31, 'num_ref_idx_l1_default_active_minus1') + 1;
  const weightedPred = r.flag();
  const weightedBipredIdc = r.u(2);
  if (weightedBipredIdc === 3) throw new H264Error('invalid', 'weighted_bipred_idc = 3');
  const picInitQp = 26 + r.seRange(-26 - 48, 25, 'pic_init_qp_minus26');
  r.seRange(-26, 25, 'pic_init_qs_minus26');
  const chromaQpIndexOffset = r.seRange(-12, 12, 'chroma_qp_index_offset');
  const deblockingFilterControlPresent = r.flag();
  const constrainedIntraPred = r.flag();
  const redundantPicCntPresent = r.flag();
  // The range extension (transform_8x8_mode_flag, scaling lists) needs the SPS chroma format for the
  // lists; only the flag is read, as slice headers do not depend on the rest.
  const transform8x8Mode = r.moreRbspData() ? r.flag() : false;
  return {
    id,
    spsId,
    entropyCodingMode,
    bottomFieldPicOrderInFramePresent,
    numSliceGroups,
    numRefIdxL0DefaultActive,
    numRefIdxL1DefaultActive,
    weightedPred,
    weightedBipredIdc,
    picInitQp,
    chromaQpIndexOffset,
    deblockingFilterControlPresent,
    constrainedIntraPred,
    redundantPicCntPresent,
    transform8x8Mode,
  };
}
