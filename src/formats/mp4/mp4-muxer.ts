import { SECOND, ticksToNs } from '../../time';
import { Mp4Error } from './errors';
import {
  SAMPLE_FLAGS_NON_SYNC,
  SAMPLE_FLAGS_SYNC,
  SAMPLE_NOT_DEPENDED_ON,
  type Box,
  type ContainerBox,
  type TfhdBox,
  type TfraEntry,
  type TrunBox,
} from './isobmff-boxes';
import { boxSize, mdatHeaderSize, serializeBoxes, writeMdatHeader } from './isobmff-writer';
import { FLAG_DROPPABLE, FLAG_SYNC, MuxTrack, sampleSize, U32, validateTrack, writeSample, type Mp4TrackConfig, type SampleData } from './mux-track';

export type { Mp4AudioTrackConfig, Mp4TrackConfig, Mp4VideoTrackConfig, SampleData } from './mux-track';

export interface Mp4MuxerOptions {
  /** ftyp + moov with mvex, then moof + mdat per fragment (default); false: progressive, moov first. */
  readonly fragmented?: boolean;
  /** A fragment is closed at the first keyframe once it holds at least this much (ns); 0: every keyframe. */
  readonly fragmentDuration?: number;
  /** Close a fragment once it holds this much (ns) even without a keyframe (low-latency chunks). */
  readonly maxFragmentDuration?: number;
  /** Write an mfra random-access index at the end of a fragmented file. */
  readonly mfra?: boolean;
  /** Progressive mode: a new chunk (stco entry) every this much of decode time (ns). */
  readonly chunkDuration?: number;
  /** Output each fragment (or the whole progressive file) as one contiguous buffer: one copy of the payload. */
  readonly contiguous?: boolean;
}

export interface Mp4MuxSample {
  readonly data: SampleData;
  /** Decode time (ns); defaults to pts, then to the previous sample's end. */
  readonly dts?: number;
  /** Presentation time (ns); defaults to dts. */
  readonly pts?: number;
  /** Duration (ns), used for the last sample only: others take the dts delta. */
  readonly duration?: number;
  readonly keyframe: boolean;
  /** Nothing references this sample (a disposable B frame). */
  readonly droppable?: boolean;
}

export type Mp4ChunkKind = 'init' | 'fragment' | 'sample' | 'index' | 'file';

/** A piece of the output file, in order; `data` of 'sample' chunks are the input payloads themselves. */
export interface Mp4Chunk {
  readonly data: Uint8Array;
  readonly kind: Mp4ChunkKind;
  /** Input decode time (ns) of the fragment's first sample; undefined for init, index and file chunks. */
  readonly time?: number;
  /** Duration (ns) of the fragment, on its 'fragment' chunk. */
  readonly duration?: number;
  /** The fragment starts with a sync sample (a random-access point of the stream of bytes). */
  readonly keyframe: boolean;
  /** The last chunk of a fragment, or of the file. */
  readonly last: boolean;
  /** Bytes copied to build this chunk (only with `contiguous`). */
  readonly copied: number;
}

/**
 * A media timescale for a frame rate: its numerator doubled until at least 10000 (as ffmpeg does: 30 fps
 * → 15360, 25 → 12800, 30000/1001 → 30000), so that every frame duration is a whole number of ticks;
 * 90000 when the rate is unknown or variable.
 */
export function chooseTimescale(framerate?: { readonly num: number; readonly den: number }): number {
  if (!framerate || framerate.num <= 0 || framerate.den <= 0 || !Number.isInteger(framerate.num)) return 90000;
  let ts = framerate.num;
  if (ts > 1_000_000) return 90000;
  while (ts < 10000) ts *= 2;
  return ts;
}

/**
 * The MP4 muxer as a state machine: samples in, chunks of the file out (sans-IO), for one or more tracks
 * (H.264, AAC, Opus; track ids 1…N in the order given). Fragmented mode emits the init segment once every
 * track has its first sample (the edit lists need each track's start) and then a fragment (one traf per
 * track holding samples) each time the reference track — the first video track, else the first — reaches
 * a keyframe past `fragmentDuration`; progressive mode keeps the samples (as views, no copies) and emits
 * ftyp + moov + mdat at `finish`, its chunks of every track interleaved by decode time.
 *
 * Timeline: each track's decode times count from its own first dts, and composition offsets are pts − dts
 * (signed: ctts and trun version 1 where present). Presentation time 0 is the reference track's earliest
 * pts (its first in fragmented mode): every track gets an edit list mapping that instant to its media
 * time, so ffprobe and qtdemux report the source's timestamps — an AAC track's priming (pts before 0)
 * stays before 0, and a track that starts later gets an empty edit. Fragmented files carry the edit in
 * the init segment with segment_duration 0 (it spans the fragments that follow).
 */
