// ort on a streamMux batch: the slots' tensors run stacked as one [N,3,H,W] tensor through the PP-OCR
// detector (dynamic batch dimension), and each slot gets back its own output: equal, within float
// tolerance, to a run of that tensor alone. Sources differ (text, pattern, size) so a mix-up fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrtModel, ort, type OrtModel } from '../../node/ml/ort';
import { detectionSize, gutenyeOcrModels, PP_OCR_DET } from '../../node/ml/pp-ocr';
import { batchOf, batchSplit, fakeSink, streamMux, tensorPreprocess, videoTestSrc, type BatchPacket } from '../../operators';
import { VirtualClock } from '../../src/clock';
import { tensorData, tensorInfo, type TensorPacket } from '../../src/ml/tensor';
import type { Source } from '../../src/operator';
import { pipe } from '../../src/pipeline';
import { requirePeer } from '../peers';

requirePeer('onnxruntime');

const models = gutenyeOcrModels();
const FRAMES = 2;

/** Source k: its own text, pattern and (for the third) size, preprocessed for the detector. */
const SOURCES = [
  { width: 320, height: 240, pattern: 'smpte', text: 'HELLO 42' },
  { width: 320, height: 240, pattern: 'black', text: 'AB 7' },
  { width: 192, height: 128, pattern: 'ball', text: 'XY' },
] as const;
const source = (k: number): Source<TensorPacket> => {
  const s = SOURCES[k];
  return pipe(
    videoTestSrc({ format: 'I420', width: s.width, height: s.height, numBuffers: FRAMES, pattern: s.pattern, overlay: 'text', text: s.text, overlayScale: 5 }),
    tensorPreprocess({ ...PP_OCR_DET, ...detectionSize(s.width, s.height) })
  );
};

/** The largest absolute difference of two equal-length arrays. */
const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('ort runs streamMux batches (PP-OCR detector, dynamic batch dimension)', () => {
  let det: OrtModel;
  /** Per source, per frame: its preprocessed tensor run alone. */
  const single: { data: Float32Array; dims: number[] }[][] = [];
  beforeAll(async () => {
    det = await loadOrtModel(models.detectionPath, { thread: 'main' });
    for (let k = 0; k < SOURCES.length; k++) {
      const tensors: TensorPacket[] = [];
      await pipe(source(k), fakeSink<TensorPacket>({ onPacket: (p) => void tensors.push(p) })).run({ clock: new VirtualClock() });
      single.push(await Promise.all(tensors.map((t) => det.run(new Float32Array(tensorData(t)), tensorInfo(t.caps).shape))));
    }
  });
  afterAll(() => det.release());

  it('each slot gets what its tensor gives alone; equal shapes run as one stacked run', async () => {
    // The sources' outputs differ well beyond the tolerance: a slot given another's result would fail.
    expect(maxDiff(single[0][0].data, single[1][0].data)).toBeGreaterThan(0.5);
    const batches: BatchPacket<TensorPacket>[] = [];
    const stats = await pipe(
      streamMux([0, 1, 2].map(source), { batchSize: 3, batchedPushTimeout: 1_000_000_000 }),
      ort<BatchPacket<TensorPacket>>(models.detectionPath, { outputLayout: 'NCHW' }),
      fakeSink<BatchPacket<TensorPacket>>({ onPacket: (p) => void batches.push(p) })
    ).run({ clock: new VirtualClock() });
    expect(batches).toHaveLength(FRAMES);
    const seen = [0, 0, 0];
    for (const b of batches) {
      expect(batchOf(b).map((s) => s.source)).toEqual([0, 1, 2]);
      for (const { source: k, packet } of batchOf<TensorPacket>(b)) {
        const want = single[k][seen[k]++];
        const info = tensorInfo(packet.caps);
        expect(info.shape).toEqual(want.dims);
        expect(info.layout).toBe('NCHW');
        expect(maxDiff(tensorData(packet), want.data)).toBeLessThan(1e-4);
      }
    }
    // Per batch: sources 0 and 1 (equal shapes) stacked (one copy) and run once, source 2 alone; each run's
    // input copied to the worker thread: 3 explicit copies a batch.
    const ortCopies = Object.entries(stats.copies.byElement).filter(([k]) => k.startsWith('ort'));
    expect(ortCopies.map(([, v]) => v.count)).toEqual([3 * FRAMES]);
    expect(stats.copies.implicit).toBe(0);
  });

  it('batchSplit after ort hands each source its own results, in order', async () => {
    const got: TensorPacket[][] = [[], [], []];
    await pipe(
      streamMux([0, 1, 2].map(source), { batchSize: 2, batchedPushTimeout: 1_000_000_000 }),
      ort<BatchPacket<TensorPacket>>(models.detectionPath, { outputLayout: 'NCHW', thread: 'main' }),
      batchSplit({ branches: got.map((g) => fakeSink<TensorPacket>({ onPacket: (p) => void g.push(p) })) })
    ).run({ clock: new VirtualClock() });
    got.forEach((packets, k) => {
      expect(packets.map((p) => p.pts)).toEqual([0, 33333333].slice(0, FRAMES));
      packets.forEach((p, i) => expect(maxDiff(tensorData(p), single[k][i].data)).toBeLessThan(1e-4));
    });
  });

  it('a slot that is not a float32 tensor of batch 1 fails with a message naming its source', async () => {
    const run = pipe(
      streamMux([source(0), videoTestSrc({ numBuffers: 1, width: 64, height: 64 }) as unknown as Source<TensorPacket>], { batchSize: 2 }),
      ort<BatchPacket<TensorPacket>>(models.detectionPath),
      fakeSink()
    ).run({ clock: new VirtualClock() });
    await expect(run).rejects.toThrow(/source 1 is not a tensor/);
  });
});
