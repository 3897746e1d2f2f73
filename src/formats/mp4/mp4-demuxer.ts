import { SECOND, ticksToNs } from '../../time';
import { parseAudioSpecificConfig, parseDOps, parseEsds, type EsdsInfo } from './audio-config';
import { parseAvcDecoderConfig, type AvcDecoderConfig } from './avcc';
import { ByteQueue } from './byte-queue';
import { Mp4Error } from './errors';
import { child, path, type AudioSampleEntry, type AvcSampleEntry, type Box, type ContainerBox, type TrexBox } from './isobmff-boxes';
import { IncrementalBoxReader, parseBoxTolerant, type BoxDamage, type BoxHeader, type TopLevelBox } from './isobmff-reader';
import { expandFragment, expandSampleTable, type SampleBatch } from './sample-table';

export interface Mp4DemuxerOptions {
  /**
   * Most bytes held at once (default 1 GiB), counted as memory (`bufferedBytes`), not as chunks. Only a file
   * with its moov after the mdat, read as a stream, needs more than a fragment or a sample: the whole mdat
   * is held until the moov arrives, and past this limit the demuxer stops with a 'too-large' error.
   */
  readonly maxBufferBytes?: number;
  /** Largest moov or moof accepted (default 256 MiB): a garbage size must not make us buffer forever. */
  readonly maxBoxSize?: number;
  /** Track to read by id (as `track: id`); default the first H.264 video track. */
  readonly trackId?: number;
  /**
   * Tracks to read: the first H.264 video track ('video', the default), the first AAC or Opus track
   * ('audio'), one by its tkhd track_ID, or every readable track ('all'), interleaved in file order.
   */
  readonly track?: Mp4TrackSelection;
}

export type Mp4TrackSelection = 'video' | 'audio' | 'all' | number;

export interface Mp4VideoTrack {
  readonly kind: 'video';
  readonly trackId: number;
  readonly codec: 'avc1' | 'avc3';
  /** The avcC payload (AVCDecoderConfigurationRecord). */
  readonly codecPrivate: Uint8Array;
  readonly config: AvcDecoderConfig;
  readonly width: number;
  readonly height: number;
  readonly pixelAspectRatio?: { readonly num: number; readonly den: number };
  readonly timescale: number;
  /** From the most common sample duration; 0/1 when the rate varies or there are no samples. */
  readonly framerate: { readonly num: number; readonly den: number };
  /** Whether samples come in movie fragments. */
  readonly fragmented: boolean;
  /** Presentation duration (ns) that the moov announces, when it does. */
  readonly duration?: number;
}

/** An AAC (`mp4a` + `esds`) or Opus (`Opus` + `dOps`) track. */
export interface Mp4AudioTrack {
  readonly kind: 'audio';
  readonly trackId: number;
  readonly codec: 'mp4a' | 'Opus';
  /** AAC: the AudioSpecificConfig; Opus: the dOps payload. */
  readonly codecPrivate: Uint8Array;
  /** What the esds says (AAC only): bitrates and buffer size, kept for a remux. */
  readonly esds?: EsdsInfo;
  /** AAC: the AudioSpecificConfig's audio object type (2 = LC). */
  readonly objectType?: number;
  /** Hz: the AudioSpecificConfig's (AAC) or dOps' input rate (Opus), else the sample entry's. */
  readonly sampleRate: number;
  readonly channels: number;
  /** Opus: samples at 48 kHz the decoder drops first. */
  readonly preSkip?: number;
  readonly timescale: number;
  readonly fragmented: boolean;
  readonly duration?: number;
}

export type Mp4Track = Mp4VideoTrack | Mp4AudioTrack;

export interface Mp4DemuxedSample {
  /** The track (tkhd track_ID) the sample belongs to. */
  readonly trackId: number;
  /** A view of the input when the sample lies in one input chunk, else a copy (`copied`). */
  readonly data: Uint8Array;
  readonly copied: boolean;
  /** Presentation time (ns), edit list applied. */
  readonly pts: number;
  readonly dts: number;
  readonly duration: number;
  readonly keyframe: boolean;
  /** Absolute file offset of the sample. */
  readonly offset: number;
}

