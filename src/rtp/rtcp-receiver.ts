/**
 * The receiver side of RTCP (RFC 3550 6.4.2), sans-IO: it watches the RTP packets and sender reports that
 * arrive (`rtp`, `rtcp`, with the arrival time passed in) and says when a receiver report is due and what
 * it holds: per source, the loss accounting of A.1/A.3, the interarrival jitter of A.8 and the LSR/DLSR
 * pair that lets the sender compute the round trip; the interval is A.7's (5 s minimum, half that first,
 * randomised over [0.5, 1.5] and compensated). It never touches a socket or a timer: the driver sends what
 * `report` gives at `pollTimeout`, and `report(now, true)` (RR + SDES + BYE) when it leaves.
 */
import { nsToTicks, SECOND } from '../time';
import { randomUint32 } from './random';
import { buildBye, buildSdesCname, compound, ntpMiddle32, RTCP_RR, type ReportBlock, type RtcpPacket } from './rtcp';
import { peekSeq, peekSsrc, peekTimestamp, RTP_HEADER_SIZE } from './rtp-packet';

const RTP_SEQ_MOD = 1 << 16;
/** A.1: packets in sequence before a source is valid, and the largest plausible jump either way. */
export const MIN_SEQUENTIAL = 2;
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;
/** IPv4 + UDP headers, counted in the average RTCP packet size (6.2). */
const LOWER_HEADERS = 28;
/** Floor of the session bandwidth estimated from arrivals (bits/s). */
const MIN_ESTIMATED_BANDWIDTH = 64_000;

/**
 * One source's reception statistics, the `source` structure of A.1 with A.3's loss accounting and A.8's
 * jitter. Arrival times are ns on any monotonic clock; only their differences matter.
 */
export class RtpSourceStats {
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = MIN_SEQUENTIAL;
  private started = false;
  /** Valid packets counted (A.1: not those of the probation). */
  received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit: number | undefined;
  /** A.8's integer estimator: 16 × the jitter, in timestamp units. */
  private jitter16 = 0;
  private lsr = 0;
  private srArrival: number | undefined;
  /** Octets of RTP (headers included), for the bandwidth estimate. */
  octets = 0;
  firstArrival: number | undefined;

  constructor(
    readonly ssrc: number,
    readonly clockRate: number,
  ) {}

  /** Whether the source has passed probation (A.1). */
  get valid(): boolean {
    return this.probation === 0;
  }

  /** A.1's init_seq. */
  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /** A.1's update_seq: false for a packet not (yet) counted (probation, or a jump awaiting confirmation). */
  updateSeq(seq: number): boolean {
    if (!this.started) {
      // The first packet: "init_seq(s, seq); s->max_seq = seq - 1; s->probation = MIN_SEQUENTIAL".
      this.started = true;
      this.initSeq(seq);
      this.maxSeq = (seq - 1) & 0xffff;
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.received++;
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    } else if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      if (seq === this.badSeq) {
        // Two sequential packets after a big jump: the sender restarted; start over.
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
        return false;
      }
    }
    // Else a duplicate or reordered packet: counted, as A.1 does (it can make `lost` negative).
    this.received++;
    return true;
  }

  /** One RTP packet: sequence number, RTP timestamp, size in bytes, arrival time (ns). */
  packet(seq: number, timestamp: number, size: number, arrival: number): boolean {
    const counted = this.updateSeq(seq);
    this.firstArrival ??= arrival;
    this.octets += size;
    // A.8: transit = arrival − timestamp, both in timestamp units; the offset between the clocks cancels in D.
    const transit = (nsToTicks(arrival, this.clockRate) - timestamp) % 0x1_0000_0000;
    if (this.transit !== undefined) {
      // The 32-bit signed difference follows the timestamp across its wrap.
      let d = (transit - this.transit) | 0;
      if (d < 0) d = -d;
      this.jitter16 += d - ((this.jitter16 + 8) >> 4);
    }
    this.transit = transit;
    return counted;
  }

  /** A sender report from this source, arrived at `arrival` (ns): LSR and DLSR of the next block. */
  senderReport(ntpSeconds: number, ntpFraction: number, arrival: number): void {
    this.lsr = ntpMiddle32(ntpSeconds, ntpFraction);
    this.srArrival = arrival;
  }

  /** Interarrival jitter in timestamp units, as reported. */
  get jitter(): number {
    return this.jitter16 >> 4;
  }

  /** A.3: the highest sequence number received, extended with the count of wraps in the high 16 bits. */
  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  get expected(): number {
    return this.extendedMax - this.baseSeq + 1;
  }

  /** A.3: cumulative packets lost (expected − received), clamped to the 24-bit signed field. */
  get lost(): number {
    return Math.max(-0x800000, Math.min(0x7fffff, this.expected - this.received));
  }

  /** The report block for this source at `now` (ns); advances A.3's interval counters. */
  reportBlock(now: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    // DLSR in units of 1/65536 s since that SR arrived; 0 with no SR yet (6.4.1).
    const dlsr = this.srArrival === undefined ? 0 : Math.min(0xffffffff, Math.round(((now - this.srArrival) * 65536) / SECOND));
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      packetsLost: this.lost,
      highestSeq: this.extendedMax >>> 0,
      jitter: this.jitter >>> 0,
      lastSr: this.srArrival === undefined ? 0 : this.lsr,
      delaySinceLastSr: dlsr,
    };
  }
}

