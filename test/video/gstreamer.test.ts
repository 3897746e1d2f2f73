import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frameLayout, readPixel, TestPatternGenerator, type VideoFormat } from '../../src/video';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe', 'gstreamer');

/*
 * Cross-checks against the reference tools (installed by scripts/setup.sh): GStreamer's videotestsrc
 * pattern=smpte for the pixels, FFmpeg's rawvideo demuxer for the frame layout.
 */
const dir = mkdtempSync(join(tmpdir(), 'g2g-video-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ours = (format: VideoFormat, w: number, h: number, i = 0) => new TestPatternGenerator(frameLayout(format, w, h), { pattern: 'smpte' }).frame(i, 0);

/** GStreamer's frame repacked tightly: it pads strides to 4 bytes and the luma plane to an even height. */
function gstreamer(format: VideoFormat, w: number, h: number, extraCaps = ',colorimetry=bt601'): Uint8Array {
  const file = join(dir, `gst-${format}-${w}x${h}.raw`);
  const capsArg = `video/x-raw,format=${format},width=${w},height=${h}${format === 'RGBA' ? '' : extraCaps}`;
  execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=1', 'pattern=smpte', '!', capsArg, '!', 'filesink', `location=${file}`], { timeout: 30_000 });
  const raw = readFileSync(file);
  const layout = frameLayout(format, w, h);
  const out = new Uint8Array(layout.size);
  const r4 = (n: number) => (n + 3) & ~3;
  if (format === 'RGBA') {
    expect(raw.length).toBe(layout.size);
    return new Uint8Array(raw);
  }
  const ys = r4(w);
  const yh = h + (h & 1);
  for (let y = 0; y < h; y++) out.set(raw.subarray(y * ys, y * ys + w), y * w);
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  if (format === 'I420') {
    const cs = r4(cw);
    for (let k = 0; k < 2; k++) for (let y = 0; y < ch; y++) out.set(raw.subarray(ys * yh + k * cs * ch + y * cs, ys * yh + k * cs * ch + y * cs + cw), w * h + k * cw * ch + y * cw);
  } else {
    const cs = r4(2 * cw);
    for (let y = 0; y < ch; y++) out.set(raw.subarray(ys * yh + y * cs, ys * yh + y * cs + 2 * cw), w * h + y * 2 * cw);
  }
  return out;
}

/** Byte differences, leaving out the bottom-right noise patch (random in both, seeded differently). */
function compare(format: VideoFormat, w: number, h: number, a: Uint8Array, b: Uint8Array): { compared: number; different: number; maxDiff: number } {
  const layout = frameLayout(format, w, h);
  const noiseX = Math.floor((3 * w) / 4);
  const noiseY = Math.floor((3 * h) / 4);
  let compared = 0;
  let different = 0;
  let maxDiff = 0;
  layout.planes.forEach((p, k) => {
    const sub = k > 0 ? 2 : 1;
    const bytesPerSample = p.stride / p.width;
    for (let y = 0; y < p.height; y++)
      for (let x = 0; x < p.stride; x++) {
        const px = Math.floor(x / bytesPerSample) * sub;
        const py = y * sub;
        if (px + sub - 1 >= noiseX && py + sub - 1 >= noiseY) continue;
        const o = p.offset + y * p.stride + x;
        const d = Math.abs(a[o] - b[o]);
        compared++;
        if (d) different++;
        maxDiff = Math.max(maxDiff, d);
      }
  });
  return { compared, different, maxDiff };
}

describe('SMPTE bars against GStreamer videotestsrc pattern=smpte', () => {
  it('I420 320x240 (gst-launch with no colorimetry, BT.601 by default at SD): every byte outside the noise patch matches', () => {
    const r = compare('I420', 320, 240, ours('I420', 320, 240), gstreamer('I420', 320, 240, ''));
    expect(r.compared).toBeGreaterThan(0.9 * frameLayout('I420', 320, 240).size);
    expect(r).toMatchObject({ different: 0, maxDiff: 0 });
  });

  it.each([
    ['I420', 321, 241],
    ['NV12', 321, 241],
    ['NV12', 320, 244],
    ['RGBA', 321, 241],
    ['NV12', 9, 7],
    ['I420', 1920, 1080],
  ] as const)('%s %ix%i matches within rounding', (format, w, h) => {
    const r = compare(format, w, h, ours(format, w, h), gstreamer(format, w, h));
    expect(r.maxDiff).toBeLessThanOrEqual(1);
    expect(r.different / r.compared).toBeLessThan(0.001);
  });
});

describe('FFmpeg reads our raw frames', () => {
  it.each([
    ['nv12', 'NV12', 321, 241],
    ['yuv420p', 'I420', 321, 241],
    ['rgba', 'RGBA', 320, 240],
  ] as const)('-pix_fmt %s -s WxH: exactly our frame count, the bars in the colours we drew', (pixFmt, format, w, h) => {
    const file = join(dir, `ours-${format}-${w}x${h}.raw`);
    const size = frameLayout(format, w, h).size;
    const two = new Uint8Array(2 * size);
    two.set(ours(format, w, h), 0);
    two.set(ours(format, w, h), size);
    writeFileSync(file, two);
    const png = join(dir, `ours-${format}.png`);
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', pixFmt, '-s', `${w}x${h}`, '-i', file, '-frames:v', '1', png], { timeout: 30_000 });
    const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', png], { encoding: 'utf8' });
    expect(probe.trim()).toBe(`${w},${h}`);
    // A wrong frame size would make FFmpeg find a different number of frames (or a truncated last one).
    const rgb = execFileSync('ffmpeg', ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', pixFmt, '-s', `${w}x${h}`, '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { timeout: 30_000, maxBuffer: 64 << 20 });
    expect(rgb.length).toBe(2 * w * h * 3);
    const rgba = { layout: frameLayout('RGBA', w, h), data: ours('RGBA', w, h) };
    for (let i = 0; i < 7; i++) {
      const x = Math.floor(((i + 0.5) * w) / 7);
      const y = 20;
      const want = readPixel(rgba, x, y).slice(0, 3);
      const got = [...rgb.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];
      got.forEach((v, c) => expect(Math.abs(v - want[c]), `bar ${i} channel ${c}: ${got} vs ${want}`).toBeLessThanOrEqual(3));
    }
  });
});