export class Mp4Muxer {
  readonly fragmented: boolean;
  private readonly tracks: MuxTrack[];
  /** The track whose keyframes cut fragments and whose timescale is the movie's. */
  private readonly ref: MuxTrack;
  private readonly fragmentDuration: number;
  private readonly maxFragmentDuration: number;
  private readonly mfra: boolean;
  private readonly chunkDuration: number;
  private readonly contiguous: boolean;
  /** Presentation time 0 (ns, input timeline), fixed with the init segment. */
  private zero: number | undefined;
  private initDone = false;
  /** Decode time (ns) of the reference track's first held sample: where the open fragment starts. */
  private fragmentStart: number | undefined;
  private sequence = 0;
  private bytesOut = 0;
  private readonly tfra: TfraEntry[] = [];
  private finished = false;
  private totalSamples = 0;

  constructor(tracks: Mp4TrackConfig | readonly Mp4TrackConfig[], options: Mp4MuxerOptions = {}) {
    const bad = (why: string): Mp4Error => new Mp4Error('invalid-argument', why);
    const list = Array.isArray(tracks) ? (tracks as readonly Mp4TrackConfig[]) : [tracks as Mp4TrackConfig];
    if (list.length === 0) throw bad('no tracks');
    for (const t of list) validateTrack(t);
    const nonNeg = (v: number | undefined, what: string): void => {
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw bad(`${what} must be a non-negative number of ns, got ${v}`);
    };
    nonNeg(options.fragmentDuration, 'fragmentDuration');
    nonNeg(options.maxFragmentDuration, 'maxFragmentDuration');
    nonNeg(options.chunkDuration, 'chunkDuration');
    this.tracks = list.map((t, i) => new MuxTrack(t, i + 1));
    this.ref = this.tracks.find((t) => t.isVideo) ?? this.tracks[0];
    this.fragmented = options.fragmented ?? true;
    this.fragmentDuration = options.fragmentDuration ?? SECOND;
    this.maxFragmentDuration = options.maxFragmentDuration || Infinity;
    this.mfra = options.mfra ?? false;
    this.chunkDuration = options.chunkDuration ?? SECOND;
    this.contiguous = options.contiguous ?? false;
  }

  /** Adds one sample (an H.264 access unit in AVC format, or an audio frame) to track `track` (index, from 0); returns the chunks complete now. */
  addSample(sample: Mp4MuxSample, track = 0): Mp4Chunk[] {
    if (this.finished) throw new Mp4Error('invalid-argument', 'addSample after finish');
    const t = this.tracks[track];
    if (!t) throw new Mp4Error('invalid-argument', `no track ${track} (the muxer has ${this.tracks.length})`);
    const size = sampleSize(sample.data);
    if (size > U32) throw new Mp4Error('invalid-argument', `sample of ${size} bytes is too large`);
    let dts = sample.dts ?? sample.pts;
    if (dts === undefined) dts = t.lastDts === undefined ? 0 : t.lastDts + (t.lastDelta ?? t.config.defaultSampleDuration ?? 0);
    const pts = sample.pts ?? dts;
    if (!Number.isFinite(dts) || !Number.isFinite(pts)) throw new Mp4Error('invalid-argument', `sample times must be finite (dts ${dts}, pts ${pts})`);
    if (t.lastDts !== undefined && dts < t.lastDts) {
      // Without dts the pts stand in, and B-frames' pts go back (RTP carries pts only): say so, not just the numbers.
      const why =
        sample.dts === undefined ? ' (the samples carry no dts and their pts go back: B-frames; give decode timestamps, or a stream without B-frames)' : '';
      throw new Mp4Error('invalid-argument', `track ${t.id}: decreasing dts: ${dts} ns after ${t.lastDts} ns${why}`);
    }
    if (pts < dts) throw new Mp4Error('invalid-argument', `pts ${pts} ns is before dts ${dts} ns`);
    const out: Mp4Chunk[] = [];
    if (t.origin === undefined) t.origin = dts;
    t.minPts = Math.min(t.minPts, pts);
    if (t.lastDts !== undefined) t.lastDelta = dts - t.lastDts;
    t.lastDts = dts;
    if (this.fragmented) {
      if (!this.initDone && this.tracks.every((x) => x.origin !== undefined)) out.push(this.initChunk());
      if (this.initDone && t === this.ref && this.fragmentStart !== undefined) {
        const held = dts - this.fragmentStart;
        if ((sample.keyframe && held >= this.fragmentDuration) || held >= this.maxFragmentDuration) this.flushFragment(dts, out);
      }
      if (t === this.ref && this.fragmentStart === undefined) this.fragmentStart = dts;
    }
    t.samples.push(dts, pts, sample.data, size, (sample.keyframe ? FLAG_SYNC : 0) | (sample.droppable ? FLAG_DROPPABLE : 0));
    t.lastDuration = sample.duration;
    t.total++;
    t.bytes += size;
    t.maxSize = Math.max(t.maxSize, size);
    this.totalSamples++;
    return out;
  }

