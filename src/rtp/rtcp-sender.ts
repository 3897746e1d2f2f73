/**
 * The sender side of RTCP for one RTP stream, sans-IO: it watches the RTP packets going out (`sent`) and
 * says when a sender report is due and what it holds. The caller passes clock time (ns, monotonic) and
 * wall-clock time (Unix ms, for the NTP timestamp) in, and sends the datagrams it gets back.
 */
import { nsToTicks } from '../time';
import { buildBye, buildSdesCname, buildSenderReport, compound, ntpFromUnixMs } from './rtcp';
import { peekSsrc, peekTimestamp, RTP_HEADER_SIZE } from './rtp-packet';
import { tsAdd } from './seq';

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

  /** Whether a report is due at `now` (one right after the first packet, then every interval). */
  due(now: number): boolean {
    return this.nextReport !== undefined && now >= this.nextReport;
  }

  /**
   * SR + SDES(CNAME) (+ BYE when leaving) for clock time `now` and wall time `unixMs`; undefined before
   * the first packet. The SR's RTP timestamp is the last packet's advanced by the clock time since it was sent.
   */
  report(now: number, unixMs: number, bye = false): Uint8Array | undefined {
    if (this.ssrc === undefined) return undefined;
    this.nextReport = now + this.options.interval;
    const ntp = ntpFromUnixMs(unixMs);
    const elapsed = Math.max(0, now - this.lastSentAt);
    const parts = [
      buildSenderReport({
        ssrc: this.ssrc,
        ntpSeconds: ntp.seconds,
        ntpFraction: ntp.fraction,
        rtpTimestamp: tsAdd(this.lastTs, nsToTicks(elapsed, this.options.clockRate)),
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