export type Mp4DemuxEvent =
  | { readonly kind: 'track'; readonly track: Mp4Track }
  | { readonly kind: 'sample'; readonly sample: Mp4DemuxedSample }
  /**
   * Not fatal: a damaged part that was skipped (another track's broken sample description, a damaged
   * udta…); reading goes on. `trackId` names the track it belongs to, when known.
   */
  | {
      readonly kind: 'warning';
      readonly error: Mp4Error;
      readonly trackId?: number;
    }
  /** Fatal: nothing follows but 'end'. Samples before it were good. */
  | { readonly kind: 'error'; readonly error: Mp4Error }
  | { readonly kind: 'end' };

/** Top-level boxes parsed whole; everything else (mdat, free, sidx, …) streams past. */
const WANTED = new Set(['moov', 'moof']);

/**
 * Boxes a track cannot be read without: damage to one of these skips the track; damage elsewhere in it
 * (udta, sgpd, btrt…) is reported and ignored.
 */
const ESSENTIAL = new Set([
  '?',
  'tkhd',
  'edts',
  'elst',
  'mdia',
  'mdhd',
  'hdlr',
  'minf',
  'stbl',
  'stsd',
  'avc1',
  'avc3',
  'avcC',
  'mp4a',
  'Opus',
  'esds',
  'dOps',
  'stts',
  'ctts',
  'stss',
  'stsc',
  'stsz',
  'stz2',
  'stco',
  'co64',
]);

/**
 * Input chunks shorter than this are copied together into 64 KiB slabs: each chunk held costs an object
 * beside its bytes, so a moov-last file pushed a byte at a time took 150 times its size.
 */
const COALESCE_BELOW = 4096;

interface EditShift {
  /** Track ticks subtracted from every time (the first edit's media_time). */
  readonly mediaTime: number;
  /** Leading empty edits (ns). */
  readonly delay: number;
}

/** A track being read: what it is, and where its samples stand. */
interface TrackState {
  readonly info: Omit<Mp4VideoTrack, 'framerate'> | Mp4AudioTrack;
  readonly edit: EditShift;
  readonly batches: SampleBatch[];
  announced: boolean;
  nextDecodeTime: number;
  /** Ticks every dts is moved back by: minus the progressive table's most negative composition offset. */
  dtsShift: number;
  /** Ticks every pts is moved on by, where a fragment's offsets reach back further than `dtsShift`. */
  ptsShift: number;
}

/**
 * The MP4 demuxer as a state machine: `push` bytes, `end` (or `stop`), and take events from `next` until it
 * answers undefined (needs more bytes) or 'end'. It never throws and never waits on anything: garbage and
 * truncation come out as an 'error' event after every sample that could be read; damage confined to
 * another track (or to a box the track does not need) as a 'warning' event, and reading goes on.
 *
 * Reads progressive files (moov before or after the mdat; with moov after, the mdat is held until the
 * moov arrives, within `maxBufferBytes`) and fragmented ones (moof + mdat, trex/tfhd defaults, base data
 * offset rules, tfdt), applying the edit list's media time and leading empty edits to pts and dts.
 * Negative composition offsets (ctts/trun version 1, CMAF) are shifted as ffmpeg shifts them, so that
 * pts ≥ dts: a progressive table moves dts back by its most negative offset; fragments whose offsets
 * reach further back move pts forward (as ffmpeg and qtdemux read an ffmpeg `-movflags cmaf` file).
 */
export class Mp4Demuxer {
  private readonly queue = new ByteQueue({ coalesceBelow: COALESCE_BELOW });
  private readonly reader: IncrementalBoxReader;
  private readonly maxBuffer: number;
  private readonly want: Mp4TrackSelection;
  private readonly events: Mp4DemuxEvent[] = [];
  private readonly tracks: TrackState[] = [];
  private state: 'running' | 'failed' | 'done' = 'running';
  private ended = false;
  /** The input was stopped on purpose (`stop`): no truncation is reported. */
  private stopped = false;
  private moovSeen = false;
  private mdatSeen = false;
  /** Before the moov arrives, everything from the first mdat on is kept. */
  private holdFrom: number | undefined;
  private readonly trex = new Map<number, TrexBox>();
  /** Tracks already warned about in fragments (once each, not per fragment). */
  private readonly warned = new Set<number | undefined>();
  private lastStreamed: BoxHeader | undefined;
  private samplesOut = 0;

