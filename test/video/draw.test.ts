import { describe, expect, it } from 'vitest';
import { allocFrame, fillCircle, fillFrame, fillRect, frameLayout, readPixel, rgb, subsample444, WHITE, BLACK } from '../../src/video';

const red = rgb(255, 0, 0);
const blue = rgb(0, 0, 255);

describe('fillRect', () => {
  it('fills RGBA rectangles, clipped to the frame', () => {
    const v = allocFrame(frameLayout('RGBA', 7, 5));
    fillRect(v, -2, 3, 5, 10, red);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 7; x++) expect(readPixel(v, x, y)).toEqual(y >= 3 && x < 3 ? [255, 0, 0, 255] : [0, 0, 0, 0]);
  });

  it('writes a 4:2:0 chroma sample when its top-left luma sample is inside, in both NV12 and I420', () => {
    for (const format of ['NV12', 'I420'] as const) {
      const v = allocFrame(frameLayout(format, 7, 5));
      fillFrame(v, BLACK);
      fillRect(v, 1, 1, 3, 3, red); // luma x 1..3, y 1..3: chroma columns/rows whose top-left (2c) is in [1, 4): c = 1
      expect(readPixel(v, 0, 0)).toEqual([16, 128, 128]);
      expect(readPixel(v, 1, 1)[0]).toBe(81);
      expect(readPixel(v, 2, 2)).toEqual([81, 90, 240]);
      expect(readPixel(v, 3, 3)).toEqual([81, 90, 240]);
      expect(readPixel(v, 4, 4)).toEqual([16, 128, 128]);
      // Pixel (1, 1) shares the chroma of block (0, 0), whose top-left is outside.
      expect(readPixel(v, 1, 1).slice(1)).toEqual([128, 128]);
    }
  });

  it('covers the odd last column and row of chroma', () => {
    const v = allocFrame(frameLayout('I420', 5, 3));
    fillRect(v, 4, 2, 1, 1, blue);
    expect(readPixel(v, 4, 2)).toEqual([41, 240, 110]);
  });
});

describe('fillCircle', () => {
  it('fills the pixels whose centres are within the radius', () => {
    const v = allocFrame(frameLayout('RGBA', 20, 20));
    fillCircle(v, 10, 10, 5, WHITE);
    for (let y = 0; y < 20; y++)
      for (let x = 0; x < 20; x++) {
        const inside = (x + 0.5 - 10) ** 2 + (y + 0.5 - 10) ** 2 <= 25;
        expect(readPixel(v, x, y)[0]).toBe(inside ? 255 : 0);
      }
  });
});

describe('subsample444', () => {
  it('averages each 2x2 block of chroma (a column pair first), repeating the edge of odd sizes', () => {
    const full = allocFrame(frameLayout('Y444', 3, 3));
    fillRect(full, 0, 0, 1, 3, red); // column 0 red, the rest blue
    fillRect(full, 1, 0, 2, 3, blue);
    const nv12 = subsample444(full, 'NV12');
    const i420 = subsample444(full, 'I420');
    const avg = (a: number, b: number) => (a + b + 1) >> 1;
    expect(readPixel(nv12, 0, 0)).toEqual([81, avg(90, 240), avg(240, 110)]);
    expect(readPixel(i420, 0, 0)).toEqual(readPixel(nv12, 0, 0));
    // Block (1, 1) holds only pixel (2, 2): its own colour.
    expect(readPixel(i420, 2, 2)).toEqual([41, 240, 110]);
    expect(() => subsample444(nv12, 'I420')).toThrow(/Y444/);
  });
});
