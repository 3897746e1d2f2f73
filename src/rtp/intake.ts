/**
 * What every depayloader does first with a datagram: parse it, keep the payload type it was told, follow
 * the sender (SSRC) and the sequence, and count what it drops. What a gap or a new sender means for the
 * payload is the depayloader's: after `take`, `newSource` and `lost` say what happened before this packet.
 */
import { parseRtp, RtpError, type RtpPacket } from './rtp-packet';
import { seqDiff } from './seq';

export interface IntakeCounters {
  /** Packets taken in (valid RTP, right payload type, in order). */
  packets: number;
  /** Not valid RTP. */
  invalid: number;
  /** Of another payload type. */
  ignored: number;
  /** Arrived after a later one (reordered or duplicated): dropped. */
  late: number;
}

export class RtpIntake {
  /** The packet taken came from another sender than the one before (not set for the first). */
  newSource = false;
  /** Packets missing from the sequence just before the one taken. */
  lost = 0;
  private ssrc: number | undefined;
  private expectedSeq: number | undefined;

  /** `payloadType`: accept only this one (from signalling); undefined: any. */
  constructor(private readonly counters: IntakeCounters, public payloadType?: number) {}

  /** The packet, or undefined when it is dropped (counted). */
  take(data: Uint8Array): RtpPacket | undefined {
    const p = parseRtp(data);
    if (p instanceof RtpError) {
      this.counters.invalid++;
      return undefined;
    }
    if (this.payloadType !== undefined && p.payloadType !== this.payloadType) {
      this.counters.ignored++;
      return undefined;
    }
    this.newSource = this.ssrc !== undefined && this.ssrc !== p.ssrc;
    this.lost = 0;
    if (this.ssrc !== p.ssrc) {
      this.ssrc = p.ssrc;
      // A new sender's sequence starts anywhere.
      this.expectedSeq = undefined;
    }
    if (this.expectedSeq !== undefined) {
      const d = seqDiff(this.expectedSeq, p.sequenceNumber);
      if (d < 0) {
        this.counters.late++;
        return undefined;
      }
      this.lost = d;
    }
    this.expectedSeq = (p.sequenceNumber + 1) & 0xffff;
    this.counters.packets++;
    return p;
  }
}
