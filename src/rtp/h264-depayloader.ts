/**
 * RFC 6184 depacketisation (non-interleaved mode): RTP packets in, H.264 access units out as Annex B with
 * 4-byte start codes. Single NAL units, STAP-A and FU-A are reassembled; an access unit ends at the marker
 * bit, or when the timestamp changes (a lost or never-set marker). Sequence gaps are losses: the access
 * units they touch are damaged, and the loss policy decides what becomes of them and of the units that
 * depend on them until the next random access point. Sans-IO: bytes in, units out.
 */
import { findRecoveryPoint } from '../codecs/h264/sei';
import { NalType, unescapeRbsp } from '../codecs/h264/nal';
import { RtpIntake } from './intake';
import { RtpError } from './rtp-packet';
import { TimestampExtender } from './seq';
import { FU_A, STAP_A } from './h264-payloader';

/**
 * What to do once packets were lost:
 * - 'drop-until-idr': drop the damaged access unit and every one after it until an IDR (or a recovery
 *   point SEI) arrives whole, so that downstream only ever sees decodable units;
 * - 'mark-corrupt': pass everything, flagging `corrupt` the damaged unit and those after it until the
 *   next random access point (their references are damaged), for decoders that conceal errors.
 * Either way the first unit after a gap is `discont`, and units before the first random access point
 * count as depending on something lost.
 */
export type LossPolicy = 'drop-until-idr' | 'mark-corrupt';

export interface H264DepayloaderOptions {
  readonly onLoss?: LossPolicy;
  /** Accept only this payload type (others are counted as ignored); default: any. */
  readonly payloadType?: number;
  /** Parameter sets from signalling (sprop-parameter-sets), put before an IDR that lacks them after a start or loss. */
  readonly parameterSets?: readonly Uint8Array[];
  /** Counters to fill (zeroed here), so that an element can hand out one object across runs. */
  readonly counters?: DepayCounters;
}

export function newDepayCounters(): DepayCounters {
  return { packets: 0, invalid: 0, ignored: 0, late: 0, lost: 0, accessUnits: 0, damaged: 0, dropped: 0, restarts: 0 };
}

export interface DepayedAccessUnit {
  /** Annex B, a 4-byte start code before each NAL unit. */
  readonly data: Uint8Array;
  /** Extended RTP timestamp (ticks, not wrapped). */
  readonly timestamp: number;
  /** Increments when the source restarts (new SSRC): timestamps of different epochs are unrelated. */
  readonly epoch: number;
  /** Holds an IDR picture. */
  readonly keyframe: boolean;
  /** Bytes are missing, or a reference it depends on was (mark-corrupt only: never emitted otherwise). */
  readonly corrupt: boolean;
  /** First unit after a gap, a restart or the start of the stream. */
  readonly discont: boolean;
}

export interface DepayCounters {
  /** Packets taken in (valid RTP, right payload type, in order). */
  packets: number;
  /** Packets that are not valid RTP or not valid RFC 6184 payloads. */
  invalid: number;
  /** Packets of another payload type, of interleaved-mode types, or of NAL types 0/30/31 (ignored per RFC). */
  ignored: number;
  /** Packets that arrived after a later one (reordered or duplicated): dropped. */
  late: number;
  /** Packets missing from the sequence. */
  lost: number;
  /** Access units emitted. */
  accessUnits: number;
  /** Access units with bytes missing. */
  damaged: number;
  /** Access units not emitted (damaged, or waiting for a random access point). */
  dropped: number;
  /** SSRC changes. */
  restarts: number;
}

/** Piece kinds: a continuation of the current NAL, or a new NAL (optionally with a rebuilt FU header byte first). */
const CONTINUE = -1;
const NEW_NAL = -2;

export class H264Depayloader {
  readonly policy: LossPolicy;
  readonly counters: DepayCounters;
  private readonly intake: RtpIntake;
  private sprop: Uint8Array[] = [];

  private readonly ts = new TimestampExtender();
  private epoch = 0;

  // The access unit being assembled.
  private active = false;
  private auTs = 0;
  private pieces: Uint8Array[] = [];
  private kinds: number[] = [];
  private bytes = 0;
  private nals = 0;
  private damaged = false;
  private keyframe = false;
  private recovery = false;
  private hasSps = false;
  private hasPps = false;
  private firstType = -1;
  // A FU-A NAL in progress.
  private inFu = false;

  /** The next access unit's packets follow a gap: it may miss its beginning. */
  private gapPending = false;
  /**
   * No unit begun yet since the start or a restart: what was sent before the first packet is unknown, so the
   * first unit is damaged if it visibly starts mid-picture (a fragment's middle, a slice other than the first).
   */
  private joining = true;
  /** No random access point since the start or the last damage. */
  private broken = true;
  private discontPending = true;
  private paramsNeeded = true;