/** One RR packet (no compound): 8 bytes plus 24 per report block (6.4.2). */
export function buildReceiverReport(ssrc: number, blocks: readonly ReportBlock[]): Uint8Array {
  if (blocks.length > 31) throw new RangeError('at most 31 report blocks fit one RR');
  if (!Number.isInteger(ssrc) || ssrc < 0 || ssrc > 0xffffffff) throw new RangeError(`ssrc must be a 32-bit unsigned integer, got ${ssrc}`);
  const size = 8 + 24 * blocks.length;
  const d = new Uint8Array(size);
  const v = new DataView(d.buffer);
  d[0] = 0x80 | blocks.length;
  d[1] = RTCP_RR;
  v.setUint16(2, size / 4 - 1);
  v.setUint32(4, ssrc);
  let o = 8;
  for (const b of blocks) {
    v.setUint32(o, b.ssrc >>> 0);
    // Fraction (8 bits), then the cumulative loss as a 24-bit two's complement number.
    v.setUint32(o + 4, (((b.fractionLost & 0xff) << 24) | (b.packetsLost & 0xffffff)) >>> 0);
    v.setUint32(o + 8, b.highestSeq >>> 0);
    v.setUint32(o + 12, b.jitter >>> 0);
    v.setUint32(o + 16, b.lastSr >>> 0);
    v.setUint32(o + 20, b.delaySinceLastSr >>> 0);
    o += 24;
  }
  return d;
}

export interface RtcpIntervalInput {
  /** Participants, ourselves included. */
  readonly members: number;
  readonly senders: number;
  /** Bandwidth for RTCP, octets per second (5 % of the session bandwidth). */
  readonly rtcpBandwidth: number;
  readonly weSent: boolean;
  /** Average compound RTCP packet size, octets (lower-layer headers included). */
  readonly avgRtcpSize: number;
  /** Before the first report: half the minimum. */
  readonly initial: boolean;
}

/** A.7's rtcp_interval, in ns; `random` is in [0, 1) (drand48). */
export function rtcpInterval(i: RtcpIntervalInput, random: number): number {
  const RTCP_MIN_TIME = 5;
  const SENDER_FRACTION = 0.25;
  const COMPENSATION = 2.71828 - 1.5;
  const minTime = i.initial ? RTCP_MIN_TIME / 2 : RTCP_MIN_TIME;
  let n = i.members;
  let bw = i.rtcpBandwidth;
  if (i.senders <= i.members * SENDER_FRACTION) {
    if (i.weSent) {
      bw *= SENDER_FRACTION;
      n = i.senders;
    } else {
      bw *= 1 - SENDER_FRACTION;
      n -= i.senders;
    }
  }
  let t = bw > 0 ? (i.avgRtcpSize * n) / bw : minTime;
  if (t < minTime) t = minTime;
  t *= random + 0.5;
  t /= COMPENSATION;
  return Math.round(t * SECOND);
}

export interface RtcpReceiverOptions {
  /** CNAME for SDES (6.5.1). */
  readonly cname: string;
  /** RTP clock rate of the stream(s). */
  readonly clockRate: number;
  /** Our SSRC (default random; changed if a source turns out to use it, 8.2). */
  readonly ssrc?: number;
  /** Session bandwidth in bits/s (SDP b=AS); default: estimated from what arrives (at least 64 kbit/s). */
  readonly sessionBandwidth?: number;
  /** Uniform in [0, 1) for the interval's randomisation (default Math.random). */
  readonly random?: () => number;
}

/** The RTCP receiver of one RTP session: statistics per source, and when and what to report. */
export class RtcpReceiver {
  private ourSsrc: number;
  private readonly sources = new Map<number, RtpSourceStats>();
  private readonly random: () => number;
  private nextReport: number | undefined;
  private initial = true;
  /** A.7: started at the probable size of our first report (RR with one block + SDES). */
  private avgRtcpSize: number;
  /** Reports sent. */
  sent = 0;

