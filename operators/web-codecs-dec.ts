import { Caps, caps, type FieldValue } from '../src/caps';
import { NalType } from '../src/codecs/h264/nal';
import { joinAnnexB, splitAnnexB } from '../src/codecs/h264/nal';
import { parseSps, reorderDepth } from '../src/codecs/h264/sps';
import { defineElement, prop } from '../src/descriptor';
import { EOS, type ElementContext, type Pulled, type Reader } from '../src/element';
import { G2gError } from '../src/errors';
import type { VideoFrameMemory } from '../src/memory/memory';
import { defineTransform, type Transform } from '../src/operator';
import { PacketFlags, type Packet, type PacketMeta } from '../src/packet';
import { raceAbort } from '../src/util/abort';
import { isPromiseLike } from '../src/util/promise';
import { withoutVideoMeta } from '../src/video/meta';

/*
 * WebCodecs, typed structurally: the package's declarations are compiled by consumers without the DOM lib,
 * so nothing exported here names a DOM type. A browser's VideoDecoder, EncodedVideoChunk and VideoFrame fit.
 */

/** The part of a WebCodecs `VideoFrame` glass2glass uses. Closed by whoever consumes it last. */
export interface WebCodecsVideoFrame {
  readonly codedWidth: number;
  readonly codedHeight: number;
  readonly displayWidth: number;
  readonly displayHeight: number;
  /** Microseconds, as the chunk it was decoded from. */
  readonly timestamp: number;
  readonly duration: number | null;
  /** 'I420', 'NV12', … or null when the frame is opaque (a GPU texture). */
  readonly format: string | null;
  close(): void;
}

/** The part of a WebCodecs `VideoDecoder` this element uses. */
export interface WebCodecsVideoDecoder {
  readonly state: string;
  readonly decodeQueueSize: number;
  configure(config: { codec: string; optimizeForLatency?: boolean }): void;
  decode(chunk: unknown): void;
  flush(): Promise<void>;
  close(): void;
}

/** The host's WebCodecs constructors (`globalThis` in browsers and workers). */
export interface WebCodecsHost {
  readonly VideoDecoder: new (init: { output: (frame: WebCodecsVideoFrame) => void; error: (error: unknown) => void }) => WebCodecsVideoDecoder;
  readonly EncodedVideoChunk: new (init: { type: 'key' | 'delta'; timestamp: number; duration?: number; data: Uint8Array }) => unknown;
}

/** A decoded frame: the VideoFrame in the `videoframe` memory domain, closed by the last element that takes it. */
export interface WebCodecsFrameMemory extends VideoFrameMemory {
  readonly frame: WebCodecsVideoFrame;
}

export type VideoFramePacket = Packet<WebCodecsFrameMemory>;

/** Options that are not properties (never in launch syntax). */
export interface WebCodecsDecExtras {
  /** The WebCodecs constructors to use; default: the host's (`globalThis.VideoDecoder`, `globalThis.EncodedVideoChunk`). */
  webCodecs?: WebCodecsHost;
}

/** Counts of the running element. */
export interface WebCodecsDecCounters {
  /** Units dropped before the first keyframe carrying an SPS (the decoder cannot start on them). */
  skipped: number;
  /** Units handed to the decoder. */
  decoded: number;
  /** Frames that came out. */
  frames: number;
  /** Units whose frame never came (the decoder dropped it). */
  lost: number;
}

/** The host has no WebCodecs VideoDecoder (Node, an old browser, a context without it). */
export class WebCodecsUnavailableError extends G2gError {
  constructor(what: string) {
    super(
      'WEBCODECS_UNAVAILABLE',
      `webCodecsDec needs the WebCodecs ${what}, which this host lacks (globalThis.${what} is ${typeof (globalThis as Record<string, unknown>)[what]}): ` +
        'run it in a browser or worker with WebCodecs (Chromium 94+, Safari 16.4+, Firefox 130+, in a secure context), ' +
        'pass `webCodecs`, or decode with h264Dec in Node'
    );
  }
}

const SINK_CAPS = Caps.parse('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au');
const SRC_CAPS = Caps.parse('video/x-raw(memory:VideoFrame)');
const FEATURES = ['memory:VideoFrame'];

export const WEB_CODECS_DEC = defineElement({
  name: 'webCodecsDec',
  kind: 'transform',
  description: "Decodes H.264 access units to WebCodecs VideoFrames (memory:VideoFrame) with the host's VideoDecoder (browsers, workers)",
  caps: { sink: SINK_CAPS, src: SRC_CAPS },
  notes:
    'Configured (optimizeForLatency, codec avc1.PPCCLL from the SPS) at the first keyframe that carries or follows an SPS; units before it are dropped and counted. ' +
    "Keeps at most maxInFlight units in the decoder beyond the stream's reorder depth (from the SPS), so that live decoding stays one frame behind; each frame leaves as soon as the decoder outputs it. " +
    'pts (ns) travels as the chunk timestamp (µs); each frame gets back its unit’s pts, duration and meta (captureTime). EOS flushes the decoder. ' +
    'Every VideoFrame still held when the element closes (end, error, abort) is closed; frames handed on are closed by whoever takes them last.',
  properties: {
    maxInFlight: prop.uint({
      min: 1,
      max: 64,
      defaultDoc: "the profile's: live 1, throughput 4",
      doc: 'Units in the decoder awaiting their frame, beyond the reorder depth',
    }),
  },
});

