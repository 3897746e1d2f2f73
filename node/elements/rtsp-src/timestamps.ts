import type { Clock } from '../../../src/clock/clock';
import type { SenderReport } from '../../../src/rtp/rtcp';
import { NTP_UNIX_OFFSET } from '../../../src/rtp/rtcp';
import { tsDiff } from '../../../src/rtp/seq';
import { MILLISECOND, nsToTicks, ticksToNs } from '../../../src/time';

/** How long the smallest arrival delay is looked for before an older one is forgotten: 1–2 s. */
const SKEW_WINDOW = 1000 * MILLISECOND;

/**
 * RTP time → pipeline time. A unit's pts are its RTP ticks since a base, set again at each new session
 * (a new depayloader epoch: another SSRC, unrelated timestamps), so that time goes on across reconnections.
 *
 * The base comes from the first unit's arrival, which may itself have been late (a busy process starting
 * many streams at once): every later pts would keep that delay, and a synced sink wait it on every frame.
 * So, as rtpjitterbuffer's skew estimation in GStreamer's slave mode, the mapping follows the smallest
 * arrival delay (arrival − RTP time) seen over the last 1–2 s, by at most 1/64 of how far the stream's
 * RTP time moved on, so that pts keep the frame rate within 1.6% (muxers and synced sinks rely on it; a
 * unit reordered behind later ones, a B-frame, moves nothing): down when later units arrived sooner after
 * capture (a 200 ms late start is gone in ≈13 s), up (the sender's clock slower than ours, a longer
 * route) by 1/16 of the gap per unit at most.
 *
 * Live (`stampLate`), a unit that arrives later than that mapping (a keyframe: longer to encode and to
 * send, and sent to every client at once) is stamped at its arrival instead, as rtpjitterbuffer resyncs
 * a packet that would otherwise be stamped before it arrived (less its latency, 0 here): on time for a
 * synced sink rather than dropped as late by the transport's jitter. The units after it stay after it
 * (1 ms on) until the mapping passes it again, so pts never go backwards for units that move RTP time on
 * (mp4Mux takes them as dts), but their spacing then follows arrival: record with the throughput profile,
 * which keeps the RTP spacing.
 */
export class PtsTimeline {
  /** The stream's RTP clock rate (the SDP's; 90 kHz until described). */
  clockRate = 90000;
  /** The session's reorder budget (UDP's jitter buffer latency; 0 over TCP). */
  latency = 0;
  /**
   * Whether the mapping follows the smallest arrival delay (video). Audio's pts stay sample-exact: an audio
   * sink or muxer would take every correction for a gap or an overlap.
   */
  followArrival = true;
  /** Whether a unit later than the mapping is stamped at its arrival (live; see the class doc). */
  stampLate = false;
  private base: number | undefined;
  private epoch = -1;
  private lastPts = 0;
  /** Added to every pts of the session: ≤ 0 once later units arrived sooner after capture than the first. */
  private skew = 0;
  /** Smallest arrival delay in the window now filling, and in the one before; when this one started. */
  private windowMin = Infinity;
  private previousMin = Infinity;
  private windowStart = 0;
  /** The largest RTP pts of the session so far: how far the stream's time moved on bounds each step. */
  private rtpHigh = 0;

  /** `runningTime`: the pipeline clock less its base time, now. */
  constructor(private readonly runningTime: () => number) {}

  pts(timestamp: number, epoch: number): number {
    // Over UDP the jitter buffer may hold a unit up to `latency`: that is added, as GStreamer's pipeline
    // latency, so that the units it held are not late for the sink.
    const arrival = this.runningTime() + this.latency;
    if (this.base === undefined || epoch !== this.epoch) {
      // As rtspsrc: the first unit of a session is stamped with its arrival running time, so that sinks
      // syncing on the clock see it on time, and a reconnection's gap shows in pts; never backwards.
      const start = this.base === undefined ? Math.max(0, arrival) : Math.max(arrival, this.lastPts + MILLISECOND);
      this.base = timestamp - nsToTicks(start, this.clockRate);
      this.epoch = epoch;
      this.skew = 0;
      this.windowMin = this.previousMin = Infinity;
      this.windowStart = arrival;
      this.rtpHigh = ticksToNs(timestamp - this.base, this.clockRate);
    }
    const rtpPts = ticksToNs(timestamp - this.base, this.clockRate);
    const advance = rtpPts - this.rtpHigh;
    let pts = rtpPts;
    if (this.followArrival) {
      this.follow(arrival - rtpPts, advance, arrival);
      pts += this.skew;
      // Only units that move RTP time on: B-frames in decode order keep the mapping's pts.
      if (this.stampLate && advance >= 0) {
        pts = Math.max(pts, arrival);
        if (advance > 0) pts = Math.max(pts, this.lastPts + MILLISECOND);
      }
    }
    this.rtpHigh = Math.max(this.rtpHigh, rtpPts);
    this.lastPts = Math.max(this.lastPts, pts);
    return pts;
  }

  /** Moves `skew` toward the smallest delay of the window; `advance`: how far this unit moved RTP time on. */
  private follow(delay: number, advance: number, arrival: number): void {
    if (arrival - this.windowStart >= SKEW_WINDOW) {
      this.previousMin = this.windowMin;
      this.windowMin = Infinity;
      this.windowStart = arrival;
    }
    this.windowMin = Math.min(this.windowMin, delay);
    const target = Math.min(this.windowMin, this.previousMin);
    const step = Math.max(0, advance) / 64;
    if (target < this.skew) this.skew = Math.max(target, this.skew - step);
    else if (target > this.skew) this.skew += Math.min(step, (target - this.skew) / 16);
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