  /** Ends the file: the last fragment (and mfra), or the whole progressive file. */
  finish(): Mp4Chunk[] {
    if (this.finished) return [];
    this.finished = true;
    const out: Mp4Chunk[] = [];
    if (!this.fragmented) return this.progressive();
    if (!this.initDone) out.push(this.initChunk());
    if (this.tracks.some((t) => t.samples.n > 0)) this.flushFragment(undefined, out);
    if (this.mfra) out.push(this.mfraChunk());
    return out;
  }

  /** Samples added so far. */
  get sampleCount(): number {
    return this.totalSamples;
  }

  /** One literal of one shape (no spread of options): a chunk per sample part is made thousands of times a file. */
  private chunk(data: Uint8Array, kind: Mp4ChunkKind, time: number | undefined, last: boolean, keyframe = false, duration?: number, copied = 0): Mp4Chunk {
    this.bytesOut += data.length;
    return { data, kind, time, duration, keyframe, last, copied };
  }

  /** A sample's 'sample' chunks: itself, or each of its parts (`last` on the last part of the last sample). */
  private sampleChunks(d: SampleData, time: number, last: boolean, out: Mp4Chunk[]): void {
    if (d instanceof Uint8Array) {
      out.push(this.chunk(d, 'sample', time, last));
      return;
    }
    for (let k = 0; k < d.length; k++) out.push(this.chunk(d[k], 'sample', time, last && k === d.length - 1));
  }

  /** Presentation time 0 on the input timeline: the reference track's earliest pts (or any track's, if it has none). */
  private presentationZero(): number {
    if (this.zero === undefined) {
      const withSamples = this.tracks.filter((t) => t.origin !== undefined);
      const earliest = this.ref.origin !== undefined ? this.ref.minPts : withSamples.length ? Math.min(...withSamples.map((t) => t.minPts)) : 0;
      // Audio before 0 is priming (AAC's first frame, Opus's pre-skip, as demuxers and encoders stamp it):
      // time 0 is where it ends, so an audio-only file keeps it out of the presentation too.
      this.zero = !this.ref.isVideo && earliest < 0 ? 0 : earliest;
    }
    return this.zero;
  }

  /** The movie timescale: the reference track's, so a lone video track's boxes are as before. */
  private get movieScale(): number {
    return this.ref.ts;
  }

  private movieTicks(ns: number): number {
    return Math.round((ns * this.movieScale) / SECOND);
  }

  /** A track's ticks in the movie timescale (the reference track's are unchanged). */
  private toMovie(t: MuxTrack, ticks: number): number {
    return t.ts === this.movieScale ? ticks : Math.round((ticks * this.movieScale) / t.ts);
  }

  /**
   * A track's edit list: presentation 0 maps to its media time of input time `zero`; a track whose first
   * pts comes later starts with an empty edit. The media time where presentation starts comes back, so
   * that the presented duration can be measured from it.
   */
  private editStart(t: MuxTrack): { mediaTime: number; delay: number } {
    if (t.origin === undefined) return { mediaTime: 0, delay: 0 };
    const zero = this.presentationZero();
    const delayNs = Math.max(0, t.minPts - zero);
    return { mediaTime: t.ticks(delayNs > 0 ? t.minPts : zero), delay: this.movieTicks(delayNs) };
  }

