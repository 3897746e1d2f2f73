import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions, type SettingsOf } from '../src/descriptor';
import { EOS, type ElementContext, type Pulled, type Reader } from '../src/element';
import { defineTransform, type Transform } from '../src/operator';
import { PacketFlags, type Packet } from '../src/packet';
import { JitterBuffer, newJitterCounters, type JitterCounters, type JitterOutput } from '../src/rtp/jitter-buffer';
import { looksLikeRtp, peekSeq } from '../src/rtp/rtp-packet';
import { MILLISECOND } from '../src/time';
import { newAbortController } from '../src/util/abort';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';

/**
 * Default latency budget in the live profile. 50 ms absorbs the reordering and jitter of a LAN or Wi-Fi
 * (a few ms, bursts of 20–30 ms under aggregation) while leaving half of the live profile's 100 ms
 * glass-to-glass deadline to capture, coding and display. In-order packets never wait (see JitterBuffer):
 * the budget is only spent waiting for a missing packet, so it bounds the stall a loss causes. GStreamer's
 * 2000 ms default suits lossy WANs and recordings, not live video.
 */
export const LIVE_JITTER_LATENCY = 50 * MILLISECOND;
/** Default in the throughput profile, where completeness matters more than delay (still 10× below GStreamer's). */
export const THROUGHPUT_JITTER_LATENCY = 200 * MILLISECOND;

export type RtpJitterBuffer = Transform<Packet, Packet> & { readonly counters: Readonly<JitterCounters> };

const RTP_CAPS = Caps.parse('application/x-rtp');

export const RTP_JITTER_BUFFER = defineElement({
  name: 'rtpJitterBuffer',
  kind: 'transform',
  description: 'Reorders RTP packets within a latency budget, declares missing ones lost, drops late and duplicate ones (GStreamer rtpjitterbuffer)',
  caps: { sink: RTP_CAPS, src: RTP_CAPS },
  notes:
    "Packets in order pass at once; the budget is spent only waiting for a missing one, after which it is declared lost (the next packet out is DISCONT). Late and duplicate packets count as 'late' drops. Time is the pipeline clock's.",
  properties: {
    latency: prop.duration({
      unit: 'ms',
      defaultDoc: "the profile's: live 50ms, throughput 200ms (GStreamer's 2000ms suits lossy WANs, not live video)",
      doc: 'How long to wait for a missing packet (a bare number is ms, as GStreamer)',
    }),
    capacity: prop.uint({ default: 4096, min: 1, max: 0x8000, doc: 'Most packets held (at most half the sequence space)' }),
  },
});

export type RtpJitterBufferOptions = ElementOptions<typeof RTP_JITTER_BUFFER>;
type RtpJitterBufferSettings = SettingsOf<typeof RTP_JITTER_BUFFER.properties>;

/**
 * GStreamer's rtpjitterbuffer for one RTP stream: reorders packets by sequence number within a latency
 * budget on the pipeline clock, then declares the missing ones lost (the next packet out is DISCONT and
 * the depayloader sees the gap), and drops late and duplicate packets (counted as 'late' drops). Packets
 * in order pass at once. Time is the pipeline clock's, so a VirtualClock makes it deterministic.
 */
export const rtpJitterBuffer = RTP_JITTER_BUFFER.implement((options): RtpJitterBuffer => {
  const counters = newJitterCounters();
  const t = defineTransform<Packet, Packet>({
    sinkCaps: RTP_CAPS,
    srcCaps: RTP_CAPS,
    passthrough: true,
    open: (ctx, up) => openJitterBuffer(ctx, up, options, counters),
  });
  return Object.assign(t, { counters });
});

function openJitterBuffer(ctx: ElementContext, up: Reader<Packet>, options: RtpJitterBufferSettings, counters: JitterCounters): Reader<Packet> {
  const latency = options.latency ?? (ctx.profile.name === 'live' ? LIVE_JITTER_LATENCY : THROUGHPUT_JITTER_LATENCY);
  const jb = new JitterBuffer<Packet>({ latency, capacity: options.capacity, counters });
  const clock = ctx.clock;
  /** An upstream pull in flight (the gap timer may fire first); settles into `arrived`. */
  let pending: Promise<void> | undefined;
  let arrived: { v: Pulled<Packet> } | { e: unknown } | undefined;
  let ended = false;
  let drained: JitterOutput<Packet>[] | undefined;

  const insert = (item: Pulled<Packet>): void => {
    if (item === EOS) {
      ended = true;
      return;
    }
    const m = item.memory;
    if (m.domain !== 'cpu' || !looksLikeRtp(m.data)) {
      ctx.report.drop('corrupt');
      return;
    }
    const r = jb.insert(peekSeq(m.data), item, clock.now());
    if (r === 'late' || r === 'duplicate') ctx.report.drop('late');
    ctx.report.queueDepth(jb.length, jb.capacity);
  };

  const out = (o: JitterOutput<Packet>): Packet => {
    const p = o.item;
    return o.discont && !(p.flags & PacketFlags.DISCONT) ? { ...p, flags: p.flags | PacketFlags.DISCONT } : p;
  };

  /** Waits for the upstream pull or the gap deadline, whichever comes first. */
  const wait = (upstream: Promise<void>, deadline: number, signal: AbortSignal): Promise<void> => {
    const timer = newAbortController();
    const onAbort = () => timer.abort(signal.reason);
    signal.addEventListener('abort', onAbort);
    const sleep = clock.sleepUntil(deadline, timer.signal);
    return Promise.race([upstream, sleep]).finally(() => {
      signal.removeEventListener('abort', onAbort);
      timer.abort();
      sleep.catch(() => undefined);
    });
  };

  const pull = (signal: AbortSignal): MaybePromise<Pulled<Packet>> => {
    for (;;) {
      if (drained) return drained.length ? out(drained.shift()!) : EOS;
      if (arrived) {
        const a = arrived;
        arrived = undefined;
        pending = undefined;
        if ('e' in a) throw a.e;
        insert(a.v);
      }
      const o = jb.nextOutput(clock.now());
      if (o) return out(o);
      if (ended) {
        drained = jb.drain();
        continue;
      }
      if (!pending) {
        const r = up.pull(signal);
        if (!isPromiseLike(r)) {
          insert(r);
          continue;
        }
        pending = Promise.resolve(r).then(
          (v) => void (arrived = { v }),
          (e) => void (arrived = { e })
        );
      }
      const deadline = jb.pollTimeout();
      const next = deadline === undefined ? pending : wait(pending, deadline, signal);
      return next.then(() => pull(signal));
    }
  };
  return { pull };
}