  constructor(options: Mp4DemuxerOptions = {}) {
    const { maxBufferBytes = 2 ** 30, maxBoxSize = 256 * 2 ** 20, trackId } = options;
    const track = options.track ?? trackId ?? 'video';
    if (!(maxBufferBytes > 0)) throw new Mp4Error('invalid-argument', `maxBufferBytes must be positive, got ${maxBufferBytes}`);
    if (!(maxBoxSize > 0)) throw new Mp4Error('invalid-argument', `maxBoxSize must be positive, got ${maxBoxSize}`);
    for (const id of [trackId, typeof track === 'number' ? track : undefined])
      if (id !== undefined && !(Number.isInteger(id) && id > 0)) throw new Mp4Error('invalid-argument', `trackId must be a positive integer, got ${id}`);
    if (typeof track !== 'number' && track !== 'video' && track !== 'audio' && track !== 'all')
      throw new Mp4Error('invalid-argument', `track must be video, audio, all or a track id, got ${String(track)}`);
    if (trackId !== undefined && options.track !== undefined && options.track !== trackId)
      throw new Mp4Error('invalid-argument', `trackId ${trackId} and track ${String(options.track)} disagree`);
    this.maxBuffer = maxBufferBytes;
    this.want = track;
    this.reader = new IncrementalBoxReader(this.queue, {
      wanted: WANTED,
      maxBoxSize,
    });
  }

  /** Hands in the next bytes of the file (kept as given: sample views point into them). */
  push(chunk: Uint8Array): void {
    if (this.ended || this.state !== 'running') return;
    this.queue.push(chunk);
  }

  /** The input is over. */
  end(): void {
    this.ended = true;
  }

  /**
   * The input stops here on purpose (a graceful early stop, Ctrl-C, a frame limit), which is not a cut file:
   * nothing more is read and the next event is 'end' (after an error or warning already found), with no
   * truncation reported.
   */
  stop(): void {
    this.ended = true;
    this.stopped = true;
  }

  /** Total bytes pushed. */
  get bytesIn(): number {
    return this.queue.end;
  }

  /**
   * Memory held for input now (bytes held plus per-chunk overhead; small chunks are coalesced), which
   * `maxBufferBytes` bounds.
   */
  get bufferedBytes(): number {
    return this.queue.retained;
  }

  /** The next event, or undefined when more input is needed. */
  next(): Mp4DemuxEvent | undefined {
    for (;;) {
      if (this.events.length) return this.events.shift();
      if (this.state === 'done') return { kind: 'end' };
      if (this.state === 'failed') {
        this.state = 'done';
        continue;
      }
      if (this.stopped) {
        this.state = 'done';
        this.dropBatches();
        this.queue.release(this.queue.end);
        continue;
      }
      const sample = this.takeSample();
      if (sample === 'error') continue;
      if (sample) return { kind: 'sample', sample };
      const box = this.reader.next();
      if (box instanceof Mp4Error) {
        this.fail(box);
        continue;
      }
      if (box === 'more') {
        const held = this.queue.retained;
        if (held > this.maxBuffer) {
          this.fail(
            new Mp4Error(
              'too-large',
              this.moovSeen
                ? `holding ${held} bytes, more than maxBufferBytes (${this.maxBuffer})`
                : `holding ${held} bytes waiting for the moov, more than maxBufferBytes (${this.maxBuffer}): the moov comes after the mdat, so a stream must be held until it arrives; write files with the moov first (faststart) or raise the limit (mp4Demux max-buffer-bytes)`
            )
          );
          continue;
        }
        if (!this.ended) return undefined;
        const last = this.reader.finishOpenEnded();
        if (last) {
          this.handleBox(last);
          continue;
        }
        this.finish();
        continue;
      }
      this.handleBox(box);
    }
  }

  private fail(error: Mp4Error): void {
    this.events.push({ kind: 'error', error });
    this.state = 'failed';
    this.dropBatches();
    // Nothing more is read: the held bytes (a whole mdat, perhaps) can go now.
    this.queue.release(this.queue.end);
  }

  private dropBatches(): void {
    for (const t of this.tracks) t.batches.length = 0;
  }

  /** Keeps only the bytes still needed: the next box, every track's next sample, or the held mdat. */
  private release(): void {
    let keep = this.reader.cursor;
    for (const t of this.tracks) {
      const b = t.batches[0];
      if (b) keep = Math.min(keep, b.offsets[b.next]);
    }
    if (this.holdFrom !== undefined) keep = Math.min(keep, this.holdFrom);
    this.queue.release(keep);
  }

