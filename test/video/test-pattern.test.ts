import { describe, expect, it } from 'vitest';
import {
  ballPosition,
  formatClock,
  formatFrameNumber,
  frameLayout,
  readPixel,
  rgbToYuv601,
  TestPatternGenerator,
  type FrameView,
  type VideoFormat,
} from '../../src/video';

const view = (format: VideoFormat, w: number, h: number, data: Uint8Array): FrameView => ({ layout: frameLayout(format, w, h), data });
const smpte = (format: VideoFormat, w = 320, h = 240) => view(format, w, h, new TestPatternGenerator(frameLayout(format, w, h), { pattern: 'smpte' }).frame(0, 0));
/** Middle of bar i of 7. */
const barX = (i: number, w: number) => Math.floor(((i + 0.5) * w) / 7);

const BARS_RGB = [
  [255, 255, 255],
  [255, 255, 0],
  [0, 255, 255],
  [0, 255, 0],
  [255, 0, 255],
  [255, 0, 0],
  [0, 0, 255],
];

describe('SMPTE bars', () => {
  it('draws the seven 100% bars, the castellations and the -I/white/+Q/PLUGE row in RGBA', () => {
    const v = smpte('RGBA');
    BARS_RGB.forEach((c, i) => expect(readPixel(v, barX(i, 320), 10)).toEqual([...c, 255]));
    // Castellations under the bars: blue, black, magenta, black, cyan, black, white.
    const castle = [[0, 0, 255], [0, 0, 0], [255, 0, 255], [0, 0, 0], [0, 255, 255], [0, 0, 0], [255, 255, 255]];
    castle.forEach((c, i) => expect(readPixel(v, barX(i, 320), 170)).toEqual([...c, 255]));
    expect(readPixel(v, 20, 230)).toEqual([0, 0, 128, 255]); // -I
    expect(readPixel(v, 80, 230)).toEqual([255, 255, 255, 255]);
    expect(readPixel(v, 130, 230)).toEqual([0, 128, 255, 255]); // +Q
    expect(readPixel(v, 220, 230)).toEqual([19, 19, 19, 255]); // PLUGE +4%
  });

  it('has the BT.601 limited-range YUV of the same colours in NV12 and I420', () => {
    for (const format of ['NV12', 'I420'] as const) {
      const v = smpte(format);
      BARS_RGB.forEach((c, i) => expect(readPixel(v, barX(i, 320), 10)).toEqual(rgbToYuv601(c[0], c[1], c[2])));
      expect(readPixel(v, barX(0, 320), 10)).toEqual([235, 128, 128]);
      expect(readPixel(v, barX(6, 320), 10)).toEqual([41, 240, 110]);
      expect(readPixel(v, 170, 230)).toEqual([0, 128, 128]); // super-black, below black
      expect(readPixel(v, 190, 230)).toEqual([16, 128, 128]);
      expect(readPixel(v, 220, 230)).toEqual([32, 128, 128]);
    }
  });

  it('draws any size, odd ones included, with bars at i·w/7', () => {
    const v = smpte('I420', 321, 241);
    expect(v.data.length).toBe(321 * 241 + 2 * 161 * 121);
    expect(readPixel(v, 45, 0)[0]).toBe(210); // floor(321/7) = 45: the yellow bar starts there
    expect(readPixel(v, 44, 0)[0]).toBe(235);
    expect(readPixel(v, 320, 240)[1]).toBeGreaterThan(0);
    const tiny = smpte('NV12', 1, 1);
    expect(tiny.data.length).toBe(3);
  });

  it('smpte75 draws 75% bars over the whole frame', () => {
    const v = view('RGBA', 70, 10, new TestPatternGenerator(frameLayout('RGBA', 70, 10), { pattern: 'smpte75' }).frame(0, 0));
    expect(readPixel(v, 5, 9)).toEqual([191, 191, 191, 255]);
    expect(readPixel(v, 15, 0)).toEqual([191, 191, 0, 255]);
    expect(readPixel(v, 65, 5)).toEqual([0, 0, 191, 255]);
  });
});

