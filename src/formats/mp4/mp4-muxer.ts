import { nsToTicks, SECOND, ticksToNs } from '../../time';
import { parseAvcDecoderConfig } from './avcc';
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

/** The one video track of a muxed file. */
export interface Mp4VideoTrackConfig {
  /** `avc1`: parameter sets only in avcC; `avc3`: they may also be in-band. */
  readonly codec: 'avc1' | 'avc3';
  /** The AVCDecoderConfigurationRecord (avcC payload). */
  readonly codecPrivate: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Pixel aspect ratio; a `pasp` box is written when it is not 1/1. */
  readonly pixelAspectRatio?: { readonly num: number; readonly den: number };
  /** Media timescale (ticks per second); see `chooseTimescale`. */
  readonly timescale: number;
  /** Duration (ns) of the last sample when neither the packet nor a previous sample tells (1/framerate). */
  readonly defaultSampleDuration?: number;
}

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

/** A sample's bytes: one buffer, or parts whose concatenation it is (gathered: written as they are, no copy). */
export type SampleData = Uint8Array | readonly Uint8Array[];

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

const FLAG_SYNC = 1;
const FLAG_DROPPABLE = 2;
const U32 = 0xffffffff;

/** Bytes of a sample; throws on anything but a Uint8Array or an array of them. */
function sampleSize(d: SampleData): number {
  if (d instanceof Uint8Array) return d.length;
  if (!Array.isArray(d)) throw new Mp4Error('invalid-argument', 'sample data must be a Uint8Array or an array of them');
  let n = 0;
  for (const p of d) {
    if (!(p instanceof Uint8Array)) throw new Mp4Error('invalid-argument', 'sample data must be a Uint8Array or an array of them');
    n += p.length;
  }
  return n;
}

function writeSample(w: { bytes_(b: Uint8Array): void }, d: SampleData): void {
  if (d instanceof Uint8Array) w.bytes_(d);
  else for (const p of d) w.bytes_(p);
}

/** Growable per-sample columns: typed arrays, one per field, doubled when full. */
class SampleColumns {
  n = 0;
  dts = new Float64Array(64);
  pts = new Float64Array(64);
  sizes = new Uint32Array(64);
  flags = new Uint8Array(64);
  data: SampleData[] = [];
  bytes = 0;

  push(dts: number, pts: number, data: SampleData, size: number, flags: number): void {
    if (this.n === this.dts.length) {
      const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.dts = grow(this.dts);
      this.pts = grow(this.pts);
      this.sizes = grow(this.sizes);
      this.flags = grow(this.flags);
    }
    const i = this.n++;
    this.dts[i] = dts;
    this.pts[i] = pts;
    this.sizes[i] = size;
    this.flags[i] = flags;
    this.data.push(data);
    this.bytes += size;
  }

  clear(): void {
    this.n = 0;
    this.data = [];
    this.bytes = 0;
  }
}

/**
 * The MP4 muxer as a state machine: samples in, chunks of the file out (sans-IO). Fragmented mode emits
 * the init segment with the first sample and each fragment as soon as the sample after it arrives;
 * progressive mode keeps the samples (as views, no copies) and emits ftyp + moov + mdat at `finish`.
 *
 * Timeline: decode times count from the first sample's dts and composition offsets are pts − dts (signed:
 * ctts and trun version 1 where present); an edit list shifts the presentation so that the earliest pts
 * maps to 0, as ffmpeg does. Fragmented files carry it in the init segment with segment_duration 0 (the
 * edit spans the fragments that follow): ffmpeg and qtdemux then report the same pts as for the source.
 * (Shifting with negative offsets and no edit instead makes ffmpeg shift the pts of every frame.)
 */
