import {
  BitReader,
  H264Error,
  levelName,
  parseAvcC,
  parsePps,
  parseSeiMessages,
  parseSliceHeader,
  parseSps,
  profileName,
  unescapeRbsp,
  type Pps,
  type Sps,
} from '../codecs/h264';

/**
 * One track of a file, as a probe lists it (GStreamer's discoverer, ffprobe's streams): what it is and,
 * where the headers say, its format. Null where unknown.
 */
export interface TrackInfo {
  /** The container's track id (tkhd track_ID), 1 for an elementary stream. */
  readonly id: number;
  readonly type: 'video' | 'audio' | 'subtitle' | 'data';
  /** ffprobe's codec names: h264, hevc, aac, mp3, opus, mpeg4, av1, vp9, … (else the sample entry's fourcc). */
  readonly codec: string;
  /** The sample entry's fourcc (avc1, hvc1, mp4a, …); null for an elementary stream. */
  readonly fourcc: string | null;
  /** GStreamer's names (high, main-10, …). */
  readonly profile: string | null;
  readonly level: string | null;
  readonly width: number | null;
  readonly height: number | null;
  /** ffmpeg's pixel format names: yuv420p, yuv420p10le, yuv444p, gray, … */
  readonly pixelFormat: string | null;
  /** Luma bit depth. */
  readonly bitDepth: number | null;
  /** ffprobe's field_order: progressive, tt, bb, tb, bt. */
  readonly fieldOrder: string | null;
  /** Sample aspect ratio, `N:D`. */
  readonly sar: string | null;
  /** `N/D` when every sample lasts the same. */
  readonly framerate: string | null;
  readonly sampleRate: number | null;
  readonly channels: number | null;
  /** Bits per second: the container's declared average, else the samples' bytes over the track's duration. */
  readonly bitrate: number | null;
  /** ns. */
  readonly duration: number | null;
  /** Samples in the sample table (null in a fragmented file, whose samples are in its fragments). */
  readonly frames: number | null;
}

/** A track's fields with nothing known yet (in the order ffprobe prints them). */
export const EMPTY_TRACK: Omit<TrackInfo, 'id' | 'type' | 'codec' | 'fourcc'> = {
  profile: null,
  level: null,
  width: null,
  height: null,
  pixelFormat: null,
  bitDepth: null,
  fieldOrder: null,
  sar: null,
  framerate: null,
  sampleRate: null,
  channels: null,
  bitrate: null,
  duration: null,
  frames: null,
};

