import { rawAudioInfo, rawAudioTemplate, type AudioFormat, type RawAudioInfo } from '../../src/audio/format';
import { audioBytes, type RawAudioPacket } from '../../src/audio/packet';
import { defineElement, prop, type SettingsOf } from '../../src/descriptor';
import type { ElementContext, Writer } from '../../src/element';
import { defineSink, type Sink } from '../../src/operator';
import { ElementError } from '../../src/pipeline/errors';
import { MILLISECOND, SECOND } from '../../src/time';
import type { PulsePlayback } from '../native';
import { loadNative, type NativeBinding } from '../native/loader';

/** What PulseAudio takes here: interleaved S16LE, S32LE and F32LE (the rest goes through audioConvert). */
export const PULSE_FORMATS: readonly AudioFormat[] = ['S16LE', 'S32LE', 'F32LE'];
const SINK_CAPS = rawAudioTemplate(PULSE_FORMATS, ['interleaved']);
/** GStreamer's audio sinks' defaults (GstAudioBaseSink): 10 ms segments, 200 ms buffer. */
export const DEFAULT_LATENCY_TIME = 10 * MILLISECOND;
export const DEFAULT_BUFFER_TIME = 200 * MILLISECOND;
/** How long end of stream may wait past the buffer's length for the server to drain. */
const DRAIN_GRACE_MS = 5000;
/** How long one wait for room in the ring lasts before the abort signal is looked at again. */
const WAIT_SLICE_MS = 50;

/** Options that are not properties (never in launch syntax). */
export interface PulseSinkExtras {
  /** The addon to use (tests); default loadNative(). */
  addon?: NativeBinding;
}

/** What the sink counts, live while it runs (`sink.counters`). */
export interface PulseSinkCounters {
  /** Bytes handed to the server. */
  written: number;
  /** Bytes waiting in the addon's ring for the server. */
  queued: number;
  /** Output latency: pa_stream's latency (ns) last read, how long a sample written then takes to be heard. */
  latency: number | undefined;
  /** The largest output latency read (ns). */
  maxLatency: number | undefined;
  /** Output latency (ns) read once per packet written: p50/p95 of the last 4096 readings. */
  latencyStats(): { count: number; p50: number; p95: number; max: number } | undefined;
  /** Times the stream was reopened for new caps. */
  reopened: number;
}

export type PulseSink = Sink<RawAudioPacket> & { readonly counters: Readonly<PulseSinkCounters> };

export const PULSE_SINK = defineElement({
  name: 'pulseSink',
  kind: 'sink',
  description: 'Plays raw audio to a PulseAudio server (libpulse in the native addon; GStreamer pulsesink)',
  caps: { sink: SINK_CAPS },
  notes:
    "Connects when the pipeline starts (no server, no such sink: an error naming the sink before any data). Follows the pipeline clock: with sync (the default) each buffer is written at its running time; playback starts once the server holds buffer-time (prebuf = tlength: a smaller prebuf loses the start of the stream to the sink's first render), so the output latency is about buffer-time, and lower buffer-time gives less. The sound card's clock is not slaved (no resampling): a device slower than the pipeline clock fills the server's buffer and the addon's small ring, and the write's backpressure holds the pipeline; a faster one underruns. latency-time is the server's minreq, buffer-time its tlength and prebuf. The JS thread never waits for the server: a thread of the addon moves bytes from a bounded ring into the stream, and a full ring makes the write return a promise. counters.latency is the stream's measured output latency (pa_simple_get_latency). A server gone mid-stream fails the pipeline naming the sink.",
  properties: {
    device: prop.string({ defaultDoc: "the server's default sink", doc: 'PulseAudio sink name' }),
    server: prop.string({ defaultDoc: '$PULSE_SERVER, else the user’s daemon', doc: 'PulseAudio server (unix:/path/native, tcp:host)' }),
    latencyTime: prop.duration({
      default: DEFAULT_LATENCY_TIME,
      min: MILLISECOND,
      max: 10 * SECOND,
      unit: 'us',
      doc: "Segment the server asks for at a time (pa minreq); a bare number is µs, as GStreamer's",
    }),
    bufferTime: prop.duration({
      default: DEFAULT_BUFFER_TIME,
      min: MILLISECOND,
      max: 10 * SECOND,
      unit: 'us',
      doc: "Audio kept ahead of playback (pa tlength and prebuf: about the output latency); a bare number is µs, as GStreamer's",
    }),
    clientName: prop.string({ default: 'glass2glass', doc: 'Client name the server shows' }),
    sync: prop.boolean({
      default: true,
      doc: 'Write each buffer at its running time on the pipeline clock (false: as fast as the server takes it, paced by its buffer)',
    }),
  },
});

export type PulseSinkOptions = NonNullable<Parameters<typeof pulseSink>[0]>;
type PulseSinkSettings = SettingsOf<typeof PULSE_SINK.properties>;

const LATENCY_SAMPLES = 4096;

