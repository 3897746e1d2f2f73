import { fixateRawAudio } from '../../src/audio/fixate';
import { rawAudioInfo, rawAudioTemplate } from '../../src/audio/format';
import type { RawAudioPacket } from '../../src/audio/packet';
import { defineElement, prop, type SettingsOf } from '../../src/descriptor';
import { EOS, type ElementContext, type Pulled, type Reader } from '../../src/element';
import { cpuMemory } from '../../src/memory/memory';
import { defineSource, type Source } from '../../src/operator';
import { PacketFlags } from '../../src/packet';
import { ElementError } from '../../src/pipeline/errors';
import { MILLISECOND, SECOND, ticksToNs } from '../../src/time';
import type { PulseCapture } from '../native';
import { loadNative, type NativeBinding } from '../native/loader';
import { PULSE_FORMATS } from './pulse-sink';

const SRC_CAPS = rawAudioTemplate(PULSE_FORMATS, ['interleaved']);
/** How long a pull waits for the server before it asks again (a monitor gives nothing while nothing plays). */
const READ_WAIT_MS = 1000;

export interface PulseSrcExtras {
  addon?: NativeBinding;
}

export interface PulseSrcCounters {
  /** Blocks read from the server. */
  read: number;
  /** Blocks dropped because the pipeline did not pull them in time (the addon keeps 32). */
  dropped: number;
  /** The source's latency (ns) last read: how long ago the newest sample read was captured. */
  latency: number | undefined;
}

export type PulseSrc = Source<RawAudioPacket> & { readonly counters: Readonly<PulseSrcCounters> };

export const PULSE_SRC = defineElement({
  name: 'pulseSrc',
  kind: 'source',
  description: 'Records raw audio from a PulseAudio source (libpulse in the native addon; GStreamer pulsesrc)',
  caps: { src: SRC_CAPS },
  notes:
    "A live source: connects when the pipeline starts (no server, no such source: an error naming the element). Fixates to S16LE, 48000 Hz, stereo unless downstream says otherwise (the server converts). A thread of the addon reads blocks of `blocksize` frames; each packet's capture time is when its first frame was captured (read time − the server's source latency − the block's length, on the pipeline clock), its pts the first block's running time plus the frames since, so timestamps never drift. A monitor source (`<sink>.monitor`) gives data only while something plays.",
  properties: {
    device: prop.string({ defaultDoc: "the server's default source", doc: 'PulseAudio source name (a sink’s monitor: <sink>.monitor)' }),
    server: prop.string({ defaultDoc: '$PULSE_SERVER, else the user’s daemon', doc: 'PulseAudio server (unix:/path/native, tcp:host)' }),
    blocksize: prop.uint({
      default: 1024,
      min: 1,
      max: 1 << 20,
      doc: "Frames in each buffer (as audiotestsrc's samplesperbuffer; GStreamer's blocksize is in bytes)",
    }),
    numBuffers: prop.int({ default: -1, min: -1, doc: 'Buffers before end-of-stream (-1 = unlimited)' }),
    latencyTime: prop.duration({
      default: 10 * MILLISECOND,
      min: MILLISECOND,
      max: 10 * SECOND,
      unit: 'us',
      doc: 'Fragment the server hands over at a time; a bare number is µs',
    }),
    clientName: prop.string({ default: 'glass2glass', doc: 'Client name the server shows' }),
  },
});

export type PulseSrcOptions = NonNullable<Parameters<typeof pulseSrc>[0]>;
type PulseSrcSettings = SettingsOf<typeof PULSE_SRC.properties>;

/**
 * A PulseAudio source (GStreamer's pulsesrc): live interleaved S16LE/S32LE/F32LE blocks of `blocksize` frames
 * with capture times, from `device` on `server`.
 */
export const pulseSrc = PULSE_SRC.implement((s, x: PulseSrcExtras): PulseSrc => {
  const addon = x.addon ?? loadNative();
  const counters: PulseSrcCounters = { read: 0, dropped: 0, latency: undefined };
  const src = defineSource<RawAudioPacket>({
    srcCaps: SRC_CAPS,
    fixate: (allowed) => fixateRawAudio(allowed, { rate: 48000, channels: 2 }),
    open: (ctx) => openSrc(ctx, addon, s, counters),
  });
  return Object.assign(src, { counters: counters as Readonly<PulseSrcCounters> });
});

function openSrc(ctx: ElementContext, addon: NativeBinding, s: PulseSrcSettings, counters: PulseSrcCounters): Reader<RawAudioPacket> {
  const info = rawAudioInfo(ctx.outputCaps);
  let cap: PulseCapture;
  try {
    cap = new addon.PulseCapture({
      server: s.server,
      device: s.device,
      clientName: s.clientName,
      streamName: ctx.name,
      format: info.format,
      rate: info.rate,
      channels: info.channels,
      latencyTime: Math.round(s.latencyTime / 1000),
      blockFrames: s.blocksize,
    });
  } catch (e) {
    throw new ElementError(ctx.name, undefined, e);
  }
  let i = 0;
  let firstPts: number | undefined;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    cap.close();
  };
  ctx.signal.addEventListener('abort', close, { once: true });

  const next = async (signal: AbortSignal): Promise<Pulled<RawAudioPacket>> => {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (ctx.eosRequested) return EOS;
      const c = await cap.read(READ_WAIT_MS);
      const [read, dropped, latencyUs] = cap.stats();
      counters.read = read;
      if (dropped > counters.dropped) ctx.report.drop('overflow', dropped - counters.dropped);
      counters.dropped = dropped;
      counters.latency = latencyUs * 1000;
      if (c === null) {
        if (closed) return EOS;
        continue;
      }
      // The monotonic clock's now and the pipeline clock's now, read together, relate the two clocks.
      const captureTime = c.captured + (ctx.clock.now() - cap.clockNow());
      firstPts ??= Math.max(0, captureTime - ctx.baseTime);
      const pts = firstPts + ticksToNs(i * s.blocksize, info.rate);
      const p: RawAudioPacket = {
        caps: ctx.outputCaps,
        pts,
        dts: pts,
        duration: firstPts + ticksToNs((i + 1) * s.blocksize, info.rate) - pts,
        flags: i === 0 ? PacketFlags.DISCONT : 0,
        memory: cpuMemory(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength)),
        meta: { captureTime },
      };
      i++;
      return p;
    }
  };

  return {
    pull(signal) {
      if (s.numBuffers >= 0 && i >= s.numBuffers) {
        close();
        return EOS;
      }
      return next(signal).catch((e: unknown) => {
        throw signal.aborted ? e : new ElementError(ctx.name, undefined, e);
      });
    },
    close,
  };
}