/** ffmpeg's pixel format for a chroma_format_idc (0–3) and bit depth. */
export function pixelFormatName(chromaFormatIdc: number, bitDepth: number): string | null {
  const base = ['gray', 'yuv420p', 'yuv422p', 'yuv444p'][chromaFormatIdc];
  if (base === undefined) return null;
  return bitDepth === 8 ? base : `${base}${bitDepth}le`;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const ratio = (n: number, d: number, sep: string): string => {
  const g = gcd(n, d) || 1;
  return `${n / g}${sep}${d / g}`;
};

/** What an H.264 SPS says of the video: the same fields whether it came from an avcC or an Annex B stream. */
export function h264VideoInfo(
  sps: Sps
): Pick<TrackInfo, 'profile' | 'level' | 'width' | 'height' | 'pixelFormat' | 'bitDepth' | 'fieldOrder' | 'sar' | 'framerate'> {
  const sarW = sps.vui?.sarWidth;
  const sarH = sps.vui?.sarHeight;
  return {
    profile: profileName(sps),
    level: levelName(sps),
    width: sps.width,
    height: sps.height,
    pixelFormat: pixelFormatName(sps.chromaFormatIdc, sps.bitDepthLuma),
    bitDepth: sps.bitDepthLuma,
    // Field pictures or MBAFF say only "interlaced": the order is in each picture's SEI.
    fieldOrder: sps.frameMbsOnly ? 'progressive' : null,
    sar: sarW && sarH ? ratio(sarW, sarH, ':') : null,
    framerate: sps.framerate ? ratio(sps.framerate.num, sps.framerate.den, '/') : null,
  };
}

/** pic_struct of a pic_timing SEI (D.1.3), readable when the VUI has no HRD (whose delays come first, sized by it). */
function picStructOf(sei: Uint8Array, sps: Sps | undefined): number | undefined {
  if (!sps?.vui?.picStructPresent || sps.vui.nalHrd || sps.vui.vclHrd) return undefined;
  const timing = parseSeiMessages(sei).messages.find((m) => m.payloadType === 1);
  return timing && timing.payload.length ? new BitReader(timing.payload).u(4) : undefined;
}

/**
 * The field order of interlaced H.264 (ffprobe's field_order) from the NAL units of the stream's start
 * (SPS, PPS, SEI, the first slice): a field picture says which field comes first; a frame of fields
 * (MBAFF) says it in its pic_timing SEI's pic_struct (3, 5: top first; 4, 6: bottom first). Progressive
 * when the SPS allows frames only; null when nothing says.
 */
export function h264FieldOrder(nals: readonly Uint8Array[]): string | null {
  const spsById = new Map<number, Sps>();
  const ppsById = new Map<number, Pps>();
  const lookup = {
    sps: (id: number) => spsById.get(id),
    pps: (id: number) => ppsById.get(id),
  };
  let picStruct: number | undefined;
  try {
    for (const nal of nals) {
      const type = nal[0] & 0x1f;
      if (type === 7) {
        const sps = parseSps(nal);
        spsById.set(sps.id, sps);
      } else if (type === 8) {
        const pps = parsePps(nal);
        ppsById.set(pps.id, pps);
      } else if (type === 6) {
        picStruct ??= picStructOf(unescapeRbsp(nal), spsById.values().next().value);
      } else if (type === 1 || type === 5) {
        const rbsp = unescapeRbsp(nal);
        const h = parseSliceHeader(rbsp, rbsp.length, lookup, true);
        if (h.sps.frameMbsOnly) return 'progressive';
        if (h.fieldPic) return h.bottomField ? 'bb' : 'tt';
        return picStruct === 3 || picStruct === 5 ? 'tt' : picStruct === 4 || picStruct === 6 ? 'bb' : null;
      }
    }
  } catch (e) {
    if (!(e instanceof H264Error)) throw e; // damaged or cut short: unknown
  }
  return null;
}

// ---- ISO BMFF boxes, read just far enough (a probe's view; the demuxer is src/formats/mp4) ----

interface BoxSpan {
  readonly type: string;
  /** Payload start and end in the buffer. */
  readonly start: number;
  readonly end: number;
}

const u16 = (d: Uint8Array, p: number): number => (d[p] << 8) | d[p + 1];
const u32 = (d: Uint8Array, p: number): number => ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
const u64 = (d: Uint8Array, p: number): number => u32(d, p) * 2 ** 32 + u32(d, p + 4);
const fourcc = (d: Uint8Array, p: number): string => String.fromCharCode(d[p], d[p + 1], d[p + 2], d[p + 3]);

/** The boxes from `start` to `end`; stops at the first that does not fit. */
function boxes(d: Uint8Array, start: number, end: number): BoxSpan[] {
  const out: BoxSpan[] = [];
  let p = start;
  while (p + 8 <= end) {
    let size = u32(d, p);
    let header = 8;
    if (size === 1) {
      if (p + 16 > end) break;
      size = u64(d, p + 8);
      header = 16;
    } else if (size === 0) size = end - p;
    if (size < header || p + size > end) break;
    out.push({ type: fourcc(d, p + 4), start: p + header, end: p + size });
    p += size;
  }
  return out;
}

const child = (d: Uint8Array, box: BoxSpan | undefined, type: string, skip = 0): BoxSpan | undefined =>
  box && boxes(d, box.start + skip, box.end).find((b) => b.type === type);

/** The box at the end of a path of container boxes. */
const path = (d: Uint8Array, box: BoxSpan | undefined, ...types: string[]): BoxSpan | undefined => types.reduce((b, t) => child(d, b, t), box);

const CODECS: Readonly<Record<string, string>> = {
  avc1: 'h264',
  avc3: 'h264',
  hvc1: 'hevc',
  hev1: 'hevc',
  av01: 'av1',
  vp08: 'vp8',
  vp09: 'vp9',
  mp4v: 'mpeg4',
  jpeg: 'mjpeg',
  mjpa: 'mjpeg',
  apch: 'prores',
  apcn: 'prores',
  apcs: 'prores',
  apco: 'prores',
  ap4h: 'prores',
  mp4a: 'aac', // unless its esds says otherwise (objectTypeIndication)
  '.mp3': 'mp3',
  Opus: 'opus',
  fLaC: 'flac',
  'ac-3': 'ac3',
  'ec-3': 'eac3',
  alac: 'alac',
  sowt: 'pcm_s16le',
  twos: 'pcm_s16be',
  lpcm: 'pcm',
  tx3g: 'mov_text',
  wvtt: 'webvtt',
  stpp: 'ttml',
  c608: 'eia_608',
  tmcd: 'tmcd',
};

const TYPES_BY_HANDLER: Readonly<Record<string, TrackInfo['type']>> = {
  vide: 'video',
  soun: 'audio',
  text: 'subtitle',
  sbtl: 'subtitle',
  subt: 'subtitle',
  clcp: 'subtitle',
};

/** A VisualSampleEntry's fields before its child boxes (ISO/IEC 14496-12 12.1.3). */
const VISUAL_ENTRY = 78;
/** An AudioSampleEntry's, version 0; QuickTime's versions 1 and 2 add 16 and 36 bytes. */
const AUDIO_ENTRY = 28;

/** esds: the DecoderConfigDescriptor's objectTypeIndication and average bitrate. */
function esdsInfo(
  d: Uint8Array,
  box: BoxSpan
): {
  codec?: string;
  bitrate?: number;
  sampleRate?: number;
  channels?: number;
} {
  let p = box.start + 4; // version, flags
  const descriptor = (): { tag: number; end: number } | undefined => {
    if (p >= box.end) return undefined;
    const tag = d[p++];
    let len = 0;
    for (let i = 0; i < 4 && p < box.end; i++) {
      const b = d[p++];
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, end: Math.min(box.end, p + len) };
  };
  const es = descriptor();
  if (!es || es.tag !== 3) return {};
  // ES_ID, then flags: streamDependenceFlag (a 2-byte id), URL_Flag (a counted URL), OCRstreamFlag (2 bytes).
  const flags = d[p + 2];
  p += 3;
  if (flags & 0x80) p += 2;
  if (flags & 0x40) p += 1 + d[p];
  if (flags & 0x20) p += 2;
  const dc = descriptor();
  if (!dc || dc.tag !== 4 || p + 13 > box.end) return {};
  const oti = d[p];
  const codec =
    oti === 0x40 || oti === 0x66 || oti === 0x67 || oti === 0x68 ? 'aac' : oti === 0x69 || oti === 0x6b ? 'mp3' : oti === 0x20 ? 'mpeg4' : undefined;
  const avg = u32(d, p + 9);
  const out: {
    codec?: string;
    bitrate?: number;
    sampleRate?: number;
    channels?: number;
  } = { codec, bitrate: avg || undefined };
  p += 13;
  // AAC's AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): the real rate and channels, where the sample
  // entry's are placeholders (muxers write 2 channels for any AAC).
  const dsi = descriptor();
  if (codec === 'aac' && dsi?.tag === 5 && p + 2 <= dsi.end) {
    const bits = (d[p] << 8) | d[p + 1];
    const rateIndex = (bits >> 7) & 0xf;
    const channels = (bits >> 3) & 0xf;
    const rate = AAC_RATES[rateIndex];
    if (rate !== undefined && bits >> 11 !== 31) out.sampleRate = rate; // object type 31: escape, rate written out
    if (channels > 0 && channels < 8) out.channels = channels === 7 ? 8 : channels;
  }
  return out;
}

/** sampling_frequency_index → Hz (ISO/IEC 14496-3 Table 1.18). */
/** The presented duration (ns) of an elst's media edits (empty edits are delays), when it has any. */
function editedDuration(d: Uint8Array, elst: BoxSpan | undefined, movieScale: number): number | undefined {
  if (!elst || movieScale <= 0 || elst.end - elst.start < 8) return undefined;
  const v1 = d[elst.start] === 1;
  const size = v1 ? 20 : 12;
  const n = Math.min(u32(d, elst.start + 4), Math.floor((elst.end - elst.start - 8) / size));
  let ticks = 0;
  let media = 0;
  for (let i = 0, p = elst.start + 8; i < n; i++, p += size) {
    const empty = v1 ? u32(d, p + 8) === 0xffffffff && u32(d, p + 12) === 0xffffffff : u32(d, p + 4) === 0xffffffff;
    if (empty) continue;
    media++;
    ticks += v1 ? u64(d, p) : u32(d, p);
  }
  return media > 0 && ticks > 0 ? Math.round((ticks * 1e9) / movieScale) : undefined;
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** hvcC (ISO/IEC 14496-15 8.3.3.1): profile, level, chroma format and bit depth from its fixed fields. */
function hvccInfo(d: Uint8Array, box: BoxSpan): Partial<TrackInfo> {
  if (box.end - box.start < 23) return {};
  const p = box.start;
  const profileIdc = d[p + 1] & 0x1f;
  const levelIdc = d[p + 12];
  const chroma = d[p + 16] & 3;
  const depth = (d[p + 17] & 7) + 8;
  const profile =
    ['', 'main', 'main-10', 'main-still-picture', 'range-extensions', 'high-throughput', 'multiview-main', 'scalable-main'][profileIdc] ||
    `profile-${profileIdc}`;
  return {
    profile,
    level: levelIdc % 30 === 0 ? String(levelIdc / 30) : (levelIdc / 30).toFixed(1),
    pixelFormat: pixelFormatName(chroma, depth),
    bitDepth: depth,
  };
}

/** QuickTime's fiel box: 1 field is progressive; 2 fields in the order its detail byte gives. */
function fieldOrderOf(d: Uint8Array, box: BoxSpan): string | null {
  if (box.end - box.start < 2) return null;
  if (d[box.start] === 1) return 'progressive';
  return { 1: 'tt', 6: 'bb', 9: 'tb', 14: 'bt' }[d[box.start + 1]] ?? null;
}

/** Fields being gathered. */
type Gathered = { -readonly [K in keyof TrackInfo]?: TrackInfo[K] } & {
  codec: string;
};

/** What the sample entry says: codec, and for video or audio their format. */
function sampleEntryInfo(d: Uint8Array, entry: BoxSpan, type: TrackInfo['type']): Gathered {
  const out: Gathered = { codec: CODECS[entry.type] ?? entry.type.trim() };
  if (type === 'video' && entry.end - entry.start >= VISUAL_ENTRY) {
    out.width = u16(d, entry.start + 24);
    out.height = u16(d, entry.start + 26);
    for (const b of boxes(d, entry.start + VISUAL_ENTRY, entry.end)) {
      if (b.type === 'avcC') {
        try {
          const rec = parseAvcC(d.subarray(b.start, b.end));
          if (rec.sps[0]) Object.assign(out, h264VideoInfo(parseSps(rec.sps[0])));
        } catch (e) {
          if (!(e instanceof H264Error)) throw e; // a damaged record: the entry's own size stays
        }
      } else if (b.type === 'hvcC') Object.assign(out, hvccInfo(d, b));
      else if (b.type === 'pasp' && b.end - b.start >= 8 && u32(d, b.start + 4) > 0) out.sar = ratio(u32(d, b.start), u32(d, b.start + 4), ':');
      else if (b.type === 'fiel') out.fieldOrder = fieldOrderOf(d, b);
      else if (b.type === 'btrt' && b.end - b.start >= 12) out.bitrate = u32(d, b.start + 8) || undefined;
    }
  } else if (type === 'audio' && entry.end - entry.start >= AUDIO_ENTRY) {
    const version = u16(d, entry.start + 8);
    out.channels = u16(d, entry.start + 16);
    out.sampleRate = u32(d, entry.start + 24) >>> 16;
    if (version === 2 && entry.end - entry.start >= AUDIO_ENTRY + 36) {
      // QuickTime SoundDescription v2: a float64 rate and a 32-bit channel count after the v0 fields.
      out.sampleRate = Math.round(new DataView(d.buffer, d.byteOffset + entry.start + 32, 8).getFloat64(0));
      out.channels = u32(d, entry.start + 40);
    }
    const skip = AUDIO_ENTRY + (version === 1 ? 16 : version === 2 ? 36 : 0);
    for (const b of boxes(d, entry.start + skip, entry.end)) {
      if (b.type === 'esds') {
        const es = esdsInfo(d, b);
        if (es.codec) out.codec = es.codec;
        if (es.bitrate) out.bitrate = es.bitrate;
        if (es.sampleRate) out.sampleRate = es.sampleRate;
        if (es.channels) out.channels = es.channels;
      } else if (b.type === 'btrt' && b.end - b.start >= 12) out.bitrate = u32(d, b.start + 8) || out.bitrate;
    }
  }
  return out;
}

/** The fields that have a value (so that spreading them keeps EMPTY_TRACK's nulls and key order). */
const definedOf = (g: Gathered): Partial<TrackInfo> => Object.fromEntries(Object.entries(g).filter(([k, v]) => v !== undefined && k !== 'codec'));

/** Sample count and total bytes from stsz (or stz2's count). */
function sampleSizes(d: Uint8Array, stbl: BoxSpan | undefined): { count: number; bytes: number | undefined } | undefined {
  const stsz = child(d, stbl, 'stsz');
  if (stsz && stsz.end - stsz.start >= 12) {
    const size = u32(d, stsz.start + 4);
    const count = u32(d, stsz.start + 8);
    if (size) return { count, bytes: size * count };
    let bytes = 0;
    const n = Math.min(count, (stsz.end - stsz.start - 12) >> 2);
    for (let i = 0; i < n; i++) bytes += u32(d, stsz.start + 12 + 4 * i);
    return { count, bytes: n === count ? bytes : undefined };
  }
  const stz2 = child(d, stbl, 'stz2');
  if (stz2 && stz2.end - stz2.start >= 12) return { count: u32(d, stz2.start + 8), bytes: undefined };
  return undefined;
}

/** `timescale/delta` when every sample lasts the same (stts with one entry). */
function constantRate(d: Uint8Array, stbl: BoxSpan | undefined, timescale: number): string | null {
  const stts = child(d, stbl, 'stts');
  if (!stts || stts.end - stts.start < 16 || u32(d, stts.start + 4) !== 1) return null;
  const delta = u32(d, stts.start + 12);
  return delta > 0 && timescale > 0 ? ratio(timescale, delta, '/') : null;
}

/**
 * Every track of an ISO BMFF / QuickTime movie, from its `moov` box (`moov` is the whole box, header
 * included): id, type, codec and what the sample entry, its configuration record (avcC's SPS, hvcC),
 * pasp, fiel, btrt/esds and the sample table tell. Damaged boxes end the walk where they start; what was
 * read before stays.
 */
export function isoBmffTracks(moov: Uint8Array): TrackInfo[] {
  const top = boxes(moov, 0, moov.length).find((b) => b.type === 'moov');
  if (!top) return [];
  const fragmented = child(moov, top, 'mvex') !== undefined;
  const mvhd = child(moov, top, 'mvhd');
  const movieScale = mvhd && mvhd.end - mvhd.start >= 24 ? u32(moov, mvhd.start + (moov[mvhd.start] === 1 ? 20 : 12)) : 0;
  const out: TrackInfo[] = [];
  for (const trak of boxes(moov, top.start, top.end)) {
    if (trak.type !== 'trak') continue;
    const tkhd = child(moov, trak, 'tkhd');
    if (!tkhd || tkhd.end - tkhd.start < 24) continue;
    const id = u32(moov, tkhd.start + (moov[tkhd.start] === 1 ? 20 : 12));
    const mdia = child(moov, trak, 'mdia');
    const hdlr = child(moov, mdia, 'hdlr');
    const handler = hdlr && hdlr.end - hdlr.start >= 12 ? fourcc(moov, hdlr.start + 8) : '????';
    const type = TYPES_BY_HANDLER[handler] ?? 'data';
    const mdhd = child(moov, mdia, 'mdhd');
    let timescale = 0;
    let duration: number | null = null;
    const v1 = mdhd !== undefined && moov[mdhd.start] === 1;
    if (mdhd && mdhd.end - mdhd.start >= (v1 ? 32 : 20)) {
      timescale = u32(moov, mdhd.start + (v1 ? 20 : 12));
      const ticks = v1 ? u64(moov, mdhd.start + 24) : u32(moov, mdhd.start + 16);
      // All ones: unknown (fragmented files often say so).
      const unknown = v1 ? u32(moov, mdhd.start + 24) === 0xffffffff && u32(moov, mdhd.start + 28) === 0xffffffff : ticks === 0xffffffff;
      if (timescale > 0 && ticks > 0 && !unknown) duration = Math.round((ticks * 1e9) / timescale);
    }
    const stbl = path(moov, mdia, 'minf', 'stbl');
    const stsd = child(moov, stbl, 'stsd');
    const entry = stsd ? boxes(moov, stsd.start + 8, stsd.end)[0] : undefined;
    const info = entry ? sampleEntryInfo(moov, entry, type) : { codec: 'none' };
    const sizes = fragmented ? undefined : sampleSizes(moov, stbl);
    const frames = sizes && sizes.count > 0 ? sizes.count : null;
    const bitrate =
      info.bitrate ??
      (sizes?.bytes !== undefined && duration !== null && duration > 0 && sizes.count > 0 ? Math.round((sizes.bytes * 8 * 1e9) / duration) : null);
    // An audio track's edit list leaves its priming (and padding) out of what is presented: ffprobe's duration
    // then (its bitrate stays the media's). A video edit only rounds the media duration to the movie timescale.
    const edited = fragmented || type !== 'audio' ? undefined : editedDuration(moov, path(moov, trak, 'edts', 'elst'), movieScale);
    if (edited !== undefined && (duration === null || edited < duration)) duration = edited;
    out.push({
      id,
      type,
      codec: info.codec,
      fourcc: entry?.type ?? null,
      ...EMPTY_TRACK,
      ...definedOf(info),
      // The sample table's rate (the VUI's may count fields); the VUI's where durations vary or are elsewhere.
      framerate: type === 'video' ? constantRate(moov, stbl, timescale) ?? info.framerate ?? null : null,
      bitrate,
      duration,
      frames,
    });
  }
  return out;
}