export class Mp4Muxer {
  readonly fragmented: boolean;
  private readonly track: Mp4VideoTrackConfig;
  private readonly fragmentDuration: number;
  private readonly maxFragmentDuration: number;
  private readonly mfra: boolean;
  private readonly chunkDuration: number;
  private readonly contiguous: boolean;
  private readonly ts: number;
  private readonly samples = new SampleColumns();
  private origin: number | undefined;
  /** Composition time of the first sample, in ticks: the presentation shift. */
  private shift = 0;
  private lastDts: number | undefined;
  private lastDelta: number | undefined;
  /** The last sample's own duration (ns), if its packet had one. */
  private lastDuration: number | undefined;
  private sequence = 0;
  private bytesOut = 0;
  private readonly tfra: TfraEntry[] = [];
  private finished = false;
  private totalSamples = 0;

  constructor(track: Mp4VideoTrackConfig, options: Mp4MuxerOptions = {}) {
    const bad = (why: string): Mp4Error => new Mp4Error('invalid-argument', why);
    if (track.codec !== 'avc1' && track.codec !== 'avc3') throw bad(`codec must be avc1 or avc3, got ${String(track.codec)}`);
    if (!(track.codecPrivate instanceof Uint8Array)) throw bad('codecPrivate (avcC) must be a Uint8Array');
    const avcc = parseAvcDecoderConfig(track.codecPrivate);
    if (avcc instanceof Mp4Error) throw bad(avcc.message);
    for (const [k, v] of [['width', track.width], ['height', track.height]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 65535) throw bad(`${k} must be an integer in [0, 65535], got ${v}`);
    }
    if (!Number.isInteger(track.timescale) || track.timescale <= 0 || track.timescale > U32) throw bad(`timescale must be a positive 32-bit integer, got ${track.timescale}`);
    const par = track.pixelAspectRatio;
    if (par && (!Number.isInteger(par.num) || !Number.isInteger(par.den) || par.num <= 0 || par.den <= 0)) throw bad(`pixelAspectRatio must be positive integers, got ${par.num}/${par.den}`);
    const nonNeg = (v: number | undefined, what: string): void => {
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw bad(`${what} must be a non-negative number of ns, got ${v}`);
    };
    nonNeg(options.fragmentDuration, 'fragmentDuration');
    nonNeg(options.maxFragmentDuration, 'maxFragmentDuration');
    nonNeg(options.chunkDuration, 'chunkDuration');
    nonNeg(track.defaultSampleDuration, 'defaultSampleDuration');
    this.track = track;
    this.ts = track.timescale;
    this.fragmented = options.fragmented ?? true;
    this.fragmentDuration = options.fragmentDuration ?? SECOND;
    this.maxFragmentDuration = options.maxFragmentDuration || Infinity;
    this.mfra = options.mfra ?? false;
    this.chunkDuration = options.chunkDuration ?? SECOND;
    this.contiguous = options.contiguous ?? false;
  }

  /** Adds one sample (an access unit in AVC format); returns the chunks that are complete now. */
  addSample(sample: Mp4MuxSample): Mp4Chunk[] {
    if (this.finished) throw new Mp4Error('invalid-argument', 'addSample after finish');
    const size = sampleSize(sample.data);
    if (size > U32) throw new Mp4Error('invalid-argument', `sample of ${size} bytes is too large`);
    let dts = sample.dts ?? sample.pts;
    if (dts === undefined) dts = this.lastDts === undefined ? 0 : this.lastDts + (this.lastDelta ?? this.track.defaultSampleDuration ?? 0);
    const pts = sample.pts ?? dts;
    if (!Number.isFinite(dts) || !Number.isFinite(pts)) throw new Mp4Error('invalid-argument', `sample times must be finite (dts ${dts}, pts ${pts})`);
    if (this.lastDts !== undefined && dts < this.lastDts) {
      throw new Mp4Error('invalid-argument', `decreasing dts: ${dts} ns after ${this.lastDts} ns`);
    }
    if (pts < dts) throw new Mp4Error('invalid-argument', `pts ${pts} ns is before dts ${dts} ns`);
    const out: Mp4Chunk[] = [];
    if (this.origin === undefined) {
      this.origin = dts;
      this.shift = this.ticks(pts);
      if (this.fragmented) out.push(this.initChunk());
    }
    if (this.lastDts !== undefined) this.lastDelta = dts - this.lastDts;
    this.lastDts = dts;
    const s = this.samples;
    if (this.fragmented && s.n > 0) {
      const held = dts - s.dts[0];
      if ((sample.keyframe && held >= this.fragmentDuration) || held >= this.maxFragmentDuration) this.flushFragment(this.ticks(dts), out);
    }
    s.push(dts, pts, sample.data, size, (sample.keyframe ? FLAG_SYNC : 0) | (sample.droppable ? FLAG_DROPPABLE : 0));
    this.lastDuration = sample.duration;
    this.totalSamples++;
    return out;
  }

