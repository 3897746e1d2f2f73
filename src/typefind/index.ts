/**
 * Typefinding (GStreamer's typefind): what a byte stream is, from its first bytes — MP4 and QuickTime/MOV,
 * H.264 or H.265 in Annex B, MPEG-TS, Matroska/WebM, AAC in ADTS — as caps in GStreamer's names and a name
 * for people. Pure functions over Uint8Array (no I/O, any JS runtime).
 */
export { findType, TYPEFIND_BYTES, type FindTypeOptions } from './typefind';
export { kindsAccepted, Probability, TYPES, typeNames, type TypeFound, type TypeInfo, type TypeKind } from './types';
export { unsupportedMessage, UnsupportedTypeError } from './errors';
export { findAdts } from './adts';
export { findAnnexB } from './annexb';
export { findEbml } from './ebml';
export { findIsoBmff } from './isobmff';
export { findMpegTs } from './mpegts';
export { EMPTY_TRACK, h264FieldOrder, h264VideoInfo, isoBmffTracks, pixelFormatName, type TrackInfo } from './tracks';