  constructor(options: H264DepayloaderOptions = {}) {
    this.policy = options.onLoss ?? 'drop-until-idr';
    if (this.policy !== 'drop-until-idr' && this.policy !== 'mark-corrupt')
      throw new RtpError('argument', `onLoss must be 'drop-until-idr' or 'mark-corrupt', got '${String(this.policy)}'`);
    this.counters = options.counters ? Object.assign(options.counters, newDepayCounters()) : newDepayCounters();
    this.intake = new RtpIntake(this.counters, options.payloadType);
    if (options.parameterSets) this.setParameterSets(options.parameterSets);
  }

  /** Accept only this payload type (from signalling); undefined: any. */
  setPayloadType(pt: number | undefined): void {
    this.intake.payloadType = pt;
  }

  /** SPS/PPS from signalling (only NAL types 7 and 8 are kept). */
  setParameterSets(nals: readonly Uint8Array[]): void {
    this.sprop = nals.filter((n) => n.length > 0 && ((n[0] & 0x1f) === NalType.SPS || (n[0] & 0x1f) === NalType.PPS));
  }

  /** Takes one RTP packet; appends the access units it completes to `out`. Never throws on bad input. */
  push(data: Uint8Array, out: DepayedAccessUnit[]): void {
    const intake = this.intake;
    const p = intake.take(data);
    if (!p) return;
    if (intake.newSource) this.restart(out);
    if (intake.lost > 0) this.loss(intake.lost);
    const ts = this.ts.extend(p.timestamp);
    if (this.active && ts !== this.auTs) this.finish(out);
    if (!this.active) this.begin(ts);
    if (this.gapPending) {
      this.damaged = true;
      this.gapPending = false;
    }
    this.payload(p.payload);
    if (p.marker) this.finish(out);
  }

  /** End of stream: the unit in progress is emitted (damaged if it ends inside a fragmented NAL). */
  flush(out: DepayedAccessUnit[]): void {
    if (this.active) this.finish(out);
  }

  private loss(count: number): void {
    this.counters.lost += count;
    // The unit in progress lost its tail (or its marker and more); the next one may have lost its head.
    if (this.active) this.damaged = true;
    this.inFu = false;
    this.gapPending = true;
    this.discontPending = true;
    this.paramsNeeded = true;
  }

  private restart(out: DepayedAccessUnit[]): void {
    this.counters.restarts++;
    if (this.active) {
      // Whatever was in progress ends here, never to be completed.
      if (this.inFu) this.damaged = true;
      this.finish(out);
    }
    this.ts.reset();
    this.epoch++;
    this.joining = true;
    this.broken = true;
    this.gapPending = false;
    this.discontPending = true;
    this.paramsNeeded = true;
  }

  private begin(ts: number): void {
    this.active = true;
    this.auTs = ts;
    this.pieces.length = 0;
    this.kinds.length = 0;
    this.bytes = 0;
    this.nals = 0;
    this.damaged = false;
    this.keyframe = false;
    this.recovery = false;
    this.hasSps = false;
    this.hasPps = false;
    this.firstType = -1;
    this.inFu = false;
  }

  /** `second` is the NAL's byte after the header (its slice's first_mb_in_slice starts there). */
  private note(type: number, nal: Uint8Array | undefined, second = nal?.[1]): void {
    if (this.firstType < 0) {
      this.firstType = type;
      // first_mb_in_slice is ue(v): 0 is the single bit 1. A first slice other than the picture's first means picture data was sent before.
      if (this.joining && type >= 1 && type <= 5 && (second === undefined || (second & 0x80) === 0)) this.damaged = true;
    }
    if (type === NalType.IDR) this.keyframe = true;
    else if (type === NalType.SPS) this.hasSps = true;
    else if (type === NalType.PPS) this.hasPps = true;
    // A recovery point SEI is a random access point too (open GOP, intra refresh); only looked for when needed.
    else if (type === NalType.SEI && nal && this.broken && !this.recovery) this.recovery = findRecoveryPoint(unescapeRbsp(nal)) !== undefined;
  }

  private addNal(nal: Uint8Array): void {
    this.note(nal[0] & 0x1f, nal);
    this.pieces.push(nal);
    this.kinds.push(NEW_NAL);
    this.bytes += 4 + nal.length;
    this.nals++;
  }

  private malformed(): void {
    this.counters.invalid++;
    this.damaged = true;
  }