  /** The track whose next sample comes first in the file: a stream is read in file order. */
  private nextTrack(): TrackState | undefined {
    let best: TrackState | undefined;
    let bestOff = Infinity;
    for (const t of this.tracks) {
      const b = t.batches[0];
      if (b && b.offsets[b.next] < bestOff) [best, bestOff] = [t, b.offsets[b.next]];
    }
    return best;
  }

  private takeSample(): Mp4DemuxedSample | 'error' | undefined {
    const t = this.nextTrack();
    if (!t) return undefined;
    const b = t.batches[0];
    const i = b.next;
    const off = b.offsets[i];
    const size = b.sizes[i];
    let data: Uint8Array;
    let copied = false;
    if (size === 0) {
      data = new Uint8Array(0);
    } else if (this.queue.has(off, size)) {
      ({ data, copied } = this.queue.read(off, size));
    } else {
      if (off < this.queue.start) {
        this.fail(
          new Mp4Error(
            'unsupported',
            `sample ${this.samplesOut} at byte ${off} lies before data already read past; sample data out of file order cannot be read from a stream`
          )
        );
        return 'error';
      }
      return undefined;
    }
    const { edit } = t;
    const { timescale } = t.info;
    const dt = b.dts[i] - edit.mediaTime - t.dtsShift;
    const dts = ticksToNs(dt, timescale) + edit.delay;
    const pts = ticksToNs(b.dts[i] - edit.mediaTime + b.cto[i] + t.ptsShift, timescale) + edit.delay;
    const duration = ticksToNs(dt + b.durations[i], timescale) + edit.delay - dts;
    b.next++;
    if (b.next === b.n) t.batches.shift();
    this.samplesOut++;
    this.release();
    return {
      trackId: t.info.trackId,
      data,
      copied,
      pts,
      dts,
      duration,
      keyframe: b.sync[i] === 1,
      offset: off,
    };
  }

  private handleBox(box: TopLevelBox): void {
    if (box.type === 'mdat') {
      this.mdatSeen = true;
      if (!this.moovSeen && this.holdFrom === undefined) this.holdFrom = box.start;
    }
    if (!box.bytes) {
      this.lastStreamed = box;
      this.release();
      return;
    }
    const r = parseBoxTolerant(box.bytes, box.start);
    if (r instanceof Mp4Error) return this.fail(r);
    const parsed = r.box;
    if (parsed.type === 'moov') {
      if (this.moovSeen) return this.fail(new Mp4Error('invalid-data', 'a second moov box', box.start));
      this.moovSeen = true;
      this.holdFrom = undefined;
      this.handleMoov(parsed, r.damage);
    } else if (parsed.type === 'moof') {
      if (!this.moovSeen) return this.fail(new Mp4Error('invalid-data', 'moof before moov', box.start));
      this.handleMoof(parsed, box.start, r.damage);
    }
    if (this.state === 'running') this.release();
  }

  private warn(error: Mp4Error, trackId?: number): void {
    this.events.push({ kind: 'warning', error, trackId });
  }

