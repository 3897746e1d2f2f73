import { describe, expect, it } from 'vitest';
import { PocDecoder, type SliceHeader, type Sps } from '../../src/codecs/h264';

type Pic = Partial<Pick<SliceHeader, 'frameNum' | 'pocLsb' | 'deltaPocBottom' | 'deltaPoc0' | 'idr' | 'refIdc' | 'mmco5' | 'fieldPic' | 'bottomField'>>;

function decodeAll(sps: Partial<Sps>, pics: Pic[]): number[] {
  const d = new PocDecoder();
  const full = { log2MaxFrameNum: 4, log2MaxPocLsb: 4, offsetForRefFrame: [], offsetForNonRefPic: 0, offsetForTopToBottomField: 0, ...sps } as unknown as Sps;
  return pics.map((p) =>
    d.decode({ frameNum: 0, pocLsb: 0, deltaPocBottom: 0, deltaPoc0: 0, deltaPoc1: 0, idr: false, refIdc: 1, mmco5: false, fieldPic: false, bottomField: false, ...p, sps: full } as SliceHeader).poc,
  );
}

describe('picture order count (clause 8.2.1)', () => {
  it('type 0: the MSB advances when the LSB wraps, in both directions', () => {
    // MaxPicOrderCntLsb 16: a step of more than 8 is a wrap (forwards, or backwards from 4 to 14).
    const lsb = [0, 4, 8, 12, 0, 4, 14, 2];
    const pics = lsb.map((l, i) => ({ pocLsb: l, idr: i === 0 }));
    expect(decodeAll({ picOrderCntType: 0 }, pics)).toEqual([0, 4, 8, 12, 16, 20, 14, 18]);
  });

  it('type 0: only reference pictures move prevPicOrderCntMsb; MMCO 5 restarts at 0', () => {
    const pics: Pic[] = [{ idr: true }, { pocLsb: 6 }, { pocLsb: 12 }, { pocLsb: 6, refIdc: 0 }, { pocLsb: 0 }, { pocLsb: 8, mmco5: true }, { pocLsb: 2 }];
    // LSB 0 wraps against 12 (the last reference), not against the non-reference 6; after MMCO 5, from 0.
    expect(decodeAll({ picOrderCntType: 0 }, pics)).toEqual([0, 6, 12, 6, 16, 0, 2]);
  });

  it('type 1: expected POC from the reference frame cycle, non-reference offset, frame_num wrap', () => {
    const sps = { picOrderCntType: 1, offsetForRefFrame: [2], offsetForNonRefPic: -1 };
    const pics: Pic[] = [{ idr: true }, { frameNum: 1 }, { frameNum: 2 }, { frameNum: 3, refIdc: 0 }, { frameNum: 3 }, ...[4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0].map((f) => ({ frameNum: f }))];
    // POC = 2 * absFrameNum for reference frames; the non-reference one: 2 * (3 - 1) - 1 = 3
    expect(decodeAll(sps, pics)).toEqual([0, 2, 4, 3, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]);
  });

  it('type 2: 2 * frame number, minus 1 for non-reference pictures; MMCO 5 resets the offset', () => {
    const pics: Pic[] = [{ idr: true }, { frameNum: 1 }, { frameNum: 2, refIdc: 0 }, { frameNum: 2 }, { frameNum: 3, mmco5: true }, { frameNum: 1 }];
    expect(decodeAll({ picOrderCntType: 2 }, pics)).toEqual([0, 2, 3, 4, 0, 2]);
  });

  it('fields: the bottom field of type 0 takes the LSB (no delta), the frame the smaller of both', () => {
    const sps = { picOrderCntType: 0 };
    expect(decodeAll(sps, [{ idr: true, fieldPic: true }, { pocLsb: 1, fieldPic: true, bottomField: true }, { pocLsb: 4, deltaPocBottom: -1 }])).toEqual([0, 1, 3]);
  });
});
