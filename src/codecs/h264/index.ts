/** H.264 bitstream library: pure, synchronous functions over Uint8Array (no I/O, any JS runtime). */
export { BitReader } from './bit-reader';
export { H264Error, isTruncation, type H264ErrorKind } from './errors';
export {
  AnnexBSplitter,
  escapeRbsp,
  findStartCode,
  hasEmulationPrevention,
  isVcl,
  joinAnnexB,
  joinAvc,
  NalType,
  parseNalHeader,
  splitAnnexB,
  splitAvc,
  startsAccessUnit,
  unescapeInPlace,
  unescapeRbsp,
  type NalHeader,
  type StartCodeFinder,
} from './nal';
export { hasChromaInfo, levelName, maxDpbFrames, parseSps, parseSpsRbsp, profileName, reorderDepth, type Sps, type Vui } from './sps';
export { parsePps, parsePpsRbsp, type Pps } from './pps';
export { isNewPicture, parseSliceHeader, SliceType, type ParameterSetLookup, type SliceHeader } from './slice';
export { PocDecoder, type PictureOrder } from './poc';
export { findRecoveryPoint, parseSeiMessages, type RecoveryPoint, type SeiMessage } from './sei';
export { buildAvcC, fromHex, parseAvcC, toHex, type AvcDecoderConfig, type BuildAvcCOptions } from './avcc';
export { ParameterSets, type StoredPps, type StoredSps } from './params';
export { AccessUnitAssembler, nalsOf, type AccessUnit, type AssemblerDropReason, type AssemblerOptions, type NalUnit } from './access-unit';
export { H264Timestamper, type Rate, type Timestamps } from './timestamps';
export { annexBNals, AvcGatherer, rememberNalLayout, writeAccessUnit, type StreamFormat, type WriteOptions } from './convert';
