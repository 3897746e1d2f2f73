import { queuedReader } from '../../src/reader';
import { defineElement, prop, PropertyConflictError, type SettingsOf } from '../../src/descriptor';
import { Caps, caps, explainMismatch, type FieldValue } from '../../src/caps';
import { fromHex } from '../../src/codecs/h264';
import { EOS, type ElementContext, type Pulled, type Reader } from '../../src/element';
import { cpuMemory, type CpuMemory, type MemoryDomain } from '../../src/memory/memory';
import { leasedMemory, RELEASE } from '../../src/memory/release';
import { defineTransform, type Transform } from '../../src/operator';
import { EMPTY_META, PacketFlags, type Packet, type PacketMeta } from '../../src/packet';
import { NegotiationError } from '../../src/pipeline/errors';
import { raceAbort } from '../../src/util/abort';
import { rawVideoTemplate, type VideoFrameLayout } from '../../src/video/format';
import { stridedLayout, VIDEO_META, withoutVideoMeta, withVideoMeta } from '../../src/video/meta';
import { loadNative, type NativeBinding } from '../native/loader';
import type { DecodedFrame, DecodeResult, NativeDecoder } from '../native';

export type H264DecBackend = 'auto' | 'software' | 'nvdec' | 'cuvid' | 'vaapi';
export type H264DecFormat = 'I420' | 'NV12';

export type RawVideoPacket = Packet<CpuMemory>;

const BACKENDS: readonly H264DecBackend[] = ['auto', 'software', 'nvdec', 'cuvid', 'vaapi'];
const FORMATS: readonly H264DecFormat[] = ['I420', 'NV12'];
/** What the runtime's subset checks see; DECODABLE's further fields are checked by intersection (refuseUndecodable). */
const SINK_CAPS = Caps.parse('video/x-h264, stream-format=(string){ byte-stream, avc }, alignment=(string)au');
/**
 * What it decodes, in the fields h264Parse reads from the SPS: 8-bit 4:2:0 (monochrome 4:0:0 comes out as
 * I420 too) in any single-layer profile that can carry it — High 4:4:4 Predictive included, as x264's
 * lossless 4:2:0 is — but not extended (libavcodec has no data partitioning). The sink template.
 */
const DECODABLE = Caps.parse(
  'video/x-h264, stream-format=(string){ byte-stream, avc }, alignment=(string)au, ' +
    'profile=(string){ constrained-baseline, baseline, main, high, progressive-high, constrained-high, high-10, progressive-high-10, high-10-intra, ' +
    'high-4:2:2, high-4:2:2-intra, high-4:4:4, high-4:4:4-intra, cavlc-4:4:4-intra }, ' +
    'chroma-format=(string){ 4:2:0, 4:0:0 }, bit-depth-luma=(int)8, bit-depth-chroma=(int)8'
);

/**
 * Input caps must intersect DECODABLE, as GStreamer's decoders check accept-caps against what they can
 * decode: a stated field outside it (chroma-format 4:4:4, bit-depth-luma 10) fails negotiation, naming
 * the field, before a unit reaches libavcodec; fields left unstated (an unparsed source) pass. The caps
 * algebra's subset rule would instead refuse every source that does not state them.
 */
function refuseUndecodable(input: Caps, name: string): void {
  if (!input.intersect(DECODABLE).isEmpty()) return;
  throw new NegotiationError('its input', name, explainMismatch(input, DECODABLE), `${name} decodes 8-bit 4:2:0 (or 4:0:0) H.264 only`);
}

