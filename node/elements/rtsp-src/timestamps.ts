import type { Clock } from '../../../src/clock/clock';
import type { SenderReport } from '../../../src/rtp/rtcp';
import { NTP_UNIX_OFFSET } from '../../../src/rtp/rtcp';
import { tsDiff } from '../../../src/rtp/seq';
import { MILLISECOND, nsToTicks, ticksToNs } from '../../../src/time';

/**
 * RTP time → pipeline time. A unit's pts are its RTP ticks since a base, set again at each new session
 * (a new depayloader epoch: another SSRC, unrelated timestamps), so that time goes on across reconnections.
 */
export class PtsTimeline {
  /** The stream's RTP clock rate (the SDP's; 90 kHz until described). */
  clockRate = 90000;
  /** The session's reorder budget (UDP's jitter buffer latency; 0 over TCP). */
  latency = 0;
  private base: number | undefined;
  private epoch = -1;
  private lastPts = 0;

  /** `runningTime`: the pipeline clock less its base time, now. */
  constructor(private readonly runningTime: () => number) {}

  pts(timestamp: number, epoch: number): number {
    if (this.base === undefined || epoch !== this.epoch) {
      // As rtspsrc: the first unit of a session is stamped with its arrival running time, so that sinks
      // syncing on the clock see it on time, and a reconnection's gap shows in pts; never backwards.
      // Over UDP the jitter buffer may hold a unit up to `latency`: that is added, as GStreamer's
      // pipeline latency, so that the units it held are not late for the sink.
      const arrival = this.runningTime() + this.latency;
      const start = this.base === undefined ? Math.max(0, arrival) : Math.max(arrival, this.lastPts + MILLISECOND);
      this.base = timestamp - nsToTicks(start, this.clockRate);
      this.epoch = epoch;
    }
    const pts = ticksToNs(timestamp - this.base, this.clockRate);
    this.lastPts = Math.max(this.lastPts, pts);
    return pts;
  }
}

/**
 * One timeline for the streams of a session (rtspSrc media=all): a unit's pts is its capture running time
 * (from its stream's sender reports) plus one offset for all streams, set by the first unit stamped this
 * way so that its pts is what its own timeline gave it. Streams then keep the relation the sender's reports
 * state (lip sync, as rtpbin's), however their first packets arrived. A stream with no report yet stays on
 * its own timeline.
 */
export class SharedTimeline {
  private offset: number | undefined;

  /** A new session: new reports, a new offset. */
  reset(): void {
    this.offset = undefined;
  }

  /** pts of a unit captured at running time `capture`, which its stream's own timeline stamps `own`. */
  pts(capture: number, own: number): number {
    this.offset ??= own - capture;
    return capture + this.offset;
  }
}

/**
 * RTP time → capture time on the pipeline clock, from the sender's RTCP SR (its wall clock at one RTP
 * time): what glass-to-glass latency is measured from. Without an SR of the source now playing, the
 * arrival time stands in.
 */
export class SenderClock {
  /** The last sender report of the source now playing. */
  private sr: { ssrc: number; wallMs: number; rtp: number } | undefined;
  /** SSRC of the RTP now arriving: an SR of another source (a previous session's) must not map it. */
  private rtpSsrc: number | undefined;

  constructor(private readonly clock: Clock) {}

  /** A new session: the last one's SR and SSRC no longer apply. */
  reset(): void {
    this.sr = undefined;
    this.rtpSsrc = undefined;
  }

  senderReport(p: SenderReport): void {
    this.sr = { ssrc: p.ssrc, wallMs: (p.ntpSeconds - NTP_UNIX_OFFSET) * 1000 + (p.ntpFraction / 0x1_0000_0000) * 1000, rtp: p.rtpTimestamp };
  }

  rtpFrom(ssrc: number): void {
    this.rtpSsrc = ssrc;
  }

  /** Whether a report of the source now playing maps its timestamps. */
  get synced(): boolean {
    return this.sr !== undefined && this.sr.ssrc === this.rtpSsrc;
  }

  captureTime(timestamp: number, clockRate: number): number {
    const sr = this.sr;
    if (!sr || sr.ssrc !== this.rtpSsrc) return this.clock.now();
    // The sender's wall clock at capture, moved onto the pipeline clock (same host or NTP-synced hosts).
    const wallMs = sr.wallMs + (tsDiff(sr.rtp, timestamp % 0x1_0000_0000) * 1000) / clockRate;
    return this.clock.now() - Math.round((performance.timeOrigin + performance.now() - wallMs) * MILLISECOND);
  }
}
