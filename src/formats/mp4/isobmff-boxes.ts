/**
 * ISO BMFF boxes as plain data (ISO/IEC 14496-12, -15). The writer serialises these and the reader
 * produces them, so a box round-trips through both. Sample tables hold typed arrays (one allocation per
 * table, not per sample). 64-bit fields are numbers: exact up to 2^53, far past any real file.
 */

/** Boxes that only hold other boxes. */
export type ContainerType = 'moov' | 'trak' | 'edts' | 'mdia' | 'minf' | 'dinf' | 'stbl' | 'mvex' | 'moof' | 'traf' | 'mfra';
export const CONTAINER_TYPES: ReadonlySet<string> = new Set<ContainerType>(['moov', 'trak', 'edts', 'mdia', 'minf', 'dinf', 'stbl', 'mvex', 'moof', 'traf', 'mfra']);

/** A box that only holds other boxes (its payload is its children). */
export function isContainer(box: Box): box is ContainerBox {
  return CONTAINER_TYPES.has(box.type);
}

export interface ContainerBox {
  readonly type: ContainerType;
  readonly children: readonly Box[];
}

export interface FtypBox {
  readonly type: 'ftyp' | 'styp';
  readonly majorBrand: string;
  readonly minorVersion: number;
  readonly compatibleBrands: readonly string[];
}

export interface MvhdBox {
  readonly type: 'mvhd';
  readonly version: 0 | 1;
  readonly creationTime: number;
  readonly modificationTime: number;
  readonly timescale: number;
  readonly duration: number;
  readonly nextTrackId: number;
}

export interface TkhdBox {
  readonly type: 'tkhd';
  readonly version: 0 | 1;
  /** 1 enabled, 2 in movie, 4 in preview. */
  readonly flags: number;
  readonly creationTime: number;
  readonly modificationTime: number;
  readonly trackId: number;
  readonly duration: number;
  /** Presentation size in pixels (16.16 fixed point in the file). */
  readonly width: number;
  readonly height: number;
  /** 8.8 fixed point: 1 for an audio track (ffmpeg and qtmux write it), 0 (absent) for video. */
  readonly volume?: number;
}

export interface EditEntry {
  /** In the movie timescale. */
  readonly segmentDuration: number;
  /** In the track timescale; -1 is an empty edit. */
  readonly mediaTime: number;
  readonly mediaRate: number;
}

export interface ElstBox {
  readonly type: 'elst';
  readonly version: 0 | 1;
  readonly entries: readonly EditEntry[];
}

export interface MdhdBox {
  readonly type: 'mdhd';
  readonly version: 0 | 1;
  readonly creationTime: number;
  readonly modificationTime: number;
  readonly timescale: number;
  readonly duration: number;
  /** ISO 639-2/T code, e.g. 'und'. */
  readonly language: string;
}

export interface HdlrBox {
  readonly type: 'hdlr';
  readonly handlerType: string;
  readonly name: string;
}

export interface VmhdBox {
  readonly type: 'vmhd';
}

/** A data reference with one self-contained `url ` entry: the only form a single-file MP4 needs. */
export interface DrefBox {
  readonly type: 'dref';
  readonly entryCount: number;
}

export interface StsdBox {
  readonly type: 'stsd';
  readonly entries: readonly Box[];
}

/** VisualSampleEntry for H.264 (`avc1`: parameter sets in avcC only; `avc3`: may also be in-band). */
export interface AvcSampleEntry {
  readonly type: 'avc1' | 'avc3';
  readonly dataReferenceIndex: number;
  readonly width: number;
  readonly height: number;
  readonly compressorName: string;
  readonly depth: number;
  /** avcC, pasp, btrt, … */
  readonly children: readonly Box[];
}

/**
 * AudioSampleEntry (ISO/IEC 14496-12 12.2.3; QuickTime sound description versions 1 and 2 read too):
 * `mp4a` carries an `esds` (AAC), `Opus` a `dOps`; both kept as raw children and read in `audio-config`.
 */
export interface AudioSampleEntry {
  readonly type: 'mp4a' | 'Opus';
  readonly dataReferenceIndex: number;
  readonly channelCount: number;
  readonly sampleSize: number;
  /** Hz: the integer part of the 16.16 field (version 2: its 64-bit float). */
  readonly sampleRate: number;
  /** esds, dOps, btrt, … */
  readonly children: readonly Box[];
}

/** Sound media header (balance 0). */
export interface SmhdBox {
  readonly type: 'smhd';
}

export interface AvcCBox {
  readonly type: 'avcC';
  /** The AVCDecoderConfigurationRecord, verbatim. */
  readonly data: Uint8Array;
}

export interface PaspBox {
  readonly type: 'pasp';
  readonly hSpacing: number;
  readonly vSpacing: number;
}

export interface SttsBox {
  readonly type: 'stts';
  readonly sampleCounts: Uint32Array;
  readonly sampleDeltas: Uint32Array;
}

export interface CttsBox {
  readonly type: 'ctts';
  /** 0: offsets unsigned in the spec (read as signed, as every demuxer does); 1: signed. */
  readonly version: 0 | 1;
  readonly sampleCounts: Uint32Array;
  readonly sampleOffsets: Int32Array;
}

export interface StssBox {
  readonly type: 'stss';
  /** 1-based sample numbers of sync samples. */
  readonly sampleNumbers: Uint32Array;
}

export interface StszBox {
  readonly type: 'stsz' | 'stz2';
  /** Non-zero: every sample has this size and `entrySizes` is absent. */
  readonly sampleSize: number;
  readonly sampleCount: number;
  readonly entrySizes?: Uint32Array;
}

export interface StscBox {
  readonly type: 'stsc';
  readonly firstChunk: Uint32Array;
  readonly samplesPerChunk: Uint32Array;
  readonly sampleDescriptionIndex: Uint32Array;
}

