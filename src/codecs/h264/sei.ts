import { BitReader } from './bit-reader';
import { H264Error } from './errors';

export interface RecoveryPoint {
  readonly recoveryFrameCnt: number;
  readonly exactMatch: boolean;
  readonly brokenLink: boolean;
}

export interface SeiMessage {
  readonly payloadType: number;
  /** The payload RBSP bytes (a view of the input). */
  readonly payload: Uint8Array;
}

/**
 * Splits an SEI RBSP (NAL header byte included, emulation prevention removed) into messages
 * (clause 7.3.2.3). A message cut short ends the list (its truncation is reported by `truncated`).
 */
export function parseSeiMessages(rbsp: Uint8Array): { messages: SeiMessage[]; truncated: boolean } {
  const messages: SeiMessage[] = [];
  let i = 1;
  const n = rbsp.length;
  while (i < n) {
    // The rbsp_trailing_bits byte (0x80) ends the list.
    if (rbsp[i] === 0x80 && i === n - 1) break;
    let type = 0;
    while (i < n && rbsp[i] === 0xff) {
      type += 255;
      i++;
    }
    if (i >= n) return { messages, truncated: true };
    type += rbsp[i++];
    let size = 0;
    while (i < n && rbsp[i] === 0xff) {
      size += 255;
      i++;
    }
    if (i >= n) return { messages, truncated: true };
    size += rbsp[i++];
    if (i + size > n) return { messages, truncated: true };
    messages.push({ payloadType: type, payload: rbsp.subarray(i, i + size) });
    i += size;
  }
  return { messages, truncated: false };
}

/** The recovery point SEI (payloadType 6, clause D.2.8) of an SEI RBSP, if it has one. */
export function findRecoveryPoint(rbsp: Uint8Array): RecoveryPoint | undefined {
  for (const m of parseSeiMessages(rbsp).messages) {
    if (m.payloadType !== 6) continue;
    const r = new BitReader(m.payload);
    try {
      const recoveryFrameCnt = r.ue();
      const exactMatch = r.flag();
      const brokenLink = r.flag();
      return { recoveryFrameCnt, exactMatch, brokenLink };
    } catch (e) {
      if (e instanceof H264Error) return undefined;
      throw e;
    }
  }
  return undefined;
}
