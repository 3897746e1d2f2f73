import type { AccessUnit } from './access-unit';
import { H264Error } from './errors';
import { reorderDepth } from './sps';

const SECOND = 1_000_000_000;

export interface Rate {
  readonly num: number;
  readonly den: number;
}

export interface Timestamps {
  readonly pts: number | undefined;
  readonly dts: number | undefined;
  readonly duration: number | undefined;
}

/**
 * Timestamps for access units of an elementary stream, in nanoseconds. Upstream times are kept when
 * given; the rest is derived: decoding times step by the frame duration (a field's is half), and
 * presentation times come from the picture order count, as an encoder assigned them:
 *
 *   pts = dts(first picture of the POC period) + (POC - POC of that picture) / 2 frames + reorder delay
 *
 * where a POC period starts at an IDR or MMCO 5 picture (every later picture is shown after all earlier
 * ones) and the reorder delay is max_num_reorder_frames (what output order may lag decoding order; see
 * `reorderDepth`). POC counts 2 per frame with every common encoder; a stream seen to step by 1 is
 * counted 1 per frame from then on. Without reordering (delay 0) pts equals dts.
 *
 * Times are computed from integer counts of half frames since an anchor, so they do not drift.
 */
export class H264Timestamper {
  private rate: Rate | undefined;
  /** ns at which `units` counted from 0. */
  private anchorNs = 0;
  /** Half frames decoded since the anchor. */
  private units = 0;
  /** Position (half frames since the anchor) and POC of the picture that began the POC period. */
  private periodUnit = 0;
  private periodPoc = 0;
  private havePeriod = false;
  private pocPerFrame = 2;

  private toNs(units: number): number {
    const r = this.rate!;
    return Math.round((units * SECOND * r.den) / (2 * r.num));
  }

  /** Moves the anchor to `ns` at the current position (upstream times, a new frame rate). */
  private reanchor(ns: number): void {
    this.periodUnit -= this.units;
    this.units = 0;
    this.anchorNs = ns;
  }

  /**
   * Times for the next unit in decoding order. `rate` is the frame rate to step by (caller's choice of
   * option, caps, VUI or a default); `upstream` the times that came with it, if any.
   */
  stamp(au: Pick<AccessUnit, 'hasPicture' | 'order' | 'slice' | 'sps'>, rate: Rate, upstream: { pts?: number; dts?: number } = {}): Timestamps {
    if (!(rate.num > 0 && rate.den > 0)) throw new H264Error('argument', `frame rate must be positive, got ${rate.num}/${rate.den}`);
    if (!this.rate) this.rate = rate;
    else if (this.rate.num !== rate.num || this.rate.den !== rate.den) {
      const now = this.anchorNs + this.toNs(this.units);
      this.rate = rate;
      this.reanchor(now);
    }
    if (!au.hasPicture) return { pts: upstream.pts, dts: upstream.dts, duration: undefined };
    const delay = au.sps ? reorderDepth(au.sps) : 0;
    const step = au.slice?.fieldPic ? 1 : 2;
    const order = au.order;
    const periodStart = order !== undefined && (order.reset || !this.havePeriod);
    if (upstream.dts !== undefined) this.reanchor(upstream.dts);
    else if (upstream.pts !== undefined && delay === 0) this.reanchor(upstream.pts);
    // A pts alone on the picture that starts a POC period anchors the timeline so that the pictures
    // after it get times consistent with it (its dts is `delay` frames earlier).
    else if (upstream.pts !== undefined && periodStart) this.reanchor(upstream.pts - this.toNs(2 * delay));
    const dts = this.anchorNs + this.toNs(this.units);
    let pts = upstream.pts;
    if (order) {
      if (periodStart) {
        this.periodUnit = this.units;
        this.periodPoc = order.poc;
        this.havePeriod = true;
      }
      const diff = order.poc - this.periodPoc;
      if (step === 2 && diff % 2 !== 0 && delay > 0) this.pocPerFrame = 1;
      if (pts === undefined) {
        if (delay === 0) pts = dts;
        else {
          const units = this.periodUnit + (diff * 2) / this.pocPerFrame + 2 * delay;
          pts = Math.max(dts, this.anchorNs + this.toNs(units));
        }
      }
    } else if (pts === undefined) pts = dts;
    const duration = this.toNs(this.units + step) - this.toNs(this.units);
    this.units += step;
    return { pts, dts, duration };
  }
}