describe('plain patterns', () => {
  it('solid is uniform in the foreground colour, black and white are uniform', () => {
    for (const format of ['NV12', 'I420', 'RGBA'] as const) {
      const layout = frameLayout(format, 33, 17);
      const solid = new TestPatternGenerator(layout, { pattern: 'solid', foregroundColor: 0xff00ff00 }).frame(0, 0);
      const expected = format === 'RGBA' ? [0, 255, 0, 255] : rgbToYuv601(0, 255, 0);
      for (let y = 0; y < 17; y++) for (let x = 0; x < 33; x++) expect(readPixel({ layout, data: solid }, x, y)).toEqual(expected);
      const black = new TestPatternGenerator(layout, { pattern: 'black' }).frame(0, 0);
      const white = new TestPatternGenerator(layout, { pattern: 'white' }).frame(0, 0);
      expect(new Set(readPixelsOf(layout, black))).toEqual(new Set([format === 'RGBA' ? '0,0,0,255' : '16,128,128']));
      expect(new Set(readPixelsOf(layout, white))).toEqual(new Set([format === 'RGBA' ? '255,255,255,255' : '235,128,128']));
    }
  });

  it('the ball moves from frame to frame, in the foreground colour on the background', () => {
    const layout = frameLayout('I420', 320, 240);
    const gen = new TestPatternGenerator(layout, { pattern: 'ball' });
    const positions = [0, 1, 2, 50].map((i) => ballPosition(i, 320, 240));
    expect(new Set(positions.map((p) => `${p.x},${p.y}`)).size).toBe(4);
    for (const [k, i] of [0, 1, 2, 50].entries()) {
      const f = { layout, data: gen.frame(i, 0) };
      const p = positions[k];
      expect(readPixel(f, Math.floor(p.x), Math.floor(p.y))[0]).toBe(235);
      expect(readPixel(f, Math.floor(p.x + p.radius + 2) % 320, Math.floor(p.y))[0]).toBe(16);
    }
    expect(same(gen.frame(1, 0), gen.frame(2, 0))).toBe(false);
    // Always inside the frame, bouncing off the edges.
    for (let i = 0; i < 2000; i += 7) {
      const p = ballPosition(i, 320, 240);
      expect(p.x - p.radius).toBeGreaterThanOrEqual(0);
      expect(p.x + p.radius).toBeLessThanOrEqual(320);
      expect(p.y + p.radius).toBeLessThanOrEqual(240);
    }
  });

  it('returns a fresh buffer every frame and never touches the static one', () => {
    const gen = new TestPatternGenerator(frameLayout('NV12', 64, 48), { pattern: 'ball' });
    const base = gen.base.slice();
    const a = gen.frame(0, 0);
    const b = gen.frame(0, 0);
    expect(a).not.toBe(b);
    expect(same(a, b)).toBe(true);
    a.fill(7);
    expect(same(gen.frame(0, 0), b)).toBe(true);
    expect(same(gen.base, base)).toBe(true);
  });
});

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

function readPixelsOf(layout: ReturnType<typeof frameLayout>, data: Uint8Array): string[] {
  const out: string[] = [];
  for (let y = 0; y < layout.height; y++) for (let x = 0; x < layout.width; x++) out.push(readPixel({ layout, data }, x, y).join(','));
  return out;
}

describe('overlays', () => {
  const layout = frameLayout('NV12', 320, 240);

  it('formats frame numbers and running time', () => {
    expect(formatFrameNumber(42)).toBe('000042');
    expect(formatFrameNumber(1_234_567)).toBe('1234567');
    expect(formatClock(0)).toBe('00:00:00.000');
    expect(formatClock(3_723_456_789_000)).toBe('01:02:03.456');
    expect(formatClock(999_999)).toBe('00:00:00.000');
  });

  it('draws the frame number: different frames differ only inside the overlay box', () => {
    const gen = new TestPatternGenerator(layout, { pattern: 'smpte', overlay: 'frame', overlayScale: 4 });
    const box = gen.overlayBox(formatFrameNumber(0));
    expect(box).toEqual({ x: 8, y: 8, width: (6 * 6 - 1) * 4 + 8, height: 7 * 4 + 8 });
    const f1 = { layout, data: gen.frame(1, 0) };
    const f2 = { layout, data: gen.frame(2, 0) };
    let inside = 0;
    let outside = 0;
    for (let y = 0; y < 240; y++)
      for (let x = 0; x < 320; x++) {
        if (f1.data[y * 320 + x] === f2.data[y * 320 + x]) continue;
        if (x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height) inside++;
        else outside++;
      }
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(0);
    // The box is white with black glyphs: the padding corner is white, the first '0' has a black top bar.
    expect(readPixel(f1, box.x, box.y)).toEqual([235, 128, 128]);
    expect(readPixel(f1, box.x + 4 + 4 + 1, box.y + 4 + 1)).toEqual([16, 128, 128]);
  });

  it('draws the running time from pts, and a fixed text into the static frame', () => {
    const clock = new TestPatternGenerator(layout, { pattern: 'black', overlay: 'clock' });
    expect(same(clock.frame(0, 1_000_000_000), clock.frame(0, 2_000_000_000))).toBe(false);
    expect(same(clock.frame(5, 1_000_000_000), clock.frame(6, 1_000_000_000))).toBe(true);
    const text = new TestPatternGenerator(layout, { pattern: 'black', overlay: 'text', text: 'HELLO 42' });
    expect(same(text.frame(0, 0), text.base)).toBe(true);
    expect(same(text.base, new TestPatternGenerator(layout, { pattern: 'black' }).base)).toBe(false);
  });

  it('validates options with RangeErrors', () => {
    expect(() => new TestPatternGenerator(layout, { pattern: 'snow' as never })).toThrow(/unknown pattern 'snow'/);
    expect(() => new TestPatternGenerator(layout, { overlay: 'text' })).toThrow(/needs a non-empty text/);
    expect(() => new TestPatternGenerator(layout, { overlay: 'frame', overlayScale: 0 })).toThrow(/overlayScale/);
    expect(() => new TestPatternGenerator(layout, { foregroundColor: -1 })).toThrow(/0xAARRGGBB/);
  });
});