  constructor(private readonly options: RtcpReceiverOptions) {
    if (!(options.clockRate > 0)) throw new RangeError(`RTCP clock rate must be > 0, got ${options.clockRate}`);
    this.ourSsrc = options.ssrc ?? randomUint32();
    this.random = options.random ?? Math.random;
    this.avgRtcpSize = LOWER_HEADERS + 32 + 12 + options.cname.length;
  }

  get ssrc(): number {
    return this.ourSsrc;
  }

  /** Statistics of one source, if it has sent anything. */
  source(ssrc: number): RtpSourceStats | undefined {
    return this.sources.get(ssrc);
  }

  private stats(ssrc: number): RtpSourceStats {
    let s = this.sources.get(ssrc);
    if (!s) {
      s = new RtpSourceStats(ssrc, this.options.clockRate);
      this.sources.set(ssrc, s);
      // A collision with a sender's SSRC (8.2): ours moves, as we have sent nothing that names it yet but reports.
      if (ssrc === this.ourSsrc) this.ourSsrc = (ssrc + 1 + (randomUint32() % 0xfffffffe)) >>> 0;
    }
    return s;
  }

  /** An RTP packet (known to be RTP: 12 bytes or more) arrived at `now` (ns). Arms the first report. */
  rtp(data: Uint8Array, now: number): void {
    if (data.length < RTP_HEADER_SIZE) return;
    this.stats(peekSsrc(data)).packet(peekSeq(data), peekTimestamp(data), data.length, now);
    this.nextReport ??= now + this.interval(now);
  }

  /** A parsed RTCP datagram of `size` bytes arrived at `now`: SRs are remembered, BYEs forget their source. */
  rtcp(packets: readonly RtcpPacket[], size: number, now: number): void {
    this.avgRtcpSize += (size + LOWER_HEADERS - this.avgRtcpSize) / 16;
    for (const p of packets) {
      if (p.type === 'sr') this.stats(p.ssrc).senderReport(p.ntpSeconds, p.ntpFraction, now);
      else if (p.type === 'bye') for (const s of p.ssrcs) this.sources.delete(s);
    }
  }

  /** When the next report is due (ns); undefined before any RTP. */
  pollTimeout(): number | undefined {
    return this.nextReport;
  }

  due(now: number): boolean {
    return this.nextReport !== undefined && now >= this.nextReport;
  }

  /**
   * RR (a block per source heard since the last report, at most 31) + SDES(CNAME), + BYE when leaving, and
   * the next report scheduled one interval on. A BYE is sent at once (6.3.7: under 50 members, no backoff).
   */
  report(now: number, bye = false): Uint8Array {
    const blocks: ReportBlock[] = [];
    for (const s of this.sources.values()) {
      if (blocks.length === 31) break;
      if (s.firstArrival !== undefined) blocks.push(s.reportBlock(now));
    }
    const parts = [buildReceiverReport(this.ourSsrc, blocks), buildSdesCname(this.ourSsrc, this.options.cname)];
    if (bye) parts.push(buildBye([this.ourSsrc]));
    const d = compound(parts);
    this.sent++;
    this.avgRtcpSize += (d.length + LOWER_HEADERS - this.avgRtcpSize) / 16;
    this.initial = false;
    this.nextReport = bye ? undefined : now + this.interval(now);
    return d;
  }

  /** A.7's interval for this session now: 5 % of the session bandwidth for RTCP, we never send RTP. */
  interval(now: number): number {
    let senders = 0;
    let bytesPerSecond = 0;
    for (const s of this.sources.values()) {
      if (s.firstArrival === undefined) continue;
      senders++;
      const span = (now - s.firstArrival) / SECOND;
      if (span > 0) bytesPerSecond += s.octets / span;
    }
    // An estimate over a few packets can be absurdly low (one packet in a second): floored at 64 kbit/s,
    // under which the interval would exceed the 5 s minimum only with hundreds of members anyway.
    const session = this.options.sessionBandwidth !== undefined ? this.options.sessionBandwidth / 8 : Math.max(bytesPerSecond, MIN_ESTIMATED_BANDWIDTH / 8);
    return rtcpInterval(
      { members: this.sources.size + 1, senders, rtcpBandwidth: 0.05 * session, weSent: false, avgRtcpSize: this.avgRtcpSize, initial: this.initial },
      this.random(),
    );
  }
}