  /** The elst for `editStart`, presenting `segment` movie ticks (0: open-ended, fragmented). */
  private elst(start: { mediaTime: number; delay: number }, segment: number): Box | undefined {
    const { mediaTime, delay } = start;
    if (delay === 0 && mediaTime === 0) return undefined;
    const entries = [{ segmentDuration: segment, mediaTime, mediaRate: 1 }];
    if (delay > 0) entries.unshift({ segmentDuration: delay, mediaTime: -1, mediaRate: 1 });
    const wide = segment > U32 || delay > U32 || mediaTime > 0x7fffffff;
    return { type: 'elst', version: wide ? 1 : 0, entries };
  }

  private trak(t: MuxTrack, stbl: Box[], mediaDuration: number, presentation: number, elst: Box | undefined): ContainerBox {
    const v = (x: number): 0 | 1 => (x > U32 ? 1 : 0);
    const { width, height } = t.displaySize();
    const audio = !t.isVideo;
    return {
      type: 'trak',
      children: [
        {
          type: 'tkhd',
          version: v(presentation),
          flags: 3,
          creationTime: 0,
          modificationTime: 0,
          trackId: t.id,
          duration: presentation,
          width,
          height,
          ...(audio ? { volume: 1 } : {}),
        },
        ...(elst ? [{ type: 'edts', children: [elst] } as ContainerBox] : []),
        {
          type: 'mdia',
          children: [
            { type: 'mdhd', version: v(mediaDuration), creationTime: 0, modificationTime: 0, timescale: t.ts, duration: mediaDuration, language: 'und' },
            audio ? { type: 'hdlr', handlerType: 'soun', name: 'SoundHandler' } : { type: 'hdlr', handlerType: 'vide', name: 'VideoHandler' },
            {
              type: 'minf',
              children: [
                audio ? { type: 'smhd' } : { type: 'vmhd' },
                { type: 'dinf', children: [{ type: 'dref', entryCount: 1 }] },
                { type: 'stbl', children: [{ type: 'stsd', entries: [t.sampleEntry(mediaDuration ? (mediaDuration * SECOND) / t.ts : 0)] }, ...stbl] },
              ],
            },
          ],
        },
      ],
    };
  }

  private emptyTables(): Box[] {
    const none = new Uint32Array(0);
    return [
      { type: 'stts', sampleCounts: none, sampleDeltas: none },
      { type: 'stsc', firstChunk: none, samplesPerChunk: none, sampleDescriptionIndex: none },
      { type: 'stsz', sampleSize: 0, sampleCount: 0, entrySizes: none },
      { type: 'stco', chunkOffsets: new Float64Array(0) },
    ];
  }

  private initChunk(): Mp4Chunk {
    this.initDone = true;
    const moov: Box = {
      type: 'moov',
      children: [
        { type: 'mvhd', version: 0, creationTime: 0, modificationTime: 0, timescale: this.movieScale, duration: 0, nextTrackId: this.tracks.length + 1 },
        // Duration 0: the edit runs over whatever fragments follow (the total is not known yet).
        ...this.tracks.map((t) => this.trak(t, this.emptyTables(), 0, 0, this.elst(this.editStart(t), 0))),
        {
          type: 'mvex',
          children: this.tracks.map(
            (t): Box => ({
              type: 'trex',
              trackId: t.id,
              defaultSampleDescriptionIndex: 1,
              defaultSampleDuration: 0,
              defaultSampleSize: 0,
              defaultSampleFlags: SAMPLE_FLAGS_NON_SYNC,
            })
          ),
        },
      ],
    };
    const ftyp: Box = { type: 'ftyp', majorBrand: 'iso5', minorVersion: 512, compatibleBrands: ['iso5', 'iso6', 'avc1', 'mp41'] };
    return this.chunk(serializeBoxes([ftyp, moov]).bytes, 'init', undefined, false);
  }