  /** Ends the file: the last fragment (and mfra), or the whole progressive file. */
  finish(): Mp4Chunk[] {
    if (this.finished) return [];
    this.finished = true;
    const out: Mp4Chunk[] = [];
    if (this.samples.n === 0 && !this.fragmented) {
      // No sample at all: still a valid (empty) file, so that a sink never writes zero bytes.
      this.origin = 0;
      out.push(...this.progressive(0));
      return out;
    }
    if (this.samples.n === 0) {
      if (this.origin === undefined) {
        this.origin = 0;
        out.push(this.initChunk());
      }
      return out;
    }
    const end = this.lastEndTicks();
    if (this.fragmented) {
      this.flushFragment(end, out);
      if (this.mfra) out.push(this.mfraChunk());
    } else {
      out.push(...this.progressive(end));
    }
    return out;
  }

  /** Ticks of a time (ns) on the track's timeline, which starts at the first dts. */
  private ticks(ns: number): number {
    return nsToTicks(ns - this.origin!, this.ts);
  }

  /** End (ticks) of the last sample: its packet duration, else the frame duration, else the last delta. */
  private lastEndTicks(): number {
    const s = this.samples;
    const last = s.dts[s.n - 1];
    const lastTicks = this.ticks(last);
    const guess = this.lastDuration ?? this.track.defaultSampleDuration ?? this.lastDelta;
    const end = guess !== undefined && guess > 0 ? this.ticks(last + guess) : lastTicks + Math.max(1, Math.round(this.ts / 30));
    return Math.max(end, lastTicks + 1);
  }

  /** A sample's 'sample' chunks: itself, or each of its parts (`last` on the last part of the last sample). */
  private sampleChunks(d: SampleData, time: number, last: boolean, out: Mp4Chunk[]): void {
    if (d instanceof Uint8Array) {
      out.push(this.chunk(d, 'sample', time, last));
      return;
    }
    for (let k = 0; k < d.length; k++) out.push(this.chunk(d[k], 'sample', time, last && k === d.length - 1));
  }

  /** One literal of one shape (no spread of options): a chunk per sample part is made thousands of times a file. */
  private chunk(data: Uint8Array, kind: Mp4ChunkKind, time: number | undefined, last: boolean, keyframe = false, duration?: number, copied = 0): Mp4Chunk {
    this.bytesOut += data.length;
    return { data, kind, time, duration, keyframe, last, copied };
  }

  private sampleEntry(): Box {
    const t = this.track;
    const children: Box[] = [{ type: 'avcC', data: t.codecPrivate }];
    const par = t.pixelAspectRatio;
    if (par && par.num !== par.den) children.push({ type: 'pasp', hSpacing: par.num, vSpacing: par.den });
    return { type: t.codec, dataReferenceIndex: 1, width: t.width, height: t.height, compressorName: '', depth: 0x18, children };
  }

  /** Display size: the coded size stretched by the pixel aspect ratio. */
  private displaySize(): { width: number; height: number } {
    const par = this.track.pixelAspectRatio;
    const width = par ? Math.round((this.track.width * par.num) / par.den) : this.track.width;
    return { width, height: this.track.height };
  }

