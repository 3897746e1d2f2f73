import { describe, expect, it } from 'vitest';
import { argb, parseArgb, rgb, rgbToYuv601, yuv601ToRgb } from '../../src/video';

describe('BT.601 limited range', () => {
  it('maps the primaries and greys to their studio-swing code values', () => {
    expect(rgbToYuv601(0, 0, 0)).toEqual([16, 128, 128]);
    expect(rgbToYuv601(255, 255, 255)).toEqual([235, 128, 128]);
    expect(rgbToYuv601(255, 0, 0)).toEqual([81, 90, 240]);
    expect(rgbToYuv601(0, 255, 0)).toEqual([145, 54, 34]);
    expect(rgbToYuv601(0, 0, 255)).toEqual([41, 240, 110]);
    expect(rgbToYuv601(255, 255, 0)).toEqual([210, 16, 146]);
    expect(rgbToYuv601(191, 191, 191)).toEqual([180, 128, 128]);
  });

  it('inverts within rounding for every 8-bit grey and a grid of colours', () => {
    for (let v = 0; v < 256; v += 1) expect(yuv601ToRgb(...rgbToYuv601(v, v, v)).map((c) => Math.abs(c - v))).toSatisfy((d: number[]) => d.every((x) => x <= 1));
    for (let r = 0; r < 256; r += 51)
      for (let g = 0; g < 256; g += 51)
        for (let b = 0; b < 256; b += 51) {
          const back = yuv601ToRgb(...rgbToYuv601(r, g, b));
          expect(Math.max(Math.abs(back[0] - r), Math.abs(back[1] - g), Math.abs(back[2] - b))).toBeLessThanOrEqual(2);
        }
  });

  it('reads 0xAARRGGBB and validates components', () => {
    expect(argb(0x80ff0000)).toEqual({ r: 255, g: 0, b: 0, a: 128, y: 81, u: 90, v: 240 });
    expect(() => argb(0x100000000)).toThrow(/0xAARRGGBB/);
    expect(() => rgb(256, 0, 0)).toThrow(/red/);
  });

  it('parses colours as written in launch syntax', () => {
    expect(parseArgb('0xff336699')).toBe(0xff336699);
    expect(parseArgb('#80112233')).toBe(0x80112233);
    expect(parseArgb('#112233')).toBe(0xff112233);
    expect(parseArgb('4278190080')).toBe(0xff000000);
    expect(() => parseArgb('red')).toThrow(/0xAARRGGBB/);
    expect(() => parseArgb('0x1ffffffff')).toThrow(RangeError);
  });
});