  private handleMoov(moov: ContainerBox, damage: readonly BoxDamage[]): void {
    const unitDamage = new Map<Box | undefined, BoxDamage[]>();
    for (const d of damage) unitDamage.set(d.unit, [...(unitDamage.get(d.unit) ?? []), d]);
    const seen: string[] = [];
    // Damage outside any track: the movie header, metadata, or a trak too broken to tell whose it is.
    for (const d of unitDamage.get(undefined) ?? []) {
      // Without trex the fragments' defaults are unknown: no track's samples could be placed.
      if (d.type === 'mvex' || d.type === 'trex') return this.fail(new Mp4Error('invalid-data', `moov: damaged '${d.type}' box: ${d.error.message}`));
      if (d.type === 'trak') seen.push(`a damaged track (${d.error.message})`);
      this.warn(new Mp4Error('invalid-data', `moov: damaged '${d.type}' box skipped: ${d.error.message}`));
    }
    const mvhd = child(moov, 'mvhd');
    const movieScale = mvhd && mvhd.timescale > 0 ? mvhd.timescale : 1000;
    for (const b of path(moov, 'mvex')?.children ?? []) if (b.type === 'trex') this.trex.set(b.trackId, b);
    const fragmented = path(moov, 'mvex') !== undefined;
    // Every track's damage is told, whichever track is read; a track missing a box it needs is skipped.
    const usable: ContainerBox[] = [];
    for (const trak of moov.children) {
      if (trak.type !== 'trak') continue;
      const tkhd = child(trak, 'tkhd');
      const hdlr = child(path(trak, 'mdia'), 'hdlr');
      const entry = child(path(trak, 'mdia', 'minf', 'stbl'), 'stsd')?.entries[0];
      const fourcc = entry ? (entry.type === 'raw' ? entry.fourcc : entry.type) : 'none';
      const name = `track ${tkhd?.trackId ?? '?'} '${hdlr?.handlerType ?? '?'}'`;
      const hurt = unitDamage.get(trak) ?? [];
      const fatal = hurt.find((d) => ESSENTIAL.has(d.type));
      for (const d of hurt) {
        this.warn(
          new Mp4Error(
            'invalid-data',
            `${name}: damaged '${d.type}' box ${fatal ? 'makes the track unreadable; track skipped' : 'skipped'}: ${d.error.message}`
          ),
          tkhd?.trackId
        );
      }
      if (fatal) {
        seen.push(`${name} damaged (${fatal.type}: ${fatal.error.message})`);
        continue;
      }
      seen.push(`${name} ${fourcc}`);
      usable.push(trak as ContainerBox);
    }
    for (const trak of usable) {
      const tkhd = child(trak, 'tkhd');
      const mdhd = child(path(trak, 'mdia'), 'mdhd');
      const hdlr = child(path(trak, 'mdia'), 'hdlr');
      const stbl = path(trak, 'mdia', 'minf', 'stbl');
      const entry = child(stbl, 'stsd')?.entries[0];
      if (!tkhd || !mdhd || !stbl || !entry) continue;
      const handler = hdlr?.handlerType;
      const want = this.want;
      if (typeof want === 'number' ? tkhd.trackId !== want : want === 'video' ? handler !== 'vide' : want === 'audio' ? handler !== 'soun' : false) continue;
      const video = entry.type === 'avc1' || entry.type === 'avc3';
      const audio = entry.type === 'mp4a' || entry.type === 'Opus';
      if (!video && !audio) {
        // Reading every track: one we cannot read is said, not fatal (the others still go out).
        if (want === 'all')
          this.warn(
            new Mp4Error('unsupported', `track ${tkhd.trackId} (${fourccOfEntry(entry)}) skipped: glass2glass reads H.264, AAC and Opus`),
            tkhd.trackId
          );
        continue;
      }
      if (!(mdhd.timescale > 0 && mdhd.timescale < 1e9)) return this.fail(new Mp4Error('invalid-data', `track ${tkhd.trackId}: timescale ${mdhd.timescale}`));
      const durationMovie = mvhd?.duration ?? 0;
      const common = {
        trackId: tkhd.trackId,
        timescale: mdhd.timescale,
        fragmented,
        duration: durationMovie > 0 && durationMovie !== 0xffffffff ? movieTicksToNs(durationMovie, movieScale) : undefined,
      };
      const info = video ? videoInfo(entry as AvcSampleEntry, tkhd, common) : audioInfo(entry as AudioSampleEntry, common);
      if (info instanceof Mp4Error) return this.fail(info);
      const table = expandSampleTable(stbl);
      if (table instanceof Mp4Error) return this.fail(table);
      let minCto = 0;
      for (let i = 0; i < table.n; i++) if (table.cto[i] < minCto) minCto = table.cto[i];
      const t: TrackState = { info, edit: this.editShift(trak, movieScale), batches: [], announced: false, nextDecodeTime: 0, dtsShift: -minCto, ptsShift: 0 };
      this.tracks.push(t);
      if (table.n > 0) t.batches.push(table);
      if (table.n > 0 || !fragmented) this.announce(t, table);
      if (want !== 'all') return;
    }
    if (this.tracks.length) return;
    const what =
      typeof this.want === 'number'
        ? `no H.264, AAC or Opus track with id ${this.want}`
        : this.want === 'audio'
        ? 'no AAC or Opus audio track'
        : this.want === 'all'
        ? 'no H.264, AAC or Opus track'
        : 'no H.264 video track';
    this.fail(new Mp4Error('unsupported', `${what} (found: ${seen.join(', ') || 'no tracks'})`));
  }