  private payload(pl: Uint8Array): void {
    const n = pl.length;
    if (n === 0) return this.malformed();
    const b = pl[0];
    // F = 1: the network signals bit errors in this unit (RFC 6184 5.3).
    if (b & 0x80) this.damaged = true;
    const type = b & 0x1f;
    if (type >= 1 && type <= 23) return this.addNal(pl);
    if (type === STAP_A) {
      let i = 1;
      while (i < n) {
        if (i + 2 > n) return this.malformed();
        const size = (pl[i] << 8) | pl[i + 1];
        i += 2;
        if (size === 0 || i + size > n) return this.malformed();
        this.addNal(pl.subarray(i, i + size));
        i += size;
      }
      if (n === 1) this.malformed();
      return;
    }
    if (type === FU_A) {
      if (n < 3) return this.malformed();
      const fu = pl[1];
      const start = (fu & 0x80) !== 0;
      const end = (fu & 0x40) !== 0;
      if (start && end) return this.malformed();
      if (start) {
        if (this.inFu) this.damaged = true;
        const header = (b & 0xe0) | (fu & 0x1f);
        this.note(fu & 0x1f, undefined, pl[2]);
        this.pieces.push(pl.subarray(2));
        this.kinds.push(header);
        this.bytes += 5 + n - 2;
        this.nals++;
        this.inFu = true;
      } else if (!this.inFu) {
        // A fragment whose start was lost (the loss made the unit damaged already) or never sent.
        this.damaged = true;
        return;
      } else {
        this.pieces.push(pl.subarray(2));
        this.kinds.push(CONTINUE);
        this.bytes += n - 2;
      }
      if (end) this.inFu = false;
      return;
    }
    // 25–27 and 29 are interleaved-mode types (packetization-mode=2), unsupported: their data is lost to us.
    this.counters.ignored++;
    if (type >= 25 && type <= 29) this.damaged = true;
  }

  private finish(out: DepayedAccessUnit[]): void {
    this.active = false;
    this.joining = false;
    if (this.inFu) {
      // The unit ends inside a fragmented NAL: drop the partial NAL's pieces, the unit is damaged.
      this.damaged = true;
      let k = this.kinds.length - 1;
      while (k >= 0 && this.kinds[k] === CONTINUE) k--;
      if (k >= 0) {
        for (let j = k; j < this.pieces.length; j++) this.bytes -= this.pieces[j].length + (this.kinds[j] >= 0 ? 5 : this.kinds[j] === NEW_NAL ? 4 : 0);
        this.pieces.length = k;
        this.kinds.length = k;
        this.nals--;
      }
      this.inFu = false;
    }
    if (this.nals === 0 && !this.damaged) return;
    const damaged = this.damaged;
    if (damaged) {
      this.counters.damaged++;
      this.broken = true;
    }
    const rap = !damaged && (this.keyframe || this.recovery);
    if (rap) this.broken = false;
    let corrupt = false;
    if (damaged || this.broken) {
      if (this.policy === 'drop-until-idr' || this.nals === 0) {
        this.counters.dropped++;
        return;
      }
      corrupt = true;
    }
    let insert: Uint8Array[] | undefined;
    if (this.keyframe && this.paramsNeeded && this.sprop.length && !(this.hasSps && this.hasPps)) {
      insert = this.sprop.filter((s) => ((s[0] & 0x1f) === NalType.SPS ? !this.hasSps : !this.hasPps));
    }
    if ((this.hasSps && this.hasPps) || insert) this.paramsNeeded = false;
    out.push({
      data: this.assemble(insert),
      timestamp: this.auTs,
      epoch: this.epoch,
      keyframe: this.keyframe,
      corrupt,
      discont: this.discontPending,
    });
    this.discontPending = false;
    this.counters.accessUnits++;
  }

  /** One copy: every piece into the output, start codes between NAL units. */
  private assemble(insert: Uint8Array[] | undefined): Uint8Array {
    let size = this.bytes;
    if (insert) for (const s of insert) size += 4 + s.length;
    const d = new Uint8Array(size);
    let o = 0;
    const put = (nal: Uint8Array): void => {
      d[o + 3] = 1;
      d.set(nal, o + 4);
      o += 4 + nal.length;
    };
    let k = 0;
    // Inserted parameter sets go after an access unit delimiter, which must stay first.
    if (insert && this.firstType === NalType.AUD && this.kinds[0] === NEW_NAL) put(this.pieces[k++]);
    if (insert) for (const s of insert) put(s);
    for (; k < this.pieces.length; k++) {
      const kind = this.kinds[k];
      const piece = this.pieces[k];
      if (kind === NEW_NAL) put(piece);
      else {
        if (kind >= 0) {
          d[o + 3] = 1;
          d[o + 4] = kind;
          o += 5;
        }
        d.set(piece, o);
        o += piece.length;
      }
    }
    return o === size ? d : d.subarray(0, o);
  }
}
