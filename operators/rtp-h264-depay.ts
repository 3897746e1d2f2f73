import { queuedReader } from '../src/reader';
import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { EOS, type ElementContext, type Pulled, type Reader } from '../src/element';
import { cpuMemory } from '../src/memory/memory';
import { defineTransform, type Transform } from '../src/operator';
import { EMPTY_META, PacketFlags, type CpuPacket, type Packet, type PacketMeta } from '../src/packet';
import { H264Depayloader, newDepayCounters, type DepayCounters, type DepayedAccessUnit, type LossPolicy } from '../src/rtp/h264-depayloader';
import { RtpError } from '../src/rtp/rtp-packet';
import { parseSpropParameterSets } from '../src/rtp/sdp';
import { nsToTicks, ticksToNs } from '../src/time';

/** The factory's result, with the loss counters of its current (or last) run. */
export type RtpH264Depay = Transform<Packet, CpuPacket> & { readonly counters: Readonly<DepayCounters> };

const SINK_CAPS = Caps.parse('application/x-rtp, media=(string)video, clock-rate=(int)90000, encoding-name=(string)H264');
const SRC_CAPS = Caps.parse('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au');

export const RTP_H264_DEPAY = defineElement({
  name: 'rtpH264Depay',
  kind: 'transform',
  description: 'Reassembles H.264 access units from RTP (RFC 6184), detecting and flagging losses (GStreamer rtph264depay)',
  caps: { sink: SINK_CAPS, src: SRC_CAPS },
  notes:
    "Pts from the RTP timestamp (extended over wraps, relative to the first unit's). A damaged unit is never passed unflagged; the first unit after a gap is DISCONT. Drops in stats: lost and invalid packets 'corrupt', reordered ones 'late', units dropped by policy and packets of another payload type 'policy'; `counters` has the detail.",
  properties: {
    onLoss: prop.enum(['drop-until-idr', 'mark-corrupt'], {
      default: 'drop-until-idr',
      doc: 'After lost packets: drop damaged units and their dependants until the next IDR, or pass them flagged CORRUPT',
    }),
  },
});

export type RtpH264DepayOptions = ElementOptions<typeof RTP_H264_DEPAY>;

/**
 * GStreamer's rtph264depay: RTP packets of an H.264 stream in (one per packet, as udpSrc or a jitter buffer
 * gives them), access units out as Annex B (alignment=au). Pts comes from the RTP timestamp (extended over
 * wraps, relative to the first unit's). Lost packets (sequence gaps) damage the units they touch: with
 * 'drop-until-idr' those and their dependants are dropped until the next IDR, with 'mark-corrupt' passed
 * flagged CORRUPT; the first unit after a gap is DISCONT. A damaged unit is never passed unflagged.
 * Losses count in stats as drops: lost and invalid packets 'corrupt', reordered ones 'late', units
 * dropped by the policy and packets of another payload type 'policy'; `counters` has the detail.
 */
export const rtpH264Depay = RTP_H264_DEPAY.implement((options): RtpH264Depay => {
  const { onLoss } = options;
  const counters = newDepayCounters();
  const t = defineTransform<Packet, CpuPacket>({
    sinkCaps: SINK_CAPS,
    srcCaps: SRC_CAPS,
    acceptCaps: () => SINK_CAPS,
    outputCaps: (_input, allowed) => SRC_CAPS.intersect(allowed),
    open: (ctx, up) => openDepayloader(ctx, up, onLoss, counters),
  });
  return Object.assign(t, { counters });
});

function clockRateOf(c: Caps | undefined): number {
  const r = c?.get('clock-rate');
  return typeof r === 'number' && Number.isInteger(r) && r > 0 && r < 1e9 ? r : 90000;
}

function openDepayloader(ctx: ElementContext, up: Reader<Packet>, onLoss: LossPolicy, counters: DepayCounters): Reader<CpuPacket> {
  const depay = new H264Depayloader({ onLoss, counters });
  let modeCaps: Caps | undefined;
  let clockRate = 90000;
  const outCaps = ctx.outputCaps.isFixed() ? ctx.outputCaps : SRC_CAPS;
  // pts = ticks since `base`, rebased when the source restarts so that time goes on from where it was.
  let base: number | undefined;
  let epoch = 0;
  let lastPts = 0;
  let lastMeta: PacketMeta = EMPTY_META;
  let ended = false;
  const units: DepayedAccessUnit[] = [];
  const queue: CpuPacket[] = [];

  const setMode = (c: Caps): void => {
    modeCaps = c;
    clockRate = clockRateOf(c);
    // Packets of another payload type (RTCP multiplexed on the port, another stream) are ignored, not parsed as H.264.
    const pt = c.get('payload');
    depay.setPayloadType(typeof pt === 'number' && Number.isInteger(pt) && pt >= 0 && pt <= 127 ? pt : undefined);
    const sprop = c.get('sprop-parameter-sets');
    if (typeof sprop === 'string') depay.setParameterSets(parseSpropParameterSets(sprop));
  };

  const report = (before: DepayCounters): void => {
    const c = depay.counters;
    const corrupt = c.lost - before.lost + (c.invalid - before.invalid);
    if (corrupt > 0) ctx.report.drop('corrupt', corrupt);
    if (c.late > before.late) ctx.report.drop('late', c.late - before.late);
    const policy = c.dropped - before.dropped + (c.ignored - before.ignored);
    if (policy > 0) ctx.report.drop('policy', policy);
  };

  const emit = (): void => {
    for (let i = 0; i < units.length; i++) {
      const u = units[i];
      if (base === undefined || u.epoch !== epoch) {
        base = base === undefined ? u.timestamp : u.timestamp - nsToTicks(lastPts, clockRate) - 1;
        epoch = u.epoch;
      }
      const pts = ticksToNs(u.timestamp - base, clockRate);
      lastPts = Math.max(lastPts, pts);
      let flags = 0;
      if (u.keyframe) flags |= PacketFlags.KEYFRAME;
      if (u.discont) flags |= PacketFlags.DISCONT;
      if (u.corrupt) flags |= PacketFlags.CORRUPT;
      queue.push({ caps: outCaps, pts, dts: undefined, duration: undefined, flags, memory: cpuMemory(u.data), meta: lastMeta });
    }
    units.length = 0;
  };

  const before = newDepayCounters();
  const handle = (item: Pulled<Packet>): void => {
    Object.assign(before, depay.counters);
    if (item === EOS) {
      depay.flush(units);
      ended = true;
    } else {
      const mem = item.memory;
      if (mem.domain !== 'cpu') {
        // Not a datagram: counted as an invalid packet rather than failing the stream.
        depay.counters.invalid++;
      } else {
        if (item.caps !== modeCaps) setMode(item.caps);
        lastMeta = item.meta;
        depay.push(mem.data, units);
      }
    }
    report(before);
    if (units.length) emit();
  };

  return queuedReader(up, queue, handle, () => ended);
}