  private trak(stbl: Box[], mediaDuration: number, presentationDuration: number, edit: Box | undefined): ContainerBox {
    const v = (x: number): 0 | 1 => (x > U32 ? 1 : 0);
    const { width, height } = this.displaySize();
    return {
      type: 'trak',
      children: [
        { type: 'tkhd', version: v(presentationDuration), flags: 3, creationTime: 0, modificationTime: 0, trackId: 1, duration: presentationDuration, width, height },
        ...(edit ? [{ type: 'edts', children: [edit] } as ContainerBox] : []),
        {
          type: 'mdia',
          children: [
            { type: 'mdhd', version: v(mediaDuration), creationTime: 0, modificationTime: 0, timescale: this.ts, duration: mediaDuration, language: 'und' },
            { type: 'hdlr', handlerType: 'vide', name: 'VideoHandler' },
            {
              type: 'minf',
              children: [
                { type: 'vmhd' },
                { type: 'dinf', children: [{ type: 'dref', entryCount: 1 }] },
                { type: 'stbl', children: [{ type: 'stsd', entries: [this.sampleEntry()] }, ...stbl] },
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
    const moov: Box = {
      type: 'moov',
      children: [
        { type: 'mvhd', version: 0, creationTime: 0, modificationTime: 0, timescale: this.ts, duration: 0, nextTrackId: 2 },
        // Duration 0: the edit runs over whatever fragments follow (the total is not known yet).
        this.trak(this.emptyTables(), 0, 0, this.shift ? { type: 'elst', version: 0, entries: [{ segmentDuration: 0, mediaTime: this.shift, mediaRate: 1 }] } : undefined),
        { type: 'mvex', children: [{ type: 'trex', trackId: 1, defaultSampleDescriptionIndex: 1, defaultSampleDuration: 0, defaultSampleSize: 0, defaultSampleFlags: SAMPLE_FLAGS_NON_SYNC }] },
      ],
    };
    const ftyp: Box = { type: 'ftyp', majorBrand: 'iso5', minorVersion: 512, compatibleBrands: ['iso5', 'iso6', 'avc1', 'mp41'] };
    return this.chunk(serializeBoxes([ftyp, moov]).bytes, 'init', undefined, false);
  }

  private sampleFlags(i: number): number {
    const f = this.samples.flags[i];
    return (f & FLAG_SYNC ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC) | (f & FLAG_DROPPABLE ? SAMPLE_NOT_DEPENDED_ON : 0);
  }

  /** Emits the held samples as one moof + mdat; `endTicks` is where the last sample ends. */
  private flushFragment(endTicks: number, out: Mp4Chunk[]): void {
    const s = this.samples;
    const n = s.n;
    const dts = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) dts[i] = this.ticks(s.dts[i]);
    dts[n] = endTicks;
    const durations = new Uint32Array(n);
    const cto = new Int32Array(n);
    let uniform = true;
    let anyCto = false;
    for (let i = 0; i < n; i++) {
      durations[i] = dts[i + 1] - dts[i];
      if (durations[i] !== durations[0]) uniform = false;
      cto[i] = this.ticks(s.pts[i]) - dts[i];
      if (cto[i] !== 0) anyCto = true;
    }
    const flags = new Uint32Array(n);
    for (let i = 0; i < n; i++) flags[i] = this.sampleFlags(i);
    let sameRest = true;
    for (let i = 2; i < n; i++) if (flags[i] !== flags[1]) sameRest = false;
    const tfhd: { -readonly [K in keyof TfhdBox]: TfhdBox[K] } = { type: 'tfhd', trackId: 1, defaultBaseIsMoof: true };
    const trun: { -readonly [K in keyof TrunBox]: TrunBox[K] } = { type: 'trun', version: anyCto ? 1 : 0, sampleCount: n, dataOffset: 0, sizes: s.sizes.subarray(0, n) };
    if (uniform) tfhd.defaultSampleDuration = durations[0];
    else trun.durations = durations;
    if (n === 1) {
      tfhd.defaultSampleFlags = flags[0];
    } else if (sameRest) {
      tfhd.defaultSampleFlags = flags[1];
      if (flags[0] !== flags[1]) trun.firstSampleFlags = flags[0];
    } else {
      trun.flags = flags;
    }
    if (anyCto) trun.compositionOffsets = cto;
    const moofOf = (t: TrunBox): Box => ({
      type: 'moof',
      children: [
        { type: 'mfhd', sequenceNumber: ++this.sequence },
        { type: 'traf', children: [tfhd, { type: 'tfdt', version: 1, baseMediaDecodeTime: dts[0] }, t] },
      ],
    });
    const moofSize = boxSize(moofOf(trun));
    this.sequence--;
    const mdatHeader = mdatHeaderSize(s.bytes);
    trun.dataOffset = moofSize + mdatHeader;
    const moofOffset = this.bytesOut;
    const keyframe = (s.flags[0] & FLAG_SYNC) !== 0;
    if (keyframe) this.tfra.push({ time: dts[0] + cto[0], moofOffset, trafNumber: 1, trunNumber: 1, sampleNumber: 1 });
    const time = s.dts[0];
    const duration = ticksToNs(endTicks, this.ts) - ticksToNs(dts[0], this.ts);
    const extra = this.contiguous ? s.bytes : 0;
    const { bytes, writer } = serializeBoxes([moofOf(trun)], mdatHeader + extra);
    writeMdatHeader(writer, s.bytes);
    if (this.contiguous) {
      for (const d of s.data) writeSample(writer, d);
      out.push(this.chunk(bytes, 'fragment', time, true, keyframe, duration, s.bytes));
    } else {
      out.push(this.chunk(bytes, 'fragment', time, n === 0, keyframe, duration));
      for (let i = 0; i < n; i++) this.sampleChunks(s.data[i], time, i === n - 1, out);
    }
    s.clear();
  }

  private mfraChunk(): Mp4Chunk {
    const wide = this.tfra.some((e) => e.time > U32 || e.moofOffset > U32);
    const tfra: Box = { type: 'tfra', version: wide ? 1 : 0, trackId: 1, entries: this.tfra };
    const size = 8 + boxSize(tfra) + 16;
    return this.chunk(serializeBoxes([{ type: 'mfra', children: [tfra, { type: 'mfro', size }] }]).bytes, 'index', undefined, true);
  }

  /** The whole progressive file: ftyp, moov (sample tables), mdat. */
  private progressive(endTicks: number): Mp4Chunk[] {
    const s = this.samples;
    const n = s.n;
    const ts = this.ts;
    const dts = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) dts[i] = this.ticks(s.dts[i]);
    dts[n] = endTicks;
    // stts and ctts as run-length tables, built in one pass.
    const sttsCounts: number[] = [];
    const sttsDeltas: number[] = [];
    const cttsCounts: number[] = [];
    const cttsOffsets: number[] = [];
    let minCts = Infinity;
    let maxEnd = 0;
    let anyCto = false;
    let negative = false;
    const sync: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = dts[i + 1] - dts[i];
      if (d > U32) throw new Mp4Error('invalid-argument', `sample ${i} lasts ${d} ticks, more than 32 bits hold`);
      const last = sttsDeltas.length - 1;
      if (last >= 0 && sttsDeltas[last] === d) sttsCounts[last]++;
      else {
        sttsCounts.push(1);
        sttsDeltas.push(d);
      }
      const cts = this.ticks(s.pts[i]);
      const off = cts - dts[i];
      if (off !== 0) anyCto = true;
      if (off < 0) negative = true;
      const lc = cttsOffsets.length - 1;
      if (lc >= 0 && cttsOffsets[lc] === off) cttsCounts[lc]++;
      else {
        cttsCounts.push(1);
        cttsOffsets.push(off);
      }
      minCts = Math.min(minCts, cts);
      maxEnd = Math.max(maxEnd, cts + d);
      if (s.flags[i] & FLAG_SYNC) sync.push(i + 1);
    }
    if (n === 0) minCts = 0;
    const mediaDuration = dts[n] - dts[0];
    const presentation = Math.max(0, maxEnd - minCts);
    // Chunks: a new one every chunkDuration of decode time.
    const chunkFirst: number[] = [];
    const chunkStartNs = this.chunkDuration;
    let chunkStart = 0;
    for (let i = 0; i < n; i++) {
      if (i === 0 || s.dts[i] - s.dts[chunkStart] >= chunkStartNs) {
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
    const stbl: Box[] = [
      { type: 'stts', sampleCounts: Uint32Array.from(sttsCounts), sampleDeltas: Uint32Array.from(sttsDeltas) },
    ];
    if (anyCto) stbl.push({ type: 'ctts', version: negative ? 1 : 0, sampleCounts: Uint32Array.from(cttsCounts), sampleOffsets: Int32Array.from(cttsOffsets) });
    if (sync.length !== n) stbl.push({ type: 'stss', sampleNumbers: Uint32Array.from(sync) });
    stbl.push({ type: 'stsc', firstChunk: Uint32Array.from(stscFirst), samplesPerChunk: Uint32Array.from(stscCount), sampleDescriptionIndex: new Uint32Array(stscFirst.length).fill(1) });
    stbl.push({ type: 'stsz', sampleSize: 0, sampleCount: n, entrySizes: s.sizes.subarray(0, n) });
    const chunkOffsets = new Float64Array(chunkFirst.length);
    const mdatHeader = mdatHeaderSize(s.bytes);
    const ftyp: Box = { type: 'ftyp', majorBrand: 'isom', minorVersion: 512, compatibleBrands: ['isom', 'iso2', 'avc1', 'mp41'] };
    const edit: Box | undefined =
      minCts !== 0 ? { type: 'elst', version: presentation > U32 || minCts > 0x7fffffff ? 1 : 0, entries: [{ segmentDuration: presentation, mediaTime: minCts, mediaRate: 1 }] } : undefined;
    const build = (wide: boolean): Box[] => [
      ftyp,
      {
        type: 'moov',
        children: [
          { type: 'mvhd', version: presentation > U32 ? 1 : 0, creationTime: 0, modificationTime: 0, timescale: ts, duration: presentation, nextTrackId: 2 },
          this.trak([...stbl, { type: wide ? 'co64' : 'stco', chunkOffsets }], mediaDuration, presentation, edit),
        ],
      },
    ];
    let head = build(false).reduce((a, b) => a + boxSize(b), 0) + mdatHeader;
    const wide = head + s.bytes > U32;
    if (wide) head = build(true).reduce((a, b) => a + boxSize(b), 0) + mdatHeader;
    // Chunk offsets: the payload follows the mdat header in sample order.
    let pos = head;
    for (let c = 0, i = 0; c < chunkFirst.length; c++) {
      chunkOffsets[c] = pos;
      const endSample = c + 1 < chunkFirst.length ? chunkFirst[c + 1] : n;
      for (; i < endSample; i++) pos += s.sizes[i];
    }
    const extra = this.contiguous ? mdatHeader + s.bytes : mdatHeader;
    const { bytes, writer } = serializeBoxes(build(wide), extra);
    writeMdatHeader(writer, s.bytes);
    const out: Mp4Chunk[] = [];
    if (this.contiguous) {
      for (const d of s.data) writeSample(writer, d);
      out.push(this.chunk(bytes, 'file', undefined, true, true, undefined, s.bytes));
    } else {
      out.push(this.chunk(bytes, 'file', undefined, n === 0, true));
      for (let i = 0; i < n; i++) this.sampleChunks(s.data[i], s.dts[i], i === n - 1, out);
    }
    s.clear();
    return out;
  }

  /** Samples added so far. */
  get sampleCount(): number {
    return this.totalSamples;
  }
}
