import { copyBytes } from '../../util/bytes';
import { H264Error } from './errors';
import { unescapeRbsp } from './nal';
import { parsePpsRbsp, type Pps } from './pps';
import type { ParameterSetLookup } from './slice';
import { parseSpsRbsp, type Sps } from './sps';

export interface StoredSps {
  readonly raw: Uint8Array;
  readonly sps: Sps;
}

export interface StoredPps {
  readonly raw: Uint8Array;
  readonly pps: Pps;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The active SPS/PPS tables of a stream. A repeated parameter set with the same bytes keeps its parsed
 * object, so object identity means "unchanged" (caps are rebuilt only on real changes); `version` counts
 * real changes.
 */
export class ParameterSets implements ParameterSetLookup {
  private readonly spsById = new Map<number, StoredSps>();
  private readonly ppsById = new Map<number, StoredPps>();
  version = 0;

  sps(id: number): Sps | undefined {
    return this.spsById.get(id)?.sps;
  }

  pps(id: number): Pps | undefined {
    return this.ppsById.get(id)?.pps;
  }

  rawSps(id: number): Uint8Array | undefined {
    return this.spsById.get(id)?.raw;
  }

  /** PPS NAL units that refer to SPS `spsId`, by id. */
  ppsFor(spsId: number): StoredPps[] {
    return [...this.ppsById.values()].filter((p) => p.pps.spsId === spsId).sort((a, b) => a.pps.id - b.pps.id);
  }

  /**
   * Stores a whole SPS or PPS NAL (copied: parameter sets outlive the chunks they came in). Returns
   * whether the table changed; throws H264Error when the NAL does not parse (the table is left alone).
   */
  put(nal: Uint8Array): boolean {
    const type = nal.length ? nal[0] & 0x1f : -1;
    if (type === 7) {
      const sps = parseSpsRbsp(unescapeRbsp(nal));
      const old = this.spsById.get(sps.id);
      if (old && sameBytes(old.raw, nal)) return false;
      this.spsById.set(sps.id, { raw: copyBytes(nal), sps });
      // PPS parsing does not depend on the SPS here, so the PPS table stays valid.
      this.version++;
      return true;
    }
    if (type === 8) {
      const pps = parsePpsRbsp(unescapeRbsp(nal));
      const old = this.ppsById.get(pps.id);
      if (old && sameBytes(old.raw, nal)) return false;
      this.ppsById.set(pps.id, { raw: copyBytes(nal), pps });
      this.version++;
      return true;
    }
    throw new H264Error('argument', `not a parameter set (nal_unit_type ${type})`);
  }

  clear(): void {
    this.spsById.clear();
    this.ppsById.clear();
    this.version++;
  }
}
