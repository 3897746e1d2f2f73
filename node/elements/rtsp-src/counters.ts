import { newDepayCounters, type DepayCounters } from '../../../src/rtp/h264-depayloader';

/** Counters of a run, for tests and stats. */
export interface RtspSrcCounters {
  sessions: number;
  reconnects: number;
  units: number;
  /** UDP sessions given up for TCP because no RTP came (udp+tcp). */
  fallbacks: number;
  /** RTCP receiver reports sent (RR + SDES, the last with BYE), and our SSRC in them. */
  receiverReports: number;
  rtcpSsrc: number | undefined;
  /** Dropped before depayloading: interleaved frames on channels SETUP did not give, packets that are not RTP. */
  discarded: number;
  depay: DepayCounters;
}

/** Counters at zero; the depayloader's are its own to keep, so a reset leaves them. */
const zero = (): Omit<RtspSrcCounters, 'depay'> => ({
  sessions: 0,
  reconnects: 0,
  units: 0,
  fallbacks: 0,
  receiverReports: 0,
  rtcpSsrc: undefined,
  discarded: 0,
});

export function newCounters(): RtspSrcCounters {
  return { ...zero(), depay: newDepayCounters() };
}

/** Each open counts afresh. */
export function resetCounters(c: RtspSrcCounters): void {
  Object.assign(c, zero());
}