  /** The first edit's media time and any leading empty edits; later edits (cuts) are not applied. */
  private editShift(trak: ContainerBox, movieScale: number): EditShift {
    const elst = child(path(trak, 'edts'), 'elst');
    let delay = 0;
    for (const e of elst?.entries ?? []) {
      if (e.mediaTime === -1) {
        delay += movieTicksToNs(e.segmentDuration, movieScale);
        continue;
      }
      return { mediaTime: e.mediaTime, delay };
    }
    return { mediaTime: 0, delay };
  }

  private announce(t: TrackState, batch: SampleBatch): void {
    if (t.announced) return;
    t.announced = true;
    const track: Mp4Track = t.info.kind === 'video' ? { ...t.info, framerate: framerateOf(batch, t.info.timescale) } : t.info;
    this.events.push({ kind: 'track', track });
  }

  private handleMoof(moof: ContainerBox, start: number, damage: readonly BoxDamage[]): void {
    if (!this.tracks.length) return;
    const ours = new Set(this.tracks.map((t) => t.info.trackId));
    const skip = new Set<Box>();
    for (const d of damage) {
      const owner = d.unit && child(d.unit, 'tfhd')?.trackId;
      const harmless = d.unit ? owner !== undefined && !ours.has(owner) : d.type !== 'traf' && d.type !== '?';
      if (!harmless)
        return this.fail(
          new Mp4Error('invalid-data', `movie fragment: damaged '${d.type}' box${owner !== undefined ? ` of track ${owner}` : ''}: ${d.error.message}`, start)
        );
      if (d.unit) skip.add(d.unit);
      if (this.warned.has(owner)) continue;
      this.warned.add(owner);
      this.warn(
        new Mp4Error(
          'invalid-data',
          `movie fragment: damaged '${d.type}' box${owner === undefined ? '' : ` of track ${owner}`} skipped (said once): ${d.error.message}`,
          start
        ),
        owner
      );
    }
    for (const t of this.tracks) {
      const r = expandFragment(moof, start, t.info.trackId, this.trex, t.nextDecodeTime, skip);
      if (r instanceof Mp4Error) return this.fail(r);
      t.nextDecodeTime = r.nextDecodeTime;
      for (const b of r.batches) {
        // Offsets reaching back past the dts shift move pts on (ffmpeg's dts_shift, applied to pts).
        for (let i = 0; i < b.n; i++) if (-b.cto[i] - t.dtsShift > t.ptsShift) t.ptsShift = -b.cto[i] - t.dtsShift;
        this.announce(t, b);
        t.batches.push(b);
      }
    }
  }

  /** Input over and nothing more to read: say what, if anything, is missing. */
  private finish(): void {
    this.state = 'done';
    const q = this.queue;
    const eof = q.end;
    let lost = 0;
    for (const t of this.tracks) for (const b of t.batches) lost += b.n - b.next;
    const lostText = lost ? `; ${lost} sample${lost === 1 ? '' : 's'} announced after the cut ${lost === 1 ? 'is' : 'are'} lost` : '';
    const pending = this.reader.pending;
    let why: string | undefined;
    if (pending) {
      why = `inside the '${pending.type}' box at byte ${pending.start} (${pending.size === Infinity ? 'open-ended' : `${pending.size} bytes`})`;
    } else if (this.reader.cursor < eof) {
      why = `${eof - this.reader.cursor} stray bytes at byte ${this.reader.cursor}, too few for a box header`;
    } else if (this.reader.cursor > eof && this.lastStreamed && this.lastStreamed.size !== Infinity) {
      why = `inside the '${this.lastStreamed.type}' box at byte ${this.lastStreamed.start} (${this.lastStreamed.size} bytes)`;
    } else if (lost) {
      why = 'before the sample data';
    }
    this.dropBatches();
    q.release(eof);
    if (!this.moovSeen) {
      if (eof === 0) {
        this.events.push({
          kind: 'error',
          error: new Mp4Error('invalid-data', 'empty input: not an MP4 file'),
        });
        return;
      }
      const code = this.mdatSeen || why ? 'truncated' : 'invalid-data';
      this.events.push({
        kind: 'error',
        error: new Mp4Error(
          code,
          `no moov box in ${eof} bytes${this.mdatSeen ? ' (the file ends before its moov: incomplete recording?)' : ''}${why ? `; the file ends ${why}` : ''}`
        ),
      });
      return;
    }
    if (why)
      this.events.push({
        kind: 'error',
        error: new Mp4Error('truncated', `file truncated at byte ${eof}: it ends ${why}${lostText}; ${this.samplesOut} samples were read`),
      });
  }
}

