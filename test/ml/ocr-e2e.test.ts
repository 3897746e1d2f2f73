import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ort } from '../../node/ml/ort';
import { detectionSize, gutenyeOcrModels, PP_OCR_DET, PpOcr } from '../../node/ml/pp-ocr';
import { fakeSink } from '../../operators/fake-sink';
import { tensorPreprocess } from '../../operators/tensor-preprocess';
import { videoTestSrc, type RawVideoPacket } from '../../operators/video-test-src';
import { Caps } from '../../src/caps';
import { VirtualClock } from '../../src/clock';
import type { PreprocessGeometry } from '../../src/ml/preprocess-cpu';
import { dbBoxes } from '../../src/ml/postprocess/db';
import { tensorData, tensorInfo, type TensorPacket } from '../../src/ml/tensor';
import { pipe } from '../../src/pipeline';
import { rawVideoInfo, frameLayout, type VideoFormat } from '../../src/video/format';
import { TestPatternGenerator } from '../../src/video/test-pattern';
import { requirePeer } from '../peers';

requirePeer('onnxruntime');

const models = gutenyeOcrModels();
// Scale 5 (35-pixel glyphs): at 3–4 the 5x7 bitmap font's O and 0 (and S and 5) are too alike for PP-OCR.
const TEXT = 'HELLO 42';
const SCALE = 5;

describe('end to end: videoTestSrc with burnt-in text → preprocess → PP-OCRv4 det + rec', () => {
  let ocr: PpOcr;
  beforeAll(async () => {
    ocr = await PpOcr.load(models);
  });
  afterAll(() => ocr.release());

  for (const format of ['NV12', 'I420', 'RGBA'] as const) {
    it(`${format}: the recognised text equals what the source drew, frame by frame`, async () => {
      const frames: RawVideoPacket[] = [];
      await pipe(
        videoTestSrc({ format, width: 320, height: 240, numBuffers: 3, pattern: 'smpte', overlay: 'text', text: TEXT, overlayScale: SCALE }),
        fakeSink<RawVideoPacket>({ onPacket: (p) => void frames.push(p) }),
      ).run({ clock: new VirtualClock() });
      expect(frames).toHaveLength(3);
      for (const p of frames) {
        const info = rawVideoInfo(p.caps);
        expect(await ocr.readText({ format: info.format, width: info.width, height: info.height, data: p.memory.data })).toBe(TEXT);
      }
    });
  }

  it('640x360 black background', async () => {
    const g = new TestPatternGenerator(frameLayout('NV12', 640, 360), { pattern: 'black', overlay: 'text', text: TEXT, overlayScale: SCALE });
    expect(await ocr.readText({ format: 'NV12', width: 640, height: 360, data: g.frame(0, 0) })).toBe(TEXT);
  });

  it('a frame without text reads as empty', async () => {
    const g = new TestPatternGenerator(frameLayout('RGBA', 320, 240), { pattern: 'black' });
    expect(await ocr.readText({ format: 'RGBA', width: 320, height: 240, data: g.frame(0, 0) })).toBe('');
  });
});

describe('operators: videoTestSrc → tensorPreprocess → ort(det, batch 2) → fakeSink', () => {
  it('emits one probability map per frame with its timestamps; DB finds the overlay box', async () => {
    const format: VideoFormat = 'I420';
    const size = detectionSize(320, 240);
    const out: TensorPacket[] = [];
    const logs: string[] = [];
    const stats = await pipe(
      videoTestSrc({ format, width: 320, height: 240, numBuffers: 3, overlay: 'text', text: TEXT, overlayScale: SCALE }),
      tensorPreprocess({ ...PP_OCR_DET, ...size }),
      ort(models.detectionPath, { batch: 2, outputLayout: 'NCHW', log: (_l, m) => void logs.push(m) }),
      fakeSink<TensorPacket>({ onPacket: (p) => void out.push(p) }),
    ).run({ clock: new VirtualClock() });
    expect(logs.some((m) => /runs on the cpu execution provider/.test(m))).toBe(true);
    // Two batches: each stacked (explicit copy) and handed to the worker thread (explicit copy).
    const byElement = Object.entries(stats.copies.byElement).filter(([k]) => k.startsWith('ort'));
    expect(byElement.map(([, v]) => v.count)).toEqual([4]);
    expect(stats.copies.implicit).toBe(0);
    expect(out.map((p) => p.pts)).toEqual([0, 33333333, 66666667]);
    // Batches of 2 and then 1 (end of stream) split back into batch-1 tensors with one caps object.
    expect(out[0].caps).toBe(out[1].caps);
    expect(tensorInfo(out[2].caps)).toEqual({ dtype: 'float32', shape: [1, 1, size.height, size.width], layout: 'NCHW' });
    const expected = new TestPatternGenerator(frameLayout(format, 320, 240), { overlay: 'text', text: TEXT, overlayScale: SCALE }).overlayBox(TEXT);
    for (const p of out) {
      const boxes = dbBoxes(tensorData(p), size.width, size.height, { geometry: p.meta.geometry as PreprocessGeometry });
      expect(boxes.length).toBeGreaterThanOrEqual(1);
      // The words lie inside the white overlay box (which has a margin around the glyphs).
      const left = Math.min(...boxes.map((b) => b.bounds.x));
      const right = Math.max(...boxes.map((b) => b.bounds.x + b.bounds.width));
      expect(left).toBeGreaterThanOrEqual(expected.x - 4);
      expect(right).toBeLessThanOrEqual(expected.x + expected.width + 4);
      expect(right - left).toBeGreaterThan(expected.width * 0.7);
    }
  });

  it('tensor caps print and parse back', () => {
    const c = Caps.parse('application/x-tensor, dtype=(string)float32, shape=(string)"1,3,640,640", layout=(string)NCHW');
    expect(tensorInfo(c)).toEqual({ dtype: 'float32', shape: [1, 3, 640, 640], layout: 'NCHW' });
    expect(tensorInfo(Caps.parse(c.toString()))).toEqual(tensorInfo(c));
    expect(() => tensorInfo(Caps.parse('application/x-tensor, dtype=(string)float32, shape=(string)"1,x"'))).toThrow(RangeError);
  });
});