export const H264_DEC = defineElement({
  name: 'h264Dec',
  kind: 'transform',
  description: 'Decodes H.264 access units to raw I420/NV12 frames with libavcodec (software, NVDEC, VA-API) in the native addon',
  caps: { sink: DECODABLE, src: rawVideoTemplate(FORMATS) },
  notes:
    "Decodes on a decoder thread of its own (and a pack thread), fed a few units ahead in throughput mode; live mode awaits each unit's frame and, by default, decodes on the addon's shared decoder pool (a thread per core for all streams of the process, taken in turn). Frames leave in libavcodec's padded buffers (VIDEO_META) when everything downstream honours it, leased back to the codec when everything downstream also declares RELEASE; otherwise packed once (an explicit, ledger-recorded copy). Damaged units are dropped (corrupt), concealed frames flagged CORRUPT. Caps stating a profile, chroma format or bit depth outside the sink template (h264Parse states them from the SPS) fail negotiation, naming the field, before anything is decoded; fields left unstated pass.",
  properties: {
    backend: prop.enum(BACKENDS, {
      default: 'auto',
      doc: 'Decoder: auto (nvdec, then vaapi, then software, whichever is available; logged), software, nvdec (CUDA hwaccel), cuvid (h264_cuvid), vaapi',
    }),
    format: prop.enum(FORMATS, {
      defaultDoc: "I420 (libavcodec's own, no conversion) unless downstream takes only NV12",
      doc: 'Output layout',
    }),
    live: prop.boolean({
      defaultDoc: 'on under the live profile, else frame threads (a few frames of delay)',
      doc: 'Low-delay decoding: AV_CODEC_FLAG_LOW_DELAY, each frame out as soon as it is decodable; on the shared decoder pool unless threads > 1 (then slice threads)',
    }),
    threads: prop.uint({
      default: 0,
      max: 64,
      doc: 'Decoder threads (0: one per core); in live mode more than 1 takes the decoder off the shared pool (slice threads of its own)',
    }),
    pool: prop.boolean({
      defaultDoc: 'on in live mode unless threads > 1',
      doc: "Decode on the addon's shared decoder pool: one thread per core (G2G_DECODE_THREADS) serving every pooled decoder of the process in turn, each stream single-threaded, instead of a decoder thread (and codec threads) per stream",
    }),
    device: prop.string({
      doc: 'CUDA device index or DRM render node for hardware backends',
    }),
  },
});

export type H264DecOptions = NonNullable<Parameters<typeof h264Dec>[0]>;
type H264DecSettings = SettingsOf<typeof H264_DEC.properties>;
/** AUs whose frames never came (refused, or dropped by the decoder) are forgotten past this many. */
const MAX_PENDING = 64;
/**
 * Access units queued on the decoder thread ahead of the one whose frames are awaited (throughput mode):
 * the codec then never waits for the JS thread's round trip (parse the next unit, hand on the frame).
 * Live mode waits for each unit's frame before taking the next (no unit sits behind another).
 */
const DECODE_AHEAD = 4;

/**
 * A leased frame's memory: its last release gives the buffer back to the decoder (a closed one has let go
 * of them all already). A frame lost on the way without a release (an error path) goes back when its view
 * is collected, or at close(); releasing twice is harmless (an unknown lease is ignored).
 */
function leasedFrame(d: NativeDecoder, lease: number, data: Uint8Array): CpuMemory {
  const giveBack = (): void => d.release(lease);
  unreleased.register(data, giveBack);
  return leasedMemory(data, giveBack);
}

const unreleased = new FinalizationRegistry<() => void>((giveBack) => giveBack());

/** A decode() call on the decoder thread whose result is not taken yet. */
interface InFlight {
  /** The decoder the unit went to (a new avcC replaces it): its frames' leases go back there. */
  readonly decoder: NativeDecoder;
  readonly result: Promise<DecodeResult>;
  /** The unit, without a pts to find its frame by, followed a discontinuity: the next frame is DISCONT. */
  readonly discont: boolean;
  settled: boolean;
}

const ignore = (): void => undefined;

/** What an access unit brings that its frame, coming out later after reordering, must carry. */
interface Tag {
  readonly duration: number | undefined;
  readonly meta: PacketMeta;
  /** The unit followed a discontinuity: its frame is DISCONT. */
  readonly discont: boolean;
}

function formatsIn(allowed: Caps): H264DecFormat[] {
  return FORMATS.filter((f) => !allowed.intersect(caps('video/x-raw', { format: f })).isEmpty());
}

