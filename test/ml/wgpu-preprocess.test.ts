import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessCase, stridedPlacement, caseOptions } from './preprocess-arbitrary';
import { seededBytes, stridedFrame } from './strided-frame';
import { FRAMES, frames as stridedSource, probe } from './strided-source';
import { nodeWebGpuDevice } from '../../node/ml/webgpu';
import { preprocessCpu, type PreprocessOptions } from '../../src/ml/preprocess-cpu';
import { WgpuPreprocessor } from '../../src/ml/preprocess-wgsl';
import { frameLayout, type VideoFormat } from '../../src/video/format';
import { wgpuPreprocess } from '../../node/ml/wgpu-preprocess';
import { fakeSink } from '../../operators/fake-sink';
import { tensorPreprocess } from '../../operators/tensor-preprocess';
import { videoTestSrc } from '../../operators/video-test-src';
import { VirtualClock } from '../../src/clock';
import { tensorData, type TensorPacket } from '../../src/ml/tensor';
import { pipe } from '../../src/pipeline';
import { stridedLayout, VIDEO_META } from '../../src/video/meta';
import { RELEASE } from '../../src/memory/release';
import { requirePeer } from '../peers';

requirePeer('webgpu');

/** Largest difference allowed between the WGSL kernel (f32) and the CPU reference (f64), in output units. */
const TOLERANCE = 1e-3;

describe('WGSL preprocess on Dawn (lavapipe) against the CPU reference', () => {
  let p: WgpuPreprocessor;
  beforeAll(async () => {
    p = await WgpuPreprocessor.create(await nodeWebGpuDevice());
  });
  afterAll(() => p?.destroy());

  it(`random frames, formats, sizes and options agree within ${TOLERANCE}`, async () => {
    const arb = preprocessCase;
    await fc.assert(
      fc.asyncProperty(arb, async (a) => {
        const size = frameLayout(a.format, a.w, a.h).size;
        let s = a.seed;
        const data = new Uint8Array(size).map(() => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) & 255);
        const o = caseOptions(a);
        const cpu = preprocessCpu(a.format, a.w, a.h, data, o);
        const res = p.run(a.format, a.w, a.h, data, o);
        const gpu = await p.download(res);
        res.buffer.destroy();
        expect(res.shape).toEqual(cpu.shape);
        expect(gpu.length).toBe(cpu.data.length);
        let max = 0;
        for (let i = 0; i < gpu.length; i++) max = Math.max(max, Math.abs(gpu[i] - cpu.data[i]));
        expect(max).toBeLessThan(TOLERANCE);
      }),
      { numRuns: 60 },
    );
  });

  it('a 1280x720 NV12 frame to 640x640 letterbox matches too', async () => {
    const l = frameLayout('NV12', 1280, 720);
    const data = new Uint8Array(l.size).map((_, i) => (i * 7 + (i >> 10)) & 255);
    const o: PreprocessOptions = { width: 640, height: 640, resize: 'letterbox', padValue: 114 };
    const res = p.run('NV12', 1280, 720, data, o);
    const gpu = await p.download(res);
    res.buffer.destroy();
    const cpu = preprocessCpu('NV12', 1280, 720, data, o).data;
    expect(gpu.reduce((m, v, i) => Math.max(m, Math.abs(v - cpu[i])), 0)).toBeLessThan(TOLERANCE);
  });

  it('strided frames (VIDEO_META) give exactly the packed frame result, and the CPU reference within tolerance', async () => {
    await fc.assert(
      fc.asyncProperty(preprocessCase, stridedPlacement, async (a, s) => {
        const packed = seededBytes(frameLayout(a.format, a.w, a.h).size, a.seed);
        const { data, layout } = stridedFrame(a.format, a.w, a.h, packed, s);
        const o = caseOptions(a);
        const want = await p.runToCpu(a.format, a.w, a.h, packed, o);
        const got = await p.runToCpu(layout, data, o);
        expect(got.shape).toEqual(want.shape);
        expect(got.data).toEqual(want.data);
        const cpu = preprocessCpu(layout, data, o).data;
        expect(got.data.reduce((m, v, i) => Math.max(m, Math.abs(v - cpu[i])), 0)).toBeLessThan(TOLERANCE);
      }),
      { numRuns: 60 },
    );
  });

  it('a 1920x1080 NV12 frame as a decoder holds it (2048-byte rows, 1088 rows a plane) matches the CPU reference', async () => {
    const stride = 2048;
    const size = stride * 1088 * 1.5;
    const layout = stridedLayout('NV12', 1920, 1080, [{ offset: 0, stride }, { offset: stride * 1088, stride }], size);
    const data = new Uint8Array(size).map((_, i) => (i * 7 + (i >> 10)) & 255);
    const o: PreprocessOptions = { width: 640, height: 640, resize: 'letterbox', padValue: 114 };
    const gpu = (await p.runToCpu(layout, data, o)).data;
    const cpu = preprocessCpu(layout, data, o).data;
    expect(gpu.reduce((m, v, i) => Math.max(m, Math.abs(v - cpu[i])), 0)).toBeLessThan(TOLERANCE);
  });
});

