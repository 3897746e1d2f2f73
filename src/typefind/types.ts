import { Caps } from '../caps';

/** What a typefinder can name. */
export type TypeKind = 'mp4' | 'mov' | 'h264' | 'h265' | 'mpegts' | 'matroska' | 'webm' | 'adts';

/** GStreamer's typefind probabilities (GstTypeFindProbability): how sure a finder is. */
export const Probability = Object.freeze({
  MINIMUM: 1,
  POSSIBLE: 50,
  LIKELY: 80,
  NEARLY_CERTAIN: 99,
  MAXIMUM: 100,
});

export interface TypeInfo {
  readonly kind: TypeKind;
  /** For people: 'QuickTime/MOV', 'MPEG-TS', … */
  readonly name: string;
  /** The caps stamped on such a stream, in GStreamer's names (a finder may add fields, never remove these). */
  readonly caps: Caps;
  /** A container is demuxed, an elementary stream parsed: the verb of "cannot … yet". */
  readonly verb: 'demux' | 'parse';
  /** glass2glass has elements that read it (mp4Demux, h264Parse). */
  readonly readable: boolean;
}

const info = (kind: TypeKind, name: string, capsText: string, verb: TypeInfo['verb'], readable: boolean): TypeInfo =>
  Object.freeze({ kind, name, caps: Caps.parse(capsText), verb, readable });

/** Every kind, in the order lists of them are printed. */
export const TYPES: Readonly<Record<TypeKind, TypeInfo>> = Object.freeze({
  mp4: info('mp4', 'MP4', 'video/quicktime, variant=(string)iso', 'demux', true),
  mov: info('mov', 'QuickTime/MOV', 'video/quicktime, variant=(string)apple', 'demux', true),
  h264: info('h264', 'H.264 Annex B', 'video/x-h264, stream-format=(string)byte-stream', 'parse', true),
  h265: info('h265', 'H.265/HEVC Annex B', 'video/x-h265, stream-format=(string)byte-stream', 'parse', false),
  mpegts: info('mpegts', 'MPEG-TS', 'video/mpegts, systemstream=(boolean)true', 'demux', false),
  matroska: info('matroska', 'Matroska', 'video/x-matroska', 'demux', false),
  webm: info('webm', 'WebM', 'video/webm', 'demux', false),
  adts: info('adts', 'AAC (ADTS)', 'audio/mpeg, mpegversion=(int)4, stream-format=(string)adts', 'parse', false),
});

/** What a typefinder found. */
export interface TypeFound extends TypeInfo {
  /** GStreamer's scale: 100 certain (a magic number and its structure), 50 plausible (no parameter sets seen, say). */
  readonly probability: number;
  /** What settled it, for people: "brand 'isom'", "DocType 'webm'", "188-byte packets", "SPS, PPS and slices". */
  readonly detail: string;
}

/**
 * Names of kinds for a list such as "supported: MP4/MOV, H.264 Annex B": MP4 and QuickTime/MOV read as one
 * (the same demuxer takes both), as do Matroska and WebM.
 */
export function typeNames(kinds: readonly TypeKind[]): string {
  const names: string[] = [];
  for (const k of kinds) {
    const name = k === 'mp4' || k === 'mov' ? (kinds.includes('mp4') && kinds.includes('mov') ? 'MP4/MOV' : TYPES[k].name) : TYPES[k].name;
    if (!names.includes(name)) names.push(name);
  }
  return names.join(', ');
}

/** The kinds whose caps fit in `accepted` (a downstream's accepted input): what it can be given. */
export function kindsAccepted(accepted: Caps): TypeKind[] {
  return (Object.keys(TYPES) as TypeKind[]).filter((k) => TYPES[k].caps.isSubset(accepted));
}