/**
 * H.264 decoder (GStreamer avdec_h264 / nvh264dec): access units from h264Parse (byte-stream, or avc
 * with codec_data) in, raw I420/NV12 frames out, decoded by libavcodec in the native addon on its own
 * decoder thread, so the JS thread only moves packets. Frames come out in presentation order with the pts
 * of their access unit (and its duration and meta, such as capture time). Caps give the decoded size and
 * change, as a new Caps object, only when the size does. A damaged unit is dropped (counted as a corrupt
 * drop) and frames decoded with concealed errors are flagged CORRUPT; decoding goes on.
 *
 * Units are queued on the addon's decoder thread a few ahead of the frame being awaited (throughput), so
 * the codec never waits for the JS thread; live mode awaits each unit's frame before taking the next.
 * Live decoders share the addon's decoder pool by default (`pool`): N cameras take turns on a thread per
 * core, each stream's units in order, instead of N decoder threads each with codec threads of its own.
 *
 * The decoder's frames live in libavcodec's pool with padded rows (H.264 decodes whole macroblock rows:
 * 1080 visible rows sit in 1088). When everything downstream honours VIDEO_META (the allocation query,
 * `ctx.downstreamMetas`), a frame already in the output format leaves in that buffer as an external
 * Buffer with its plane offsets and strides in `meta.videoMeta`: no copy at all. Otherwise (or for NV12
 * out of a yuv420p decoder) it is packed once into a buffer of the addon's frame pool, the copy recorded
 * in the copy ledger as explicit (the decoder is the transfer element). Either buffer goes back to its
 * pool when JS garbage-collects it — or, for a frame left in libavcodec's buffer, as soon as everything
 * downstream has released it, when all of it declares RELEASE (the frame's memory is then leased).
 */
export const h264Dec = H264_DEC.implement((options, x: { addon?: NativeBinding }): Transform<Packet, RawVideoPacket> => {
  const { backend, threads } = options;
  if (options.pool === true && threads > 1)
    throw new PropertyConflictError(
      options.name ?? H264_DEC.name,
      ['threads', 'pool'],
      `threads=${threads} with pool=true: expected 0 or 1 (the pool's threads decode)`
    );
  // Loaded now, so a missing addon fails when the pipeline is built, with the build instructions.
  const addon = x.addon ?? loadNative();
  const srcCaps = rawVideoTemplate(options.format ? [options.format] : FORMATS);
  return defineTransform<Packet, RawVideoPacket>({
    sinkCaps: SINK_CAPS,
    srcCaps,
    acceptCaps: () => SINK_CAPS,
    // Called at negotiation and again whenever the stream's caps change (the first unit's, from the SPS).
    outputCaps(input, allowed) {
      refuseUndecodable(input, options.name ?? H264_DEC.name);
      const formats = formatsIn(allowed).filter((f) => options.format === undefined || f === options.format);
      if (formats.length === 0) return Caps.empty();
      // Size and rate come from the stream: the caps are completed by the first frame. Unfixed (ranges,
      // not absent fields) so that negotiation only asks downstream templates to intersect with them.
      return rawVideoTemplate([formats[0]]).intersect(allowed);
    },
    open: (ctx, up) => openDecoder(ctx, up, addon, options, backend, threads),
  });
});