describe('Dawn device robustness', () => {
  let dir: string;
  let script: string;
  beforeAll(async () => {
    // Inside the repository, so that the bundle resolves the external 'webgpu' package.
    await mkdir(join(__dirname, '../../node_modules/.cache'), { recursive: true });
    dir = await mkdtemp(join(__dirname, '../../node_modules/.cache/g2g-wgpu-'));
    script = join(dir, 'child.mjs');
    await build({ entryPoints: [join(__dirname, 'wgpu-stress-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: script, external: ['webgpu'], logLevel: 'silent' });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // Without the held GPU object, ~20% of such runs died (SIGSEGV/SIGABRT in ProcessEvents): 20 clean runs
  // in a row would then happen about 1% of the time.
  it('20 fresh processes: device, 50 ms of busy allocating JS, preprocess — none crashes', async () => {
    const run = promisify(execFile);
    const results: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { stdout } = await run(process.execPath, [script], { cwd: join(__dirname, '../..'), timeout: 30_000 });
      results.push(stdout.trim());
    }
    expect(results).toEqual(Array(20).fill('ok true'));
  });
});

describe('wgpuPreprocess operator', () => {
  const frames = (fmt: VideoFormat) => videoTestSrc({ format: fmt, width: 160, height: 120, numBuffers: 3, overlay: 'frame', overlayScale: 2 });
  const opts = { width: 96, height: 96, resize: 'letterbox' as const, padValue: 114, mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };

  it('download mode equals tensorPreprocess within tolerance, frame by frame, and records the download', async () => {
    const gpu: TensorPacket[] = [];
    const cpu: TensorPacket[] = [];
    const stats = await pipe(frames('NV12'), wgpuPreprocess({ ...opts, download: true }), fakeSink<TensorPacket>({ onPacket: (p) => void gpu.push(p) })).run({ clock: new VirtualClock() });
    await pipe(frames('NV12'), tensorPreprocess(opts), fakeSink<TensorPacket>({ onPacket: (p) => void cpu.push(p) })).run({ clock: new VirtualClock() });
    expect(gpu).toHaveLength(3);
    expect(gpu[0].caps.toString()).toBe(cpu[0].caps.toString());
    for (let i = 0; i < 3; i++) {
      const a = tensorData(gpu[i]);
      const b = tensorData(cpu[i]);
      expect(a.reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0)).toBeLessThan(TOLERANCE);
    }
    // Three explicit downloads of 96x96x3 floats, none implicit.
    expect(stats.copies.count).toBe(3);
    expect(stats.copies.bytes).toBe(3 * 96 * 96 * 3 * 4);
    expect(stats.copies.implicit).toBe(0);
  });

  it('is asked for video metas, and strided frames give the packed frame tensors', async () => {
    const seen: (readonly string[])[] = [];
    await pipe(stridedSource('I420', false, { n: 0 }), probe(seen), wgpuPreprocess(opts), fakeSink()).run({ clock: new VirtualClock() });
    expect(seen).toEqual([[VIDEO_META, RELEASE]]);
    for (const format of ['NV12', 'I420', 'RGBA'] as const) {
      const attached = { n: 0 };
      const gpu: TensorPacket[] = [];
      const cpu: TensorPacket[] = [];
      await pipe(stridedSource(format, true, attached), wgpuPreprocess({ ...opts, download: true }), fakeSink<TensorPacket>({ onPacket: (p) => void gpu.push(p) })).run({ clock: new VirtualClock() });
      await pipe(stridedSource(format, false, { n: 0 }), tensorPreprocess(opts), fakeSink<TensorPacket>({ onPacket: (p) => void cpu.push(p) })).run({ clock: new VirtualClock() });
      expect(attached.n).toBe(FRAMES);
      expect(gpu).toHaveLength(FRAMES);
      for (let i = 0; i < FRAMES; i++) {
        const a = tensorData(gpu[i]);
        const b = tensorData(cpu[i]);
        expect(a.reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0)).toBeLessThan(TOLERANCE);
      }
    }
  });

  it('default mode outputs WebGPU buffers of the tensor size', async () => {
    const out: TensorPacket[] = [];
    await pipe(frames('RGBA'), wgpuPreprocess(opts), fakeSink<TensorPacket>({ onPacket: (p) => void out.push(p) })).run({ clock: new VirtualClock() });
    expect(out.map((p) => p.memory.domain)).toEqual(['webgpu-buffer', 'webgpu-buffer', 'webgpu-buffer']);
    for (const p of out) {
      expect(p.memory.domain === 'webgpu-buffer' && p.memory.byteLength).toBe(96 * 96 * 3 * 4);
      if (p.memory.domain === 'webgpu-buffer') p.memory.release?.();
    }
  });
});