export interface StcoBox {
  /** `co64` when an offset passes 2^32 - 1. */
  readonly type: 'stco' | 'co64';
  readonly chunkOffsets: Float64Array;
}

export interface MehdBox {
  readonly type: 'mehd';
  readonly version: 0 | 1;
  readonly fragmentDuration: number;
}

export interface TrexBox {
  readonly type: 'trex';
  readonly trackId: number;
  readonly defaultSampleDescriptionIndex: number;
  readonly defaultSampleDuration: number;
  readonly defaultSampleSize: number;
  readonly defaultSampleFlags: number;
}

export interface MfhdBox {
  readonly type: 'mfhd';
  readonly sequenceNumber: number;
}

/** tfhd flags follow from which optional fields are present. */
export interface TfhdBox {
  readonly type: 'tfhd';
  readonly trackId: number;
  readonly baseDataOffset?: number;
  readonly sampleDescriptionIndex?: number;
  readonly defaultSampleDuration?: number;
  readonly defaultSampleSize?: number;
  readonly defaultSampleFlags?: number;
  readonly durationIsEmpty?: boolean;
  readonly defaultBaseIsMoof?: boolean;
}

export interface TfdtBox {
  readonly type: 'tfdt';
  readonly version: 0 | 1;
  readonly baseMediaDecodeTime: number;
}

/** trun flags follow from which optional fields are present; per-sample arrays have `sampleCount` entries. */
export interface TrunBox {
  readonly type: 'trun';
  /** 1: composition offsets are signed. */
  readonly version: 0 | 1;
  readonly sampleCount: number;
  readonly dataOffset?: number;
  readonly firstSampleFlags?: number;
  readonly durations?: Uint32Array;
  readonly sizes?: Uint32Array;
  readonly flags?: Uint32Array;
  readonly compositionOffsets?: Int32Array;
}

export interface TfraEntry {
  readonly time: number;
  readonly moofOffset: number;
  readonly trafNumber: number;
  readonly trunNumber: number;
  readonly sampleNumber: number;
}

export interface TfraBox {
  readonly type: 'tfra';
  readonly version: 0 | 1;
  readonly trackId: number;
  readonly entries: readonly TfraEntry[];
}

export interface MfroBox {
  readonly type: 'mfro';
  /** Size of the enclosing mfra box. */
  readonly size: number;
}

/** Any other box, kept as its payload bytes (free, udta, sgpd, unknown sample entries, …). */
export interface RawBox {
  readonly type: 'raw';
  readonly fourcc: string;
  readonly data: Uint8Array;
}

export type Box =
  | ContainerBox
  | FtypBox
  | MvhdBox
  | TkhdBox
  | ElstBox
  | MdhdBox
  | HdlrBox
  | VmhdBox
  | DrefBox
  | StsdBox
  | AvcSampleEntry
  | AudioSampleEntry
  | SmhdBox
  | AvcCBox
  | PaspBox
  | SttsBox
  | CttsBox
  | StssBox
  | StszBox
  | StscBox
  | StcoBox
  | MehdBox
  | TrexBox
  | MfhdBox
  | TfhdBox
  | TfdtBox
  | TrunBox
  | TfraBox
  | MfroBox
  | RawBox;

/** The four-character code a box is written with. */
export function fourccOf(box: Box): string {
  return box.type === 'raw' ? box.fourcc : box.type;
}

// Sample flags (ISO/IEC 14496-12 8.8.3.1).
/** sample_depends_on = 2 (an I picture), sync. */
export const SAMPLE_FLAGS_SYNC = 0x02000000;
/** sample_depends_on = 1, sample_is_non_sync_sample = 1. */
export const SAMPLE_FLAGS_NON_SYNC = 0x01010000;
export const SAMPLE_IS_NON_SYNC = 0x00010000;
/** sample_is_depended_on = 2: nothing references this sample (a disposable B picture). */
export const SAMPLE_NOT_DEPENDED_ON = 0x00800000;

// tfhd / trun flag bits.
export const TFHD_BASE_DATA_OFFSET = 0x1;
export const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x2;
export const TFHD_DEFAULT_DURATION = 0x8;
export const TFHD_DEFAULT_SIZE = 0x10;
export const TFHD_DEFAULT_FLAGS = 0x20;
export const TFHD_DURATION_IS_EMPTY = 0x10000;
export const TFHD_DEFAULT_BASE_IS_MOOF = 0x20000;
export const TRUN_DATA_OFFSET = 0x1;
export const TRUN_FIRST_SAMPLE_FLAGS = 0x4;
export const TRUN_DURATION = 0x100;
export const TRUN_SIZE = 0x200;
export const TRUN_FLAGS = 0x400;
export const TRUN_COMPOSITION_OFFSET = 0x800;

/** The box interface whose `type` admits `T` (distributes over the union, so 'stz2' finds StszBox). */
export type BoxOf<T extends Box['type']> = Box extends infer B ? (B extends Box ? (T extends B['type'] ? B : never) : never) : never;

/** Finds the first child of `type` (a shallow search). */
export function child<T extends Box['type']>(box: { readonly children: readonly Box[] } | undefined, type: T): BoxOf<T> | undefined {
  return box?.children.find((b) => b.type === type) as BoxOf<T> | undefined;
}

/** Follows a path of container types, e.g. `path(trak, 'mdia', 'minf', 'stbl')`. */
export function path(box: { readonly children: readonly Box[] } | undefined, ...types: ContainerType[]): ContainerBox | undefined {
  let cur: { readonly children: readonly Box[] } | undefined = box;
  for (const t of types) cur = child(cur, t);
  return cur as ContainerBox | undefined;
}
