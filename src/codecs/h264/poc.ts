import type { SliceHeader } from './slice';

export interface PictureOrder {
  readonly topFieldOrderCnt: number;
  readonly bottomFieldOrderCnt: number;
  /** PicOrderCnt(CurrPic) after any MMCO 5 reset (clause 8.2.1): the picture's place in output order. */
  readonly poc: number;
  /** The picture restarts POC counting (IDR, or MMCO 5): it and everything after follows all before. */
  readonly reset: boolean;
}

/**
 * Picture order count decoding (clause 8.2.1) for pic_order_cnt_type 0, 1 and 2. Feed the first slice
 * header of every primary picture in decoding order.
 */
export class PocDecoder {
  // Type 0 state: of the previous reference picture.
  private prevPocMsb = 0;
  private prevPocLsb = 0;
  // Types 1/2 state: of the previous picture.
  private prevFrameNumOffset = 0;
  private prevFrameNum = 0;
  private prevHadMmco5 = false;

  reset(): void {
    this.prevPocMsb = 0;
    this.prevPocLsb = 0;
    this.prevFrameNumOffset = 0;
    this.prevFrameNum = 0;
    this.prevHadMmco5 = false;
  }

  decode(s: SliceHeader): PictureOrder {
    const sps = s.sps;
    let top = 0;
    let bottom = 0;
    const bottomOnly = s.fieldPic && s.bottomField;
    const topOnly = s.fieldPic && !s.bottomField;
    let frameNumOffset = 0;
    if (sps.picOrderCntType === 0) {
      let prevMsb = this.prevPocMsb;
      let prevLsb = this.prevPocLsb;
      if (s.idr) prevMsb = prevLsb = 0;
      const max = 2 ** sps.log2MaxPocLsb;
      const lsb = s.pocLsb;
      let msb: number;
      if (lsb < prevLsb && prevLsb - lsb >= max / 2) msb = prevMsb + max;
      else if (lsb > prevLsb && lsb - prevLsb > max / 2) msb = prevMsb - max;
      else msb = prevMsb;
      top = msb + lsb;
      bottom = s.fieldPic ? msb + lsb : top + s.deltaPocBottom;
      if (s.refIdc !== 0) {
        if (s.mmco5) {
          // Clause 8.2.1: after MMCO 5 the picture counts as POC 0 (its top field as tempPicOrderCnt off).
          const temp = bottomOnly ? bottom : topOnly ? top : Math.min(top, bottom);
          this.prevPocMsb = 0;
          this.prevPocLsb = bottomOnly ? 0 : top - temp;
        } else {
          this.prevPocMsb = msb;
          this.prevPocLsb = lsb;
        }
      }
    } else {
      const maxFrameNum = 2 ** sps.log2MaxFrameNum;
      const prevOffset = this.prevHadMmco5 ? 0 : this.prevFrameNumOffset;
      if (s.idr) frameNumOffset = 0;
      else if (this.prevFrameNum > s.frameNum) frameNumOffset = prevOffset + maxFrameNum;
      else frameNumOffset = prevOffset;
      if (sps.picOrderCntType === 1) {
        const n = sps.offsetForRefFrame.length;
        let absFrameNum = n !== 0 ? frameNumOffset + s.frameNum : 0;
        if (s.refIdc === 0 && absFrameNum > 0) absFrameNum--;
        let expected = 0;
        if (absFrameNum > 0) {
          let deltaPerCycle = 0;
          for (const o of sps.offsetForRefFrame) deltaPerCycle += o;
          const cycle = Math.floor((absFrameNum - 1) / n);
          const inCycle = (absFrameNum - 1) % n;
          expected = cycle * deltaPerCycle;
          for (let i = 0; i <= inCycle; i++) expected += sps.offsetForRefFrame[i];
        }
        if (s.refIdc === 0) expected += sps.offsetForNonRefPic;
        if (!s.fieldPic) {
          top = expected + s.deltaPoc0;
          bottom = top + sps.offsetForTopToBottomField + s.deltaPoc1;
        } else if (!s.bottomField) {
          top = bottom = expected + s.deltaPoc0;
        } else {
          top = bottom = expected + sps.offsetForTopToBottomField + s.deltaPoc0;
        }
      } else {
        const temp = s.idr ? 0 : 2 * (frameNumOffset + s.frameNum) - (s.refIdc === 0 ? 1 : 0);
        top = bottom = temp;
      }
      this.prevFrameNumOffset = frameNumOffset;
      // A picture with MMCO 5 is inferred to have had frame_num 0 (clause 7.4.3).
      this.prevFrameNum = s.mmco5 ? 0 : s.frameNum;
      this.prevHadMmco5 = s.mmco5;
    }
    const poc = bottomOnly ? bottom : topOnly ? top : Math.min(top, bottom);
    return { topFieldOrderCnt: top, bottomFieldOrderCnt: bottom, poc: s.mmco5 ? 0 : poc, reset: s.idr || s.mmco5 };
  }
}
