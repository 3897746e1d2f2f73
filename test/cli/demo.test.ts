import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TEXT } from '../../node/cli/demo';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { h264Enc } from '../../node/elements/h264-enc';
import { fileSink } from '../../operators/file-sink';
import { h264Parse } from '../../operators/h264-parse';
import { videoTestSrc } from '../../operators/video-test-src';
import { pipe } from '../../src/pipeline';
import { ensureBuilt, g2g } from './cli-process';
import { requirePeer } from '../peers';

requirePeer('native', 'onnxruntime', 'webgpu');

// Made with our own pipeline: ffmpeg here has no drawtext.
const TEXT = 'HELLO 42';
let dir: string;
let file: string;

beforeAll(async () => {
  ensureBuilt();
  installNodeFileOpener();
  dir = mkdtempSync(join(tmpdir(), 'g2g-ocr-'));
  file = join(dir, 'text.h264');
  await pipe(
    videoTestSrc({ width: 320, height: 240, numBuffers: 4, pattern: 'smpte', overlay: 'text', text: TEXT, overlayScale: 5 }),
    h264Enc({ tune: 'zerolatency', speedPreset: 'ultrafast' }),
    h264Parse(),
    fileSink({ location: file }),
  ).run();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('g2g demo: live OCR over an in-process RTSP server', () => {
  it('reads the source text back, prints glass-to-glass latency per frame and the stats table', async () => {
    const r = await g2g(['demo', '--frames', '10'], undefined, 40_000);
    expect(r.code, r.stderr).toBe(0);
    const frames = r.stdout.split('\n').filter((l) => /^frame +\d+ /.test(l));
    expect(frames.length).toBeGreaterThanOrEqual(2);
    // Some frame read exactly what the source drew, with a latency in ms.
    expect(frames.some((l) => l.includes(`text '${DEMO_TEXT}'`) && /glass-to-glass \d+\.\d ms/.test(l)), r.stdout).toBe(true);
    expect(r.stdout).toMatch(/OCR'd 10 frames/);
    expect(r.stdout).toMatch(/element +packets +proc p50 µs/);
    expect(r.stdout).toMatch(/ocrRecognise/);
    expect(r.stdout).toMatch(/glass-to-glass latency \(\d+ packets\): p50 \d+\.\d+ ms {2}p95 \d+\.\d+ ms/);
    // The machine has a WebGPU adapter (Mesa 25 lavapipe, installed by setup), so the chain preprocesses
    // there, and each download to onnxruntime's CPU tensors is counted as a copy of that element.
    expect(r.stdout).toMatch(/h264Dec ! queue ! ocrWgpuPreprocess ! ocrDetect/);
    expect(r.stdout).toMatch(/^ocrWgpuPreprocess0 +\d+ .* [1-9]\d*$/m);
  }, 45_000);
});

describe('g2g ocr', () => {
  it('prints each frame of an .h264 file with its text and boxes, then per-element latency', async () => {
    const r = await g2g(['ocr', file], undefined, 30_000);
    expect(r.code, r.stderr).toBe(0);
    const frames = r.stdout.split('\n').filter((l) => l.startsWith('frame '));
    expect(frames).toHaveLength(4);
    for (const l of frames) expect(l).toMatch(new RegExp(`'${TEXT}'  \\[\\d+,\\d+ \\d+x\\d+\\]`));
    expect(r.stdout).toMatch(/ocrDetect0 +4 +\d+\.\d +\d+\.\d/);
  }, 35_000);

  it('--json: one parseable object per frame on stdout; --frames limits them', async () => {
    const r = await g2g(['ocr', '--json', '--frames', '2', file], undefined, 30_000);
    expect(r.code, r.stderr).toBe(0);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { frame: number; text: string; lines: { text: string; box: { width: number } }[] });
    expect(objs.map((o) => o.frame)).toEqual([0, 1]);
    for (const o of objs) {
      expect(o.text).toBe(TEXT);
      expect(o.lines.length).toBeGreaterThanOrEqual(1);
      expect(o.lines[0].box.width).toBeGreaterThan(10);
    }
    expect(r.stderr).toMatch(/ocrRecognise/);
  }, 35_000);

  it('--preprocess webgpu and cpu read the same text (WGSL and the CPU reference agree)', async () => {
    const [gpu, cpu] = await Promise.all(['webgpu', 'cpu'].map((where) => g2g(['ocr', '--json', '--preprocess', where, file], undefined, 30_000)));
    for (const r of [gpu, cpu]) expect(r.code, r.stderr).toBe(0);
    const texts = (r: typeof gpu) => r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
    expect(texts(gpu)).toEqual([TEXT, TEXT, TEXT, TEXT]);
    expect(texts(cpu)).toEqual(texts(gpu));
    expect(gpu.stderr).toMatch(/^ocrWgpuPreprocess0 +4 /m);
    expect(cpu.stderr).toMatch(/^ocrPreprocess0 +4 /m);
  }, 35_000);

  it('a bad command line is a usage error', async () => {
    const r = await g2g(['ocr'], undefined, 10_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ocr needs one INPUT/);
    const p = await g2g(['ocr', '--preprocess', 'gpu', file], undefined, 10_000);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/--preprocess must be auto, webgpu or cpu, got 'gpu'/);
  });
});
