import type { DepayCounters } from '../../../src/rtp/h264-depayloader';

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
  depay: DepayCounters;
}

/** Each open counts afresh; the depayloader's counters are its own to keep. */
export function resetCounters(c: RtspSrcCounters): void {
  Object.assign(c, { sessions: 0, reconnects: 0, units: 0, fallbacks: 0, receiverReports: 0, rtcpSsrc: undefined });
}