  /** One track's traf for the held samples, which end at `endTicks`. */
  private traf(t: MuxTrack, endTicks: number): { tfhd: TfhdBox; trun: { -readonly [K in keyof TrunBox]: TrunBox[K] }; start: number; cto0: number } {
    const s = t.samples;
    const n = s.n;
    const dts = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) dts[i] = t.ticks(s.dts[i]);
    dts[n] = Math.max(endTicks, dts[n - 1] + 1);
    const durations = new Uint32Array(n);
    const cto = new Int32Array(n);
    let uniform = true;
    let anyCto = false;
    for (let i = 0; i < n; i++) {
      durations[i] = dts[i + 1] - dts[i];
      if (durations[i] !== durations[0]) uniform = false;
      cto[i] = t.ticks(s.pts[i]) - dts[i];
      if (cto[i] !== 0) anyCto = true;
    }
    const flags = new Uint32Array(n);
    for (let i = 0; i < n; i++) flags[i] = sampleFlags(s.flags[i]);
    let sameRest = true;
    for (let i = 2; i < n; i++) if (flags[i] !== flags[1]) sameRest = false;
    const tfhd: { -readonly [K in keyof TfhdBox]: TfhdBox[K] } = { type: 'tfhd', trackId: t.id, defaultBaseIsMoof: true };
    const trun: { -readonly [K in keyof TrunBox]: TrunBox[K] } = {
      type: 'trun',
      version: anyCto ? 1 : 0,
      sampleCount: n,
      dataOffset: 0,
      sizes: s.sizes.subarray(0, n),
    };
    if (uniform) tfhd.defaultSampleDuration = durations[0];
    else trun.durations = durations;
    if (n === 1) tfhd.defaultSampleFlags = flags[0];
    else if (sameRest) {
      tfhd.defaultSampleFlags = flags[1];
      if (flags[0] !== flags[1]) trun.firstSampleFlags = flags[0];
    } else trun.flags = flags;
    if (anyCto) trun.compositionOffsets = cto;
    return { tfhd, trun, start: dts[0], cto0: cto[0] };
  }

  /**
   * Emits every track's held samples as one moof (a traf per track) + mdat. `cutDts` is the decode time
   * (ns) of the reference sample that opens the next fragment: where the reference track's last sample
   * ends; other tracks' last samples end by their own duration.
   */
  private flushFragment(cutDts: number | undefined, out: Mp4Chunk[]): void {
    const held = this.tracks.filter((t) => t.samples.n > 0);
    const trafs = held.map((t) => this.traf(t, t === this.ref && cutDts !== undefined ? t.ticks(cutDts) : t.lastEndTicks()));
    const moofOf = (): Box => ({
      type: 'moof',
      children: [
        { type: 'mfhd', sequenceNumber: this.sequence + 1 },
        ...trafs.map((f): Box => ({ type: 'traf', children: [f.tfhd, { type: 'tfdt', version: 1, baseMediaDecodeTime: f.start }, f.trun] })),
      ],
    });
    const bytes = held.reduce((n, t) => n + t.samples.bytes, 0);
    const moofSize = boxSize(moofOf());
    const mdatHeader = mdatHeaderSize(bytes);
    // Each traf's data follows the previous one's in the mdat, in track order.
    let offset = moofSize + mdatHeader;
    for (let k = 0; k < held.length; k++) {
      trafs[k].trun.dataOffset = offset;
      offset += held[k].samples.bytes;
    }
    this.sequence++;
    const moofOffset = this.bytesOut;
    const refIndex = held.indexOf(this.ref);
    const lead = refIndex >= 0 ? this.ref : held[0];
    const keyframe = (lead.samples.flags[0] & FLAG_SYNC) !== 0;
    if (refIndex >= 0 && keyframe) {
      const f = trafs[refIndex];
      this.tfra.push({ time: f.start + f.cto0, moofOffset, trafNumber: refIndex + 1, trunNumber: 1, sampleNumber: 1 });
    }
    const time = lead.samples.dts[0];
    const endNs = cutDts ?? Math.max(...held.map((t) => t.origin! + ticksToNs(t.lastEndTicks(), t.ts)));
    const duration = endNs - time;
    const extra = this.contiguous ? bytes : 0;
    const { bytes: head, writer } = serializeBoxes([moofOf()], mdatHeader + extra);
    writeMdatHeader(writer, bytes);
    if (this.contiguous) {
      for (const t of held) for (const d of t.samples.data) writeSample(writer, d);
      out.push(this.chunk(head, 'fragment', time, true, keyframe, duration, bytes));
    } else {
      out.push(this.chunk(head, 'fragment', time, false, keyframe, duration));
      for (let k = 0; k < held.length; k++) {
        const s = held[k].samples;
        for (let i = 0; i < s.n; i++) this.sampleChunks(s.data[i], time, k === held.length - 1 && i === s.n - 1, out);
      }
    }
    for (const t of held) t.samples.clear();
    this.fragmentStart = undefined;
  }

  private mfraChunk(): Mp4Chunk {
    const wide = this.tfra.some((e) => e.time > U32 || e.moofOffset > U32);
    const tfra: Box = { type: 'tfra', version: wide ? 1 : 0, trackId: this.ref.id, entries: this.tfra };
    const size = 8 + boxSize(tfra) + 16;
    return this.chunk(serializeBoxes([{ type: 'mfra', children: [tfra, { type: 'mfro', size }] }]).bytes, 'index', undefined, true);
  }

  /** The whole progressive file: ftyp, moov (sample tables), mdat with every track's chunks interleaved by time. */
  private progressive(): Mp4Chunk[] {
    const tables = this.tracks.map((t) => progressiveTables(t, this.chunkDuration));
    // Chunks of all tracks in decode-time order (ties: track order), as ffmpeg interleaves them.
    const order: { track: number; chunk: number; time: number }[] = [];
    tables.forEach((tb, k) => tb.chunkFirst.forEach((first, c) => order.push({ track: k, chunk: c, time: this.tracks[k].samples.dts[first] })));
    order.sort((a, b) => a.time - b.time || a.track - b.track);
    const bytes = this.tracks.reduce((n, t) => n + t.samples.bytes, 0);
    const mdatHeader = mdatHeaderSize(bytes);
    const ftyp: Box = { type: 'ftyp', majorBrand: 'isom', minorVersion: 512, compatibleBrands: ['isom', 'iso2', 'avc1', 'mp41'] };
    const traks = this.tracks.map((t, k) => {
      const tb = tables[k];
      const start = this.editStart(t);
      const segment = this.toMovie(t, Math.max(0, tb.maxEnd - start.mediaTime));
      return { t, tb, elst: this.elst(start, segment), presentation: start.delay + segment };
    });
    const movie = Math.max(0, ...traks.map((x) => x.presentation));
    const build = (wide: boolean): Box[] => [
      ftyp,
      {
        type: 'moov',
        children: [
          {
            type: 'mvhd',
            version: movie > U32 ? 1 : 0,
            creationTime: 0,
            modificationTime: 0,
            timescale: this.movieScale,
            duration: movie,
            nextTrackId: this.tracks.length + 1,
          },
          ...traks.map((x) =>
            this.trak(x.t, [...x.tb.stbl, { type: wide ? 'co64' : 'stco', chunkOffsets: x.tb.chunkOffsets }], x.tb.mediaDuration, x.presentation, x.elst)
          ),
        ],
      },
    ];
    let head = build(false).reduce((a, b) => a + boxSize(b), 0) + mdatHeader;
    const wide = head + bytes > U32;
    if (wide) head = build(true).reduce((a, b) => a + boxSize(b), 0) + mdatHeader;
    // Chunk offsets: the payload follows the mdat header in chunk order.
    let pos = head;
    for (const o of order) {
      const tb = tables[o.track];
      tb.chunkOffsets[o.chunk] = pos;
      const s = this.tracks[o.track].samples;
      const endSample = o.chunk + 1 < tb.chunkFirst.length ? tb.chunkFirst[o.chunk + 1] : s.n;
      for (let i = tb.chunkFirst[o.chunk]; i < endSample; i++) pos += s.sizes[i];
    }
    const extra = this.contiguous ? mdatHeader + bytes : mdatHeader;
    const { bytes: file, writer } = serializeBoxes(build(wide), extra);
    writeMdatHeader(writer, bytes);
    const out: Mp4Chunk[] = [];
    const eachSample = (f: (d: SampleData, dts: number, last: boolean) => void): void => {
      order.forEach((o, c) => {
        const tb = tables[o.track];
        const s = this.tracks[o.track].samples;
        const endSample = o.chunk + 1 < tb.chunkFirst.length ? tb.chunkFirst[o.chunk + 1] : s.n;
        for (let i = tb.chunkFirst[o.chunk]; i < endSample; i++) f(s.data[i], s.dts[i], c === order.length - 1 && i === endSample - 1);
      });
    };
    if (this.contiguous) {
      eachSample((d) => writeSample(writer, d));
      out.push(this.chunk(file, 'file', undefined, true, true, undefined, bytes));
    } else {
      out.push(this.chunk(file, 'file', undefined, order.length === 0, true));
      eachSample((d, dts, last) => this.sampleChunks(d, dts, last, out));
    }
    for (const t of this.tracks) t.samples.clear();
    return out;
  }
}