export type WebCodecsDecOptions = NonNullable<Parameters<typeof webCodecsDec>[0]>;

/** The host's WebCodecs, or the clear error saying what is missing. */
export function webCodecsHost(): WebCodecsHost {
  const g = globalThis as { VideoDecoder?: unknown; EncodedVideoChunk?: unknown };
  if (typeof g.VideoDecoder !== 'function') throw new WebCodecsUnavailableError('VideoDecoder');
  if (typeof g.EncodedVideoChunk !== 'function') throw new WebCodecsUnavailableError('EncodedVideoChunk');
  return g as unknown as WebCodecsHost;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** The RFC 6381 codec string of an SPS NAL (header byte first): avc1.PPCCLL. */
export function avcCodecString(sps: Uint8Array): string {
  return `avc1.${hex2(sps[1])}${hex2(sps[2])}${hex2(sps[3])}`;
}

const isVclType = (t: number): boolean => t >= NalType.SLICE && t <= NalType.IDR;

interface Tag {
  readonly pts: number | undefined;
  readonly duration: number | undefined;
  readonly meta: PacketMeta;
  readonly discont: boolean;
}

/**
 * WebCodecs H.264 decoder for browsers and workers: access units from h264Parse (byte-stream) in,
 * VideoFrames out in the `videoframe` memory domain (`video/x-raw(memory:VideoFrame)`), for a canvas
 * (canvasSink), WebGPU (importExternalTexture) or anything that takes a VideoFrame. Fails when built on a host
 * without WebCodecs, with a WebCodecsUnavailableError (code WEBCODECS_UNAVAILABLE).
 */
export const webCodecsDec = WEB_CODECS_DEC.implement(
  (s, x: WebCodecsDecExtras): Transform<Packet, VideoFramePacket> & { readonly counters: WebCodecsDecCounters } => {
    const host = x.webCodecs ?? webCodecsHost();
    const counters: WebCodecsDecCounters = { skipped: 0, decoded: 0, frames: 0, lost: 0 };
    const t = defineTransform<Packet, VideoFramePacket>({
      sinkCaps: SINK_CAPS,
      srcCaps: SRC_CAPS,
      acceptCaps: () => SINK_CAPS,
      outputCaps: (_input, allowed) => SRC_CAPS.intersect(allowed),
      open: (ctx, up) => openDecoder(ctx, up, host, s.maxInFlight ?? (ctx.profile.name === 'live' ? 1 : 4), counters),
    });
    return Object.assign(t, { counters });
  }
);

function openDecoder(
  ctx: ElementContext,
  up: Reader<Packet>,
  host: WebCodecsHost,
  maxInFlight: number,
  counters: WebCodecsDecCounters
): Reader<VideoFramePacket> {
  const ready: VideoFramePacket[] = [];
  /** Units in the decoder, by chunk timestamp (µs), in decode order. */
  const tags = new Map<number, Tag>();
  let decoder: WebCodecsVideoDecoder | undefined;
  let limit = maxInFlight;
  let failure: unknown;
  let closed = false;
  let upEnded = false;
  let finished = false;
  let pendingDiscont = true;
  let lastTs = -1;
  let sps: Uint8Array | undefined;
  let pps: Uint8Array | undefined;
  let outCaps: Caps | undefined;
  let outKey = '';

  let wake: (() => void) | undefined;
  const rouse = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const woken = (): Promise<void> => new Promise<void>((r) => (wake = r));

  const capsFor = (f: WebCodecsVideoFrame): Caps => {
    const rate = ctx.inputCaps?.get('framerate');
    const key = `${f.format} ${f.displayWidth}x${f.displayHeight} ${rate === undefined ? '' : JSON.stringify(rate)}`;
    if (outCaps && key === outKey) return outCaps;
    const fields: Record<string, FieldValue> = { width: f.displayWidth, height: f.displayHeight };
    if (f.format) fields.format = f.format;
    if (rate !== undefined) fields.framerate = rate;
    outKey = key;
    return (outCaps = caps('video/x-raw', fields, FEATURES));
  };

  const output = (frame: WebCodecsVideoFrame): void => {
    if (closed) {
      frame.close();
      return;
    }
    const ts = frame.timestamp;
    const tag = tags.get(ts);
    tags.delete(ts);
    // Frames leave in presentation order: a unit before this one whose frame has not come never will.
    let lost = 0;
    for (const k of tags.keys())
      if (k < ts) {
        tags.delete(k);
        lost++;
      }
    if (lost) {
      counters.lost += lost;
      ctx.report.drop('corrupt', lost);
      pendingDiscont = true;
    }
    let flags = PacketFlags.KEYFRAME;
    if (pendingDiscont || tag?.discont) flags |= PacketFlags.DISCONT;
    pendingDiscont = false;
    counters.frames++;
    ready.push({
      caps: capsFor(frame),
      pts: tag ? tag.pts : ts * 1000,
      dts: tag ? tag.pts : ts * 1000,
      duration: tag?.duration ?? (frame.duration === null ? undefined : frame.duration * 1000),
      flags,
      memory: { domain: 'videoframe', frame },
      meta: tag ? withoutVideoMeta(tag.meta) : {},
    });
    rouse();
  };

  const fail = (e: unknown): void => {
    if (failure === undefined && !closed)
      failure = new G2gError('WEBCODECS_DECODE', `${ctx.name}: the VideoDecoder failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    rouse();
  };

  const configure = (spsNal: Uint8Array): WebCodecsVideoDecoder => {
    const codec = avcCodecString(spsNal);
    try {
      limit = maxInFlight + reorderDepth(parseSps(spsNal));
    } catch {
      limit = maxInFlight + 16;
    }
    const d = new host.VideoDecoder({ output, error: fail });
    // No description: Annex B, parameter sets in band.
    d.configure({ codec, optimizeForLatency: true });
    ctx.log('info', `VideoDecoder configured for ${codec}`);
    return d;
  };

  const take = (p: Packet): void => {
    if (p.memory.domain !== 'cpu') throw new G2gError('WEBCODECS_INPUT', `${ctx.name} takes H.264 in system memory, got ${p.memory.domain}`);
    let data = p.memory.data;
    const nals = splitAnnexB(data);
    let key = false;
    let vcl = false;
    let spsHere = false;
    let ppsHere = false;
    for (const n of nals) {
      const type = n[0] & 0x1f;
      if (type === NalType.SPS) (sps = n.slice()), (spsHere = true);
      else if (type === NalType.PPS) (pps = n.slice()), (ppsHere = true);
      else if (type === NalType.IDR) key = true;
      if (isVclType(type)) vcl = true;
    }
    if (!vcl) return; // parameter sets alone (kept above), SEI, AUD: nothing to decode
    if (!decoder) {
      if (!key || !sps || !pps) {
        counters.skipped++;
        ctx.report.drop('policy');
        pendingDiscont = true;
        return;
      }
      // The first chunk must be decodable alone: parameter sets seen in earlier units go in front of it.
      if (!spsHere || !ppsHere) data = joinAnnexB([...(spsHere ? [] : [sps]), ...(ppsHere ? [] : [pps]), ...nals]);
      decoder = configure(sps);
    }
    let ts = p.pts === undefined ? lastTs + 1 : Math.round(p.pts / 1000);
    while (tags.has(ts)) ts++;
    lastTs = ts;
    tags.set(ts, { pts: p.pts, duration: p.duration, meta: p.meta, discont: (p.flags & PacketFlags.DISCONT) !== 0 });
    const duration = p.duration === undefined ? undefined : Math.round(p.duration / 1000);
    try {
      decoder.decode(new host.EncodedVideoChunk({ type: key ? 'key' : 'delta', timestamp: ts, ...(duration === undefined ? {} : { duration }), data }));
    } catch (e) {
      // A decoder closed by its own error refuses further units: report that error, not the refusal.
      throw failure ?? e;
    }
    counters.decoded++;
  };

  let upPending: Promise<void> | undefined;
  let upResult: { v: Pulled<Packet> } | undefined;

  const pull = async (signal: AbortSignal): Promise<Pulled<VideoFramePacket>> => {
    for (;;) {
      if (failure !== undefined) throw failure;
      if (ready.length) return ready.shift()!;
      if (finished) return EOS;
      if (upEnded) {
        if (decoder && decoder.state === 'configured') await raceAbort(decoder.flush(), signal).catch((e: unknown) => (failure ??= e));
        // Units whose frame did not come by the end of the flush never will.
        if (tags.size) {
          counters.lost += tags.size;
          ctx.report.drop('corrupt', tags.size);
          tags.clear();
        }
        finished = true;
        continue;
      }
      if (upResult) {
        const { v } = upResult;
        upResult = undefined;
        if (v === EOS) upEnded = true;
        else take(v);
        continue;
      }
      const canTake = tags.size < limit;
      if (canTake && !upPending) {
        const r = up.pull(signal);
        if (!isPromiseLike(r)) {
          upResult = { v: r };
          continue;
        }
        upPending = Promise.resolve(r).then(
          (v) => {
            upPending = undefined;
            upResult = { v };
          },
          (e: unknown) => {
            // Kept for the loop: an upstream failure while only a frame is awaited must not go unhandled.
            upPending = undefined;
            failure ??= e;
            rouse();
          }
        );
      }
      // Either the next unit or a frame, whichever comes first: a frame never waits behind the source.
      const waits: Promise<void>[] = [];
      if (canTake && upPending) waits.push(upPending);
      if (tags.size > 0 || waits.length === 0) waits.push(woken());
      await raceAbort(Promise.race(waits), signal);
    }
  };

  return {
    pull,
    close() {
      closed = true;
      for (const p of ready) p.memory.frame.close();
      ready.length = 0;
      tags.clear();
      if (decoder && decoder.state !== 'closed') decoder.close();
      rouse();
    },
  };
}