function newCounters(): PulseSinkCounters & { samples: Float64Array; n: number } {
  return {
    written: 0,
    queued: 0,
    latency: undefined,
    maxLatency: undefined,
    reopened: 0,
    samples: new Float64Array(LATENCY_SAMPLES),
    n: 0,
    latencyStats() {
      const count = Math.min(this.n, LATENCY_SAMPLES);
      if (count === 0) return undefined;
      const s = this.samples.slice(0, count).sort();
      const at = (q: number): number => s[Math.min(count - 1, Math.floor(q * count))];
      return { count: this.n, p50: at(0.5), p95: at(0.95), max: s[count - 1] };
    },
  };
}

/**
 * A PulseAudio sink (GStreamer's pulsesink): interleaved S16LE/S32LE/F32LE at the caps' rate and channels,
 * written to `device` on `server`. It follows the pipeline clock (`sync`), the server's buffer bounded by
 * `bufferTime`; `counters.latency` is the measured output latency.
 */
export const pulseSink = PULSE_SINK.implement((s, x: PulseSinkExtras): PulseSink => {
  // Loaded now, so a missing addon fails when the pipeline is built, with the build instructions.
  const addon = x.addon ?? loadNative();
  const counters = newCounters();
  const sink = defineSink<RawAudioPacket>({
    sinkCaps: SINK_CAPS,
    // Following the pipeline clock (the runtime's sync) rather than making the sound card's clock the
    // pipeline's: glass2glass pipelines are mostly video with one clock for every sink and the capture
    // stamps, and the runtime has no clock election; the card's drift against the monotonic clock is a
    // few ppm (buffer-time bounds what it can accumulate, backpressure holds the pipeline when it does).
    sync: s.sync,
    open: (ctx) => openSink(ctx, addon, s, counters),
  });
  return Object.assign(sink, { counters: counters as Readonly<PulseSinkCounters> });
});

function sameFormat(a: RawAudioInfo, b: RawAudioInfo): boolean {
  return a.format === b.format && a.rate === b.rate && a.channels === b.channels;
}

function openSink(ctx: ElementContext, addon: NativeBinding, s: PulseSinkSettings, counters: ReturnType<typeof newCounters>): Writer<RawAudioPacket> {
  const open = (info: RawAudioInfo): PulsePlayback => {
    try {
      // Throws at once without a server: before the first buffer, naming the sink as a failure while running would.
      return new addon.PulsePlayback({
        server: s.server,
        device: s.device,
        clientName: s.clientName,
        streamName: ctx.name,
        format: info.format,
        rate: info.rate,
        channels: info.channels,
        latencyTime: Math.round(s.latencyTime / 1000),
        bufferTime: Math.round(s.bufferTime / 1000),
      });
    } catch (e) {
      throw new ElementError(ctx.name, undefined, e);
    }
  };
  if (!ctx.inputCaps) throw new ElementError(ctx.name, undefined, new Error('pulseSink opened without negotiated caps'));
  let info = rawAudioInfo(ctx.inputCaps);
  let pb = open(info);
  let lastCaps = ctx.inputCaps;
  let closed = false;
  const drainMs = Math.ceil(s.bufferTime / 1e6) + DRAIN_GRACE_MS;

  const sync = (): void => {
    const st = pb.stats();
    counters.written = st.written;
    counters.queued = st.queued;
    if (st.latencyAt > 0) {
      const ns = st.latencyUs * 1000;
      counters.latency = ns;
      counters.maxLatency = Math.max(counters.maxLatency ?? 0, st.maxLatencyUs * 1000);
      counters.samples[counters.n++ % LATENCY_SAMPLES] = ns;
    }
  };

  const drain = async (): Promise<void> => {
    if (!(await pb.drain(drainMs))) throw new Error(`the PulseAudio server did not drain in ${drainMs} ms`);
    sync();
  };

  /**
   * Writes what fits; the rest after the ring frees room (the thread moves it into the server). Waits in short
   * slices so that an abort is seen at once, and a server that stopped answering (not gone) holds the pipeline
   * as a full device would, without a timer of ours failing it.
   */
  const put = async (bytes: Uint8Array, from: number, signal: AbortSignal): Promise<void> => {
    while (from < bytes.length) {
      if (signal.aborted) throw signal.reason;
      if (!(await pb.writable(WAIT_SLICE_MS))) continue;
      from += pb.write(bytes.subarray(from));
    }
    sync();
  };

  const writer: Writer<RawAudioPacket> = {
    write(p, signal) {
      if (p.caps !== lastCaps) {
        const next = rawAudioInfo(p.caps);
        lastCaps = p.caps;
        if (!sameFormat(next, info)) {
          // New format: the old stream plays out, a new one opens (as pulsesink renegotiates).
          return drain().then(() => {
            pb.close();
            info = next;
            pb = open(info);
            counters.reopened++;
            return writer.write(p, signal);
          });
        }
      }
      const bytes = audioBytes(p);
      const n = pb.write(bytes);
      if (n < bytes.length) return put(bytes, n, signal);
      sync();
    },
    async end() {
      await drain();
    },
    close() {
      if (closed) return;
      closed = true;
      pb.close();
    },
  };
  return writer;
}
