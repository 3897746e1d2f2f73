import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadOrtModel } from '../../node/ml/ort';
import { gutenyeOcrModels } from '../../node/ml/pp-ocr';
import { requirePeer } from '../peers';

requirePeer('onnxruntime');

const models = gutenyeOcrModels();

type Line = [string, string];
const logger = () => {
  const lines: Line[] = [];
  return { lines, log: (level: string, message: string) => void lines.push([level, message]) };
};

/** How many times the event loop turned (setImmediate callbacks) while `work` ran. */
async function loopTurnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const spin = () => {
    if (!running) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  try {
    await work();
  } finally {
    running = false;
  }
  return turns;
}

describe('ort (onnxruntime-node) with the PP-OCR models', () => {
  it('detection from a path on the CPU provider: [1,3,H,W] → [1,1,H,W], and says which provider runs', async () => {
    const l = logger();
    const m = await loadOrtModel(models.detectionPath, { log: l.log });
    try {
      expect(m.executionProvider).toBe('cpu');
      expect(l.lines.some(([lvl, msg]) => lvl === 'info' && /runs on the cpu execution provider/.test(msg))).toBe(true);
      const out = await m.run(new Float32Array(3 * 96 * 160), [1, 3, 96, 160]);
      expect(out.dims).toEqual([1, 1, 96, 160]);
      expect(out.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    } finally {
      await m.release();
    }
  });

  it('recognition from bytes with batch 2: [2,3,48,320] → [2,80,6625] softmax rows', async () => {
    const m = await loadOrtModel(new Uint8Array(await readFile(models.recognitionPath)));
    try {
      const input = new Float32Array(2 * 3 * 48 * 320).map((_, i) => Math.sin(i) * 0.5);
      const out = await m.run(input, [2, 3, 48, 320]);
      expect(out.dims).toEqual([2, 40, 6625]);
      const row = out.data.subarray(0, 6625).reduce((a, b) => a + b, 0);
      expect(row).toBeCloseTo(1, 3);
    } finally {
      await m.release();
    }
  });

  it('a provider that cannot start falls back to CPU with a warning', async () => {
    const l = logger();
    const m = await loadOrtModel(models.detectionPath, { executionProvider: 'cuda', log: l.log });
    try {
      expect(m.executionProvider).toBe('cpu');
      expect(l.lines.some(([lvl, msg]) => lvl === 'warn' && /cuda execution provider failed.*falling back to cpu/.test(msg))).toBe(true);
    } finally {
      await m.release();
    }
    await expect(loadOrtModel(new Uint8Array([1, 2, 3]))).rejects.toThrow();
    await expect(loadOrtModel(models.detectionPath, { executionProvider: 'tpu' as never })).rejects.toThrow(RangeError);
  });

  it('runs off the JS thread: the event loop turns while the model runs', async () => {
    const m = await loadOrtModel(models.detectionPath);
    try {
      // A blocking run would resolve before any setImmediate callback: its continuation is a microtask.
      expect(await loopTurnsDuring(() => m.run(new Float32Array(3 * 640 * 640), [1, 3, 640, 640]))).toBeGreaterThan(5);
    } finally {
      await m.release();
    }
  });

  it("thread 'main' runs on the JS thread (onnxruntime-node's run blocks it: why the worker is the default)", async () => {
    const m = await loadOrtModel(models.detectionPath, { thread: 'main' });
    try {
      expect(await loopTurnsDuring(() => m.run(new Float32Array(3 * 640 * 640), [1, 3, 640, 640]))).toBeLessThanOrEqual(2);
    } finally {
      await m.release();
    }
  });
});