/** Movie-timescale ticks to ns: unlike a track's, the movie timescale may be finer than 1 ns (mvhd's is any u32). */
function movieTicksToNs(ticks: number, scale: number): number {
  if (scale < SECOND) return ticksToNs(ticks, scale);
  return Number((BigInt(ticks) * BigInt(2 * SECOND) + BigInt(scale)) / (2n * BigInt(scale)));
}

/** The frame rate of a batch: timescale over its most common sample duration, reduced; 0/1 if none dominates. */
export function framerateOf(batch: SampleBatch, timescale: number): { num: number; den: number } {
  const counts = new Map<number, number>();
  const n = Math.min(batch.n, 10000);
  for (let i = 0; i < n; i++) counts.set(batch.durations[i], (counts.get(batch.durations[i]) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [d, c] of counts) if (c > bestCount) [best, bestCount] = [d, c];
  // The last sample's duration is often a guess, so one outlier of a few samples still counts as constant.
  if (best === 0 || bestCount < Math.max(1, n - 1) * 0.9) return { num: 0, den: 1 };
  const g = gcd(timescale, best);
  return { num: timescale / g, den: best / g };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function fourccOfEntry(entry: Box): string {
  return entry.type === 'raw' ? entry.fourcc : entry.type;
}

type Common = Pick<Mp4VideoTrack, 'trackId' | 'timescale' | 'fragmented' | 'duration'>;

function videoInfo(entry: AvcSampleEntry, tkhd: { width: number; height: number }, common: Common): Omit<Mp4VideoTrack, 'framerate'> | Mp4Error {
  const avcC = child(entry, 'avcC');
  if (!avcC) return new Mp4Error('invalid-data', `track ${common.trackId}: ${entry.type} sample entry without avcC`);
  const config = parseAvcDecoderConfig(avcC.data);
  if (config instanceof Mp4Error) return config;
  const pasp = child(entry, 'pasp');
  return {
    kind: 'video',
    ...common,
    codec: entry.type,
    codecPrivate: avcC.data,
    config,
    width: entry.width || Math.round(tkhd.width),
    height: entry.height || Math.round(tkhd.height),
    pixelAspectRatio: pasp && pasp.hSpacing > 0 && pasp.vSpacing > 0 ? { num: pasp.hSpacing, den: pasp.vSpacing } : undefined,
  };
}

/** An AAC or Opus track from its sample entry: rate and channels from the decoder config, which decoders follow. */
function audioInfo(entry: AudioSampleEntry, common: Common): Mp4AudioTrack | Mp4Error {
  const id = common.trackId;
  const raw = (fourcc: string): Uint8Array | undefined => {
    const b = entry.children.find((c) => c.type === 'raw' && c.fourcc === fourcc);
    return b?.type === 'raw' ? b.data : undefined;
  };
  if (entry.type === 'Opus') {
    const dOps = raw('dOps');
    if (!dOps) return new Mp4Error('invalid-data', `track ${id}: Opus sample entry without dOps`);
    const c = parseDOps(dOps);
    if (c instanceof Mp4Error) return new Mp4Error('invalid-data', `track ${id}: ${c.message}`);
    return { kind: 'audio', ...common, codec: 'Opus', codecPrivate: dOps, sampleRate: c.inputSampleRate || 48000, channels: c.channels, preSkip: c.preSkip };
  }
  const esdsData = raw('esds');
  if (!esdsData) return new Mp4Error('invalid-data', `track ${id}: mp4a sample entry without esds`);
  const esds = parseEsds(esdsData);
  if (esds instanceof Mp4Error) return new Mp4Error('invalid-data', `track ${id}: ${esds.message}`);
  const oti = esds.objectTypeIndication;
  if (oti !== 0x40 && oti !== 0x66 && oti !== 0x67 && oti !== 0x68)
    return new Mp4Error('unsupported', `track ${id}: mp4a with objectTypeIndication 0x${oti.toString(16)} is not AAC`);
  const asc = parseAudioSpecificConfig(esds.decoderSpecificInfo);
  if (asc instanceof Mp4Error) return new Mp4Error('invalid-data', `track ${id}: ${asc.message}`);
  return {
    kind: 'audio',
    ...common,
    codec: 'mp4a',
    codecPrivate: esds.decoderSpecificInfo,
    esds,
    objectType: asc.objectType,
    sampleRate: asc.sampleRate,
    channels: asc.channels || entry.channelCount,
  };
}
