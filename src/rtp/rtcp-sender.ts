/**
 * The sender side of RTCP for one RTP stream, sans-IO: it watches the RTP packets going out (`sent`) and
 * says when a sender report is due and what it holds. The caller passes clock time (ns, monotonic) and
 * wall-clock time (Unix ms, for the NTP timestamp) in, and sends the datagrams it gets back.
 *
 * The SR's RTP timestamp is the media clock at the report's time (RFC 3550 6.4.1), as GStreamer's
 * rtpsession derives it from running time, not the timestamp of the last packet advanced by the time
 * since it left: told when each timestamp was captured (`captured`), a receiver then maps RTP time to
 * the sender's wall clock at capture, whatever the encoding and sending took, and the mapping does not
 * jump when a packet leaves late.
 */
import { MILLISECOND, nsToTicks, SECOND, ticksToNs } from '../time';
import { buildBye, buildSdesCname, buildSenderReport, compound, ntpFromUnixMs } from './rtcp';
import { peekSsrc, peekTimestamp, RTP_HEADER_SIZE } from './rtp-packet';
import { tsAdd, tsDiff } from './seq';

/** Captures whose lateness the mapping takes the median of (about a second of video). */
const CAPTURE_WINDOW = 31;
/** A capture this far off the mapping is a new timeline (a discontinuity), not jitter. */
const CAPTURE_JUMP = SECOND;
/**
 * The mapping moved this much (a source that started late, a new timeline): receivers are that far off
 * until the next SR, so one goes early, at most every tenth of the interval.
 */
const CAPTURE_MOVED = MILLISECOND;
/** Half the RTP timestamp range: beyond it tsDiff from the reference would wrap; it is moved along first. */
const TS_HALF = 0x4000_0000;

interface CaptureRef {
  /** RTP timestamp and the clock time (ns) it was captured at. */
  rtp: number;
  at: number;
}

export interface RtcpSenderOptions {
  /** CNAME for SDES (RFC 3550 6.5.1: user@host, or any stable name). */
  readonly cname: string;
  /** Interval between reports (ns). */
  readonly interval: number;
  /** RTP clock rate of the stream. */
  readonly clockRate: number;
}

export class RtcpSender {
  private ssrc: number | undefined;
  private packets = 0;
  private octets = 0;
  private lastTs = 0;
  private lastSentAt = 0;
  private nextReport: number | undefined;
  /**
   * The capture timeline: the first capture since a reset, and the lateness (ns) of the last captures
   * against it. SRs map RTP time to `ref` moved by the median lateness.
   */
  private ref: CaptureRef | undefined;
  private readonly lates: number[] = [];
  private lateAt = 0;
  private captures = 0;
  /** The median lateness: as of the last report, and as last computed. */
  private reported = 0;
  private estimate = 0;
  private moved = false;
  private lastReport: number | undefined;

  constructor(private readonly options: RtcpSenderOptions) {
    if (!(options.interval > 0)) throw new RangeError(`RTCP interval must be > 0 ns, got ${options.interval}`);
  }

  /** Counts an RTP packet sent at clock time `now` (the packet is known to be RTP, at least 12 bytes). */
  sent(data: Uint8Array, now: number): void {
    const ssrc = peekSsrc(data);
    if (ssrc !== this.ssrc) {
      // A new source starts its counts over (RFC 3550 6.4.1: counts are per SSRC).
      this.ssrc = ssrc;
      this.packets = 0;
      this.octets = 0;
      this.nextReport = now;
      this.ref = undefined;
    }
    this.packets = (this.packets + 1) >>> 0;
    const cc = data[0] & 0x0f;
    let header = RTP_HEADER_SIZE + 4 * cc;
    if (data[0] & 0x10 && data.length >= header + 4) header += 4 + 4 * ((data[header + 2] << 8) | data[header + 3]);
    const padding = data[0] & 0x20 ? data[data.length - 1] : 0;
    this.octets = (this.octets + Math.max(0, data.length - header - padding)) % 0x1_0000_0000;
    this.lastTs = peekTimestamp(data);
    this.lastSentAt = now;
  }

  /**
   * RTP timestamp `rtp` was captured at clock time `at` (the clock of `now`). RTP time runs at the nominal
   * rate while capture stamps carry the source's wake-up jitter: the mapping is the median over the last
   * 31 captures (so that drift is followed and a late one does not move it), and a jump beyond a second
   * (a new timeline) resets it.
   */
  captured(rtp: number, at: number): void {
    const rate = this.options.clockRate;
    let ref = this.ref;
    if (ref && Math.abs(tsDiff(ref.rtp, rtp)) > TS_HALF) {
      // Move the reference along the same line before timestamps wrap relative to it.
      ref = this.ref = { rtp, at: ref.at + ticksToNs(tsDiff(ref.rtp, rtp), rate) };
    }
    const late = ref ? at - ref.at - ticksToNs(tsDiff(ref.rtp, rtp), rate) : 0;
    if (!ref || Math.abs(late - this.estimate) > CAPTURE_JUMP) {
      if (ref) this.moved = true;
      this.ref = { rtp, at };
      this.lates.length = 0;
      this.lateAt = 0;
      this.lates.push(0);
      this.estimate = 0;
      this.reported = 0;
      return;
    }
    if (this.lates.length < CAPTURE_WINDOW) this.lates.push(late);
    else this.lates[this.lateAt] = late;
    this.lateAt = (this.lateAt + 1) % CAPTURE_WINDOW;
    // A sort of 31 numbers every 8 captures: cheap, and enough to notice the mapping moved.
    if ((++this.captures & 7) === 0 || this.lates.length < 8) {
      this.estimate = median(this.lates);
      if (Math.abs(this.estimate - this.reported) > CAPTURE_MOVED) this.moved = true;
    }
  }

  /**
   * Whether a report is due at `now`: one right after the first packet, then every interval, and early
   * when the capture reference moved by more than a millisecond.
   */
  due(now: number): boolean {
    if (this.nextReport === undefined) return false;
    return now >= this.nextReport || (this.moved && (this.lastReport === undefined || now - this.lastReport >= this.options.interval / 10));
  }

  /**
   * SR + SDES(CNAME) (+ BYE when leaving) for clock time `now` and wall time `unixMs`; undefined before
   * the first packet. The SR's RTP timestamp is the media clock at `now`: from the capture reference when
   * `captured` was called, else the last packet's timestamp advanced by the clock time since it was sent
   * (a receiver then sees send times, not capture times).
   */
  report(now: number, unixMs: number, bye = false): Uint8Array | undefined {
    if (this.ssrc === undefined) return undefined;
    this.nextReport = now + this.options.interval;
    this.lastReport = now;
    this.moved = false;
    const ntp = ntpFromUnixMs(unixMs);
    if (this.ref) this.reported = this.estimate = median(this.lates);
    const rtpNow = this.ref ? tsAdd(this.ref.rtp, nsToTicks(now - this.ref.at - this.reported, this.options.clockRate)) : tsAdd(this.lastTs, nsToTicks(Math.max(0, now - this.lastSentAt), this.options.clockRate));
    const parts = [
      buildSenderReport({
        ssrc: this.ssrc,
        ntpSeconds: ntp.seconds,
        ntpFraction: ntp.fraction,
        rtpTimestamp: rtpNow,
        packetCount: this.packets,
        octetCount: this.octets,
      }),
      buildSdesCname(this.ssrc, this.options.cname),
    ];
    if (bye) parts.push(buildBye([this.ssrc]));
    return compound(parts);
  }

  get packetCount(): number {
    return this.packets;
  }

  get octetCount(): number {
    return this.octets;
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
}