function openDecoder(
  ctx: ElementContext,
  up: Reader<Packet>,
  addon: NativeBinding,
  options: H264DecSettings,
  backend: H264DecBackend,
  threads: number
): Reader<RawVideoPacket> {
  const negotiated = ctx.outputCaps.get('format');
  const format: H264DecFormat = negotiated === 'NV12' || negotiated === 'I420' ? negotiated : options.format ?? 'I420';
  const live = options.live ?? ctx.profile.name === 'live';
  // Many live cameras share the pool's threads; throughput decoding of one stream keeps its frame threads.
  const pooled = options.pool ?? (live && threads <= 1);
  const strided = ctx.downstreamMetas.includes(VIDEO_META);
  // Everything after us gives frames back (RELEASE): the codec reuses each buffer at once, not at GC time.
  const leases = strided && ctx.downstreamMetas.includes(RELEASE);

  let dec: NativeDecoder | undefined;
  let decFrom: string | undefined; // codec_data the decoder was opened with ('' for byte-stream)
  let transferFrom: MemoryDomain = 'cpu';
  let modeCaps: Caps | undefined;
  let codecData = '';
  let inRate: FieldValue | undefined;
  let ended = false;
  let closed = false;
  let pendingDiscont = true;
  const queue: RawVideoPacket[] = [];
  const tags = new Map<number, Tag>();
  const inflight: InFlight[] = [];
  const depth = live ? 1 : DECODE_AHEAD;

  let outCaps: Caps | undefined;
  let outW = 0;
  let outH = 0;
  let outRate = '';

  const open = (): NativeDecoder => {
    const d = new addon.NativeDecoder({
      backend,
      format,
      threads,
      live,
      pooled,
      extradata: codecData ? fromHex(codecData) : undefined,
      device: options.device,
      strided,
      leases,
    });
    if (backend === 'auto') ctx.log('info', `decoding with the ${d.backend} backend${d.skipped.length ? ` (passed over: ${d.skipped.join('; ')})` : ''}`);
    transferFrom = d.backend === 'software' ? 'cpu' : 'cuda';
    decFrom = codecData;
    return d;
  };

  // Every frame of one size shares its layout (the codec's pool lays them out alike): built once.
  let lastLayout: VideoFrameLayout | undefined;
  let lastBytes = 0;
  const layoutFor = (f: DecodedFrame, byteLength: number): VideoFrameLayout => {
    const l = lastLayout;
    if (
      l &&
      l.width === f.width &&
      l.height === f.height &&
      lastBytes === byteLength &&
      l.planes.every((p, k) => p.offset === f.offsets[k] && p.stride === f.strides[k])
    )
      return l;
    lastBytes = byteLength;
    return (lastLayout = stridedLayout(
      format,
      f.width,
      f.height,
      f.offsets.map((offset, k) => ({ offset, stride: f.strides[k] })),
      byteLength
    ));
  };

  const capsFor = (f: DecodedFrame): Caps => {
    // The rate by value: every new input Caps object brings an equal but new fraction.
    const rate = inRate === undefined ? '' : JSON.stringify(inRate);
    if (outCaps && f.width === outW && f.height === outH && outRate === rate) return outCaps;
    const fields: Record<string, FieldValue> = {
      format,
      width: f.width,
      height: f.height,
    };
    if (inRate !== undefined) fields.framerate = inRate;
    outCaps = caps('video/x-raw', fields);
    outW = f.width;
    outH = f.height;
    outRate = rate;
    return outCaps;
  };

  const take = (res: DecodeResult, d: NativeDecoder): void => {
    if (res.rejected !== undefined) {
      ctx.report.drop('corrupt');
      ctx.log('warn', `access unit refused by the decoder: ${res.rejected}`);
      pendingDiscont = true;
    }
    for (const f of res.frames) {
      const tag = f.pts === undefined || f.pts === null ? undefined : tags.get(f.pts);
      if (tag) tags.delete(f.pts!);
      const lease = f.lease ?? undefined;
      // A leased frame is a plain view of its block already; others are Buffers (seen as plain views).
      const data = lease === undefined ? new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength) : f.data;
      const unpacked = f.offsets.length > 0;
      if (!unpacked)
        ctx.ledger.record({
          element: ctx.name,
          bytes: data.byteLength,
          from: transferFrom,
          to: 'cpu',
          reason: 'decoded frame packed from the decoder pool into JS memory',
          explicit: true,
        });
      // A hardware frame handed on unpacked was still downloaded from the GPU into that buffer.
      else if (transferFrom !== 'cpu')
        ctx.ledger.record({
          element: ctx.name,
          bytes: data.byteLength,
          from: transferFrom,
          to: 'cpu',
          reason: 'hardware frame downloaded into system memory',
          explicit: true,
        });
      let flags = PacketFlags.KEYFRAME;
      if (f.corrupt) flags |= PacketFlags.CORRUPT;
      if (pendingDiscont || tag?.discont) flags |= PacketFlags.DISCONT;
      pendingDiscont = false;
      queue.push({
        caps: capsFor(f),
        pts: f.pts ?? undefined,
        dts: f.pts ?? undefined,
        duration: tag?.duration,
        flags,
        memory: lease === undefined ? cpuMemory(data) : leasedFrame(d, lease, data),
        // A video meta on the input (none belongs there) must not describe these frames.
        meta: unpacked ? withVideoMeta(tag?.meta ?? EMPTY_META, layoutFor(f, data.byteLength)) : withoutVideoMeta(tag?.meta ?? EMPTY_META),
      });
    }
  };

  const setMode = (c: Caps): void => {
    modeCaps = c;
    inRate = c.get('framerate');
    const cd = c.get('codec_data');
    const avc = c.get('stream-format') === 'avc' || (c.get('stream-format') === undefined && typeof cd === 'string');
    codecData = avc && typeof cd === 'string' ? cd : '';
    if (avc && !codecData) throw new Error('stream-format=avc input without codec_data: the decoder needs the avcC record');
  };

  const submit = (d: NativeDecoder, result: Promise<DecodeResult>, discont: boolean): void => {
    const e: InFlight = { decoder: d, result, discont, settled: false };
    // Handled here so that units failed by close() (abort, error elsewhere) never surface as unhandled.
    result.then(() => void (e.settled = true), ignore);
    inflight.push(e);
  };

  const takeOldest = async (signal: AbortSignal): Promise<void> => {
    const e = inflight.shift()!;
    const res = await raceAbort(e.result, signal);
    if (e.discont) pendingDiscont = true;
    take(res, e.decoder);
  };

  const drainAll = async (signal: AbortSignal): Promise<void> => {
    while (inflight.length) await takeOldest(signal);
  };

  const finishStream = async (d: NativeDecoder, signal: AbortSignal): Promise<void> => {
    await drainAll(signal);
    submit(d, d.finish(), false);
    await drainAll(signal);
  };

  const handle = (item: Pulled<Packet>, signal: AbortSignal): Promise<void> | void => {
    if (item === EOS) {
      const d = dec;
      if (!d) {
        ended = true;
        return;
      }
      return finishStream(d, signal).then(() => void (ended = true));
    }
    const mem = item.memory;
    if (mem.domain === 'none') return;
    if (mem.domain !== 'cpu') throw new TypeError(`h264Dec needs CPU memory, got ${mem.domain}`);
    if (item.caps !== modeCaps) setMode(item.caps);
    if (dec && decFrom !== codecData) {
      // New avcC (a new stream): drain the old decoder's frames, then start over with the new record.
      const old = dec;
      return finishStream(old, signal).then(() => {
        old.close();
        dec = undefined;
        return handle(item, signal);
      });
    }
    const d = (dec ??= open());
    const discont = (item.flags & PacketFlags.DISCONT) !== 0;
    if (item.pts !== undefined) {
      tags.set(item.pts, { duration: item.duration, meta: item.meta, discont });
      if (tags.size > MAX_PENDING) tags.delete(tags.keys().next().value!);
    }
    submit(d, d.decode(mem.data, item.pts, item.dts, (item.flags & PacketFlags.KEYFRAME) !== 0), discont && item.pts === undefined);
    // Results already in are taken without waiting; the queue ahead is kept at `depth` units.
    if (inflight.length >= depth || inflight[0].settled) return takeReady(signal);
  };

  const takeReady = async (signal: AbortSignal): Promise<void> => {
    do await takeOldest(signal);
    while (inflight.length >= depth || (inflight.length > 0 && inflight[0].settled));
  };

  return {
    ...queuedReader(up, queue, handle, () => ended || closed),
    close() {
      closed = true;
      // Frees the libavcodec context now (waiting for a decode in flight), not at garbage collection;
      // units still queued fail, and nobody waits for them.
      dec?.close();
      dec = undefined;
      queue.length = 0;
      inflight.length = 0;
      tags.clear();
    },
  };
}