function sampleFlags(f: number): number {
  return (f & FLAG_SYNC ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC) | (f & FLAG_DROPPABLE ? SAMPLE_NOT_DEPENDED_ON : 0);
}

/** A track's progressive sample tables (all but the chunk offsets, filled once the layout is known). */
function progressiveTables(t: MuxTrack, chunkDuration: number) {
  const s = t.samples;
  const n = s.n;
  const dts = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) dts[i] = t.ticks(s.dts[i]);
  dts[n] = n ? t.lastEndTicks() : 0;
  // stts and ctts as run-length tables, built in one pass.
  const sttsCounts: number[] = [];
  const sttsDeltas: number[] = [];
  const cttsCounts: number[] = [];
  const cttsOffsets: number[] = [];
  let maxEnd = 0;
  let anyCto = false;
  let negative = false;
  const sync: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = dts[i + 1] - dts[i];
    if (d > U32) throw new Mp4Error('invalid-argument', `track ${t.id}: sample ${i} lasts ${d} ticks, more than 32 bits hold`);
    const last = sttsDeltas.length - 1;
    if (last >= 0 && sttsDeltas[last] === d) sttsCounts[last]++;
    else {
      sttsCounts.push(1);
      sttsDeltas.push(d);
    }
    const cts = t.ticks(s.pts[i]);
    const off = cts - dts[i];
    if (off !== 0) anyCto = true;
    if (off < 0) negative = true;
    const lc = cttsOffsets.length - 1;
    if (lc >= 0 && cttsOffsets[lc] === off) cttsCounts[lc]++;
    else {
      cttsCounts.push(1);
      cttsOffsets.push(off);
    }
    maxEnd = Math.max(maxEnd, cts + d);
    if (s.flags[i] & FLAG_SYNC) sync.push(i + 1);
  }
  // Chunks: a new one every chunkDuration of decode time.
  const chunkFirst: number[] = [];
  let chunkStart = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0 || s.dts[i] - s.dts[chunkStart] >= chunkDuration) {
      chunkFirst.push(i);
      chunkStart = i;
    }
  }
  const stscFirst: number[] = [];
  const stscCount: number[] = [];
  for (let c = 0; c < chunkFirst.length; c++) {
    const count = (c + 1 < chunkFirst.length ? chunkFirst[c + 1] : n) - chunkFirst[c];
    if (stscCount.length === 0 || stscCount[stscCount.length - 1] !== count) {
      stscFirst.push(c + 1);
      stscCount.push(count);
    }
  }
  const stbl: Box[] = [{ type: 'stts', sampleCounts: Uint32Array.from(sttsCounts), sampleDeltas: Uint32Array.from(sttsDeltas) }];
  if (anyCto) stbl.push({ type: 'ctts', version: negative ? 1 : 0, sampleCounts: Uint32Array.from(cttsCounts), sampleOffsets: Int32Array.from(cttsOffsets) });
  if (sync.length !== n) stbl.push({ type: 'stss', sampleNumbers: Uint32Array.from(sync) });
  stbl.push({
    type: 'stsc',
    firstChunk: Uint32Array.from(stscFirst),
    samplesPerChunk: Uint32Array.from(stscCount),
    sampleDescriptionIndex: new Uint32Array(stscFirst.length).fill(1),
  });
  stbl.push({ type: 'stsz', sampleSize: 0, sampleCount: n, entrySizes: s.sizes.subarray(0, n) });
  return { stbl, chunkFirst, chunkOffsets: new Float64Array(chunkFirst.length), mediaDuration: dts[n] - (n ? dts[0] : 0), maxEnd };
}
