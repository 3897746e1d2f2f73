import { describe, expect, it } from 'vitest';
import { Caps, fraction } from '../../src';
import { frameLayout, frameTime, parseFramerate, rawVideoCaps, rawVideoInfo } from '../../src/video';

describe('frameLayout', () => {
  it('lays out NV12, I420 and RGBA tightly, chroma rounded up for odd sizes', () => {
    const nv12 = frameLayout('NV12', 5, 3);
    expect(nv12.planes.map((p) => [p.offset, p.stride, p.width, p.height])).toEqual([
      [0, 5, 5, 3],
      [15, 6, 3, 2],
    ]);
    expect(nv12.size).toBe(15 + 12);
    const i420 = frameLayout('I420', 5, 3);
    expect(i420.planes.map((p) => [p.offset, p.stride, p.height])).toEqual([
      [0, 5, 3],
      [15, 3, 2],
      [21, 3, 2],
    ]);
    expect(i420.size).toBe(27);
    expect(frameLayout('RGBA', 5, 3).size).toBe(60);
    expect(frameLayout('Y444', 5, 3).size).toBe(45);
  });

  it('gives the sizes FFmpeg and GStreamer use for even frames', () => {
    expect(frameLayout('NV12', 1920, 1080).size).toBe(3_110_400);
    expect(frameLayout('I420', 1920, 1080).size).toBe(3_110_400);
    expect(frameLayout('I420', 1, 1).size).toBe(3);
    expect(frameLayout('NV12', 1, 1).size).toBe(3);
  });

  it('rejects bad sizes and formats with RangeErrors', () => {
    expect(() => frameLayout('NV12', 0, 2)).toThrow(/width must be a positive integer, got 0/);
    expect(() => frameLayout('NV12', 2, 1.5)).toThrow(/height/);
    expect(() => frameLayout('YUY2' as never, 2, 2)).toThrow(/unsupported raw video format 'YUY2'/);
  });
});

describe('raw video caps', () => {
  it('round-trips through rawVideoCaps and rawVideoInfo', () => {
    const c = rawVideoCaps({ format: 'I420', width: 641, height: 361, framerate: fraction(30000, 1001) });
    expect(c.toString()).toBe('video/x-raw, format=(string)I420, width=(int)641, height=(int)361, framerate=(fraction)30000/1001');
    const info = rawVideoInfo(c);
    expect(info).toMatchObject({ format: 'I420', width: 641, height: 361, framerate: { num: 30000, den: 1001 } });
    expect(info.layout.size).toBe(641 * 361 + 2 * 321 * 181);
  });

  it('names what is wrong with caps that are not fixed raw video', () => {
    expect(() => rawVideoInfo(Caps.parse('video/x-h264'))).toThrow(/expected video\/x-raw/);
    expect(() => rawVideoInfo(Caps.parse('video/x-raw, format=YUY2, width=2, height=2'))).toThrow(/format=NV12\|I420\|RGBA/);
    expect(() => rawVideoInfo(Caps.parse('video/x-raw, format=NV12, width=[1, 4], height=2'))).toThrow(/fixed width and height/);
  });
});

describe('framerate and frame times', () => {
  it('parses N/D, integers and decimal numbers', () => {
    expect(parseFramerate('30/1')).toEqual(fraction(30, 1));
    expect(parseFramerate('25')).toEqual(fraction(25, 1));
    expect(parseFramerate(29.97)).toEqual(fraction(2997, 100));
    expect(() => parseFramerate('0/1')).toThrow(RangeError);
    expect(() => parseFramerate('30/0')).toThrow(RangeError);
    expect(() => parseFramerate('fast')).toThrow(/N\/D/);
  });

  it('frame i is at round(i·1e9·den/num), exactly, however far into the stream', () => {
    const r = fraction(30, 1);
    expect([0, 1, 2, 3].map((i) => frameTime(i, r))).toEqual([0, 33_333_333, 66_666_667, 100_000_000]);
    const ntsc = fraction(30000, 1001);
    expect(frameTime(1, ntsc)).toBe(33_366_667);
    // 10 hours of 29.97: i·1e9·1001 is far past 2^53, the result still exact.
    const i = 1_078_921;
    expect(frameTime(i, ntsc)).toBe(Number((BigInt(i) * 1001n * 1_000_000_000n * 2n + 30000n) / 60000n));
    expect(frameTime(30000, ntsc)).toBe(1001 * 1_000_000_000);
    expect(frameTime(3, fraction(2_000_000_000, 1))).toBe(2);
    expect(() => frameTime(-1, r)).toThrow(RangeError);
  });
});
