import { describe, expect, it } from 'vitest';
import { allocFrame, drawText, FONT_CHARACTERS, frameLayout, glyph, glyphPixel, readPixel, rgb, textSize, WHITE, BLACK } from '../../src/video';

/** The glyph as rows of '#' and '.', read back from the bit table. */
const picture = (ch: string) => Array.from({ length: 7 }, (_, y) => Array.from({ length: 5 }, (_, x) => (glyphPixel(ch, x, y) ? '#' : '.')).join(''));

describe('bitmap font', () => {
  it('has digits, A–Z, space and : . - / ?', () => {
    for (const ch of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ :.-/?') expect(FONT_CHARACTERS).toContain(ch);
  });

  it('stores the glyphs it was drawn with', () => {
    expect(picture('1')).toEqual(['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.']);
    expect(picture(':')).toEqual(['.....', '.##..', '.##..', '.....', '.##..', '.##..', '.....']);
    expect(picture(' ').join('')).not.toContain('#');
  });

  it('draws every character differently, so OCR can tell them apart (0 is slashed, unlike O)', () => {
    const seen = new Map<string, string>();
    for (const ch of FONT_CHARACTERS) {
      const key = picture(ch).join('/');
      expect(seen.get(key), `${ch} looks like ${seen.get(key)}`).toBeUndefined();
      seen.set(key, ch);
    }
  });

  it('draws lower case as upper case and unknown characters as ?', () => {
    expect(glyph('a')).toBe(glyph('A'));
    expect(glyph('é')).toBe(glyph('?'));
    expect(glyph('%')).toBe(glyph('?'));
  });

  it('draws scaled glyphs into a frame: each font pixel a scale x scale square, black on a white box', () => {
    const view = allocFrame(frameLayout('RGBA', 64, 48));
    const box = drawText(view, '1:', 2, 3, { scale: 3, color: BLACK, background: WHITE });
    expect(box).toEqual({ x: 2, y: 3, width: textSize('1:', 3).width + 6, height: 7 * 3 + 6 });
    expect(textSize('1:', 3)).toEqual({ width: (2 * 6 - 1) * 3, height: 21 });
    const ox = 2 + 3;
    const oy = 3 + 3;
    const chars = '1:';
    for (let c = 0; c < 2; c++)
      for (let gy = 0; gy < 7; gy++)
        for (let gx = 0; gx < 5; gx++)
          for (let sy = 0; sy < 3; sy++)
            for (let sx = 0; sx < 3; sx++) {
              const px = readPixel(view, ox + c * 18 + gx * 3 + sx, oy + gy * 3 + sy);
              expect(px).toEqual(glyphPixel(chars[c], gx, gy) ? [0, 0, 0, 255] : [255, 255, 255, 255]);
            }
    // The box is the padding around the text; outside it the frame is untouched.
    expect(readPixel(view, 2, 3)).toEqual([255, 255, 255, 255]);
    expect(readPixel(view, 1, 3)).toEqual([0, 0, 0, 0]);
    expect(readPixel(view, 2 + box.width, 3)).toEqual([0, 0, 0, 0]);
  });

  it('draws into YUV frames with the colour’s luma and chroma, clipped at the frame edge', () => {
    const view = allocFrame(frameLayout('NV12', 30, 20));
    const red = rgb(255, 0, 0);
    drawText(view, '8', 20, 10, { scale: 2, color: red });
    // '8' row 0 is .###.: x = 20 + 2 (pad) + 2..7 is red.
    expect(readPixel(view, 24, 12)).toEqual([81, 90, 240]);
    expect(readPixel(view, 22, 12)[0]).toBe(0);
    expect(() => drawText(view, '8', 0, 0, { scale: 0, color: red })).toThrow(/scale/);
  });
});
