// The page's script: glass2glass's portable core and onnxruntime-web (an import-map external, served from
// node_modules) driven from the test through `window.g2gTest`. Float32 results go back as base64.
import * as ort from 'onnxruntime-web';
import { fakeSink } from '../../operators/fake-sink';
import { videoTestSrc } from '../../operators/video-test-src';
// The browser entry of glass2glass/ml, as an application would import it.
import { gpuPreprocess, navigatorGpuDevice, ortWeb, tensorData, tensorInfo, WgpuPreprocessor, type OrtWebProvider, type OrtWebRuntime, type PreprocessOptions, type TensorPacket } from '../../src/ml/browser';
import { pipe } from '../../src/pipeline';
import type { VideoFormat } from '../../src/video/format';
import { randomFrame, randomInput } from './frames';
import { stridedFrame, type StridedPlacement } from '../ml/strided-frame';
import { frames as stridedSource } from '../ml/strided-source';

// One wasm thread: the suite shares a small machine, and threads would need cross-origin isolation.
ort.env.wasm.numThreads = 1;
const runtime: OrtWebRuntime = ort;

/** Float32 results cross to the test as base64 of their bytes: JSON arrays of a 640x640 tensor take seconds. */
function b64(f: Float32Array): string {
  const u8 = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

let preprocessor: Promise<WgpuPreprocessor> | undefined;
const models = new Map<string, Promise<Uint8Array>>();
const fetchModel = (url: string) => {
  let m = models.get(url);
  if (!m) models.set(url, (m = fetch(url).then(async (r) => (r.ok ? new Uint8Array(await r.arrayBuffer()) : Promise.reject(new Error(`${url}: HTTP ${r.status}`))))));
  return m;
};

const api = {
  async adapter(): Promise<{ vendor: string; architecture: string; fallback: boolean }> {
    // adapterInfo on the device: what the page's own device runs on (SwiftShader here).
    const d = await navigatorGpuDevice();
    const info = (d as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    return { vendor: info?.vendor ?? '?', architecture: info?.architecture ?? '?', fallback: (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? false };
  },

  /** The WGSL preprocess of a seeded random frame on navigator.gpu's device, read back. */
  async preprocess(format: VideoFormat, width: number, height: number, seed: number, options: PreprocessOptions): Promise<{ shape: number[]; data: string }> {
    const p = await (preprocessor ??= navigatorGpuDevice().then((d) => WgpuPreprocessor.create(d)));
    const r = p.run(format, width, height, randomFrame(format, width, height, seed), options);
    const out = await p.download(r);
    r.buffer.destroy();
    return { shape: r.shape, data: b64(out) };
  },

  /** As `preprocess`, the frame strided as `placement` says (VIDEO_META layout passed to the kernel). */
  async preprocessStrided(format: VideoFormat, width: number, height: number, seed: number, placement: StridedPlacement, options: PreprocessOptions): Promise<{ shape: number[]; data: string }> {
    const p = await (preprocessor ??= navigatorGpuDevice().then((d) => WgpuPreprocessor.create(d)));
    const { data, layout } = stridedFrame(format, width, height, randomFrame(format, width, height, seed), placement);
    const r = p.run(layout, data, options);
    const out = await p.download(r);
    r.buffer.destroy();
    return { shape: r.shape, data: b64(out) };
  },

  /** test/ml/strided-source.ts' producer (strided frames with video metas) → gpuPreprocess (download) → fakeSink. */
  async stridedPipeline(format: VideoFormat, options: PreprocessOptions): Promise<{ attached: number; outputs: string[] }> {
    const attached = { n: 0 };
    const outputs: string[] = [];
    await pipe(stridedSource(format, true, attached), gpuPreprocess({ ...options, download: true }), fakeSink<TensorPacket>({ onPacket: (t) => void outputs.push(b64(tensorData(t))) })).run({ profile: 'throughput' });
    return { attached: attached.n, outputs };
  },

  /** One inference of a seeded random input with onnxruntime-web on the given provider. */
  async infer(modelUrl: string, ep: OrtWebProvider, dims: number[], seed: number): Promise<{ dims: number[]; data: string; ms: number; gpu: string | undefined }> {
    const key = `${ep} ${modelUrl}`;
    let s = sessions.get(key);
    if (!s) sessions.set(key, (s = fetchModel(modelUrl).then((m) => ort.InferenceSession.create(m, { executionProviders: [ep] }))));
    const session = await s;
    const input = new ort.Tensor('float32', randomInput(dims.reduce((a, b) => a * b, 1), seed), dims);
    const t0 = performance.now();
    const out = (await session.run({ [session.inputNames[0]]: input }))[session.outputNames[0]];
    const data = (await out.getData()) as Float32Array;
    const ms = performance.now() - t0;
    // Proof that ort's WebGPU backend initialised (no wasm fallback): its device exists, on the page's adapter.
    const gpu = ep === 'webgpu' ? ((await ort.env.webgpu.device) as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo?.architecture ?? '?' : undefined;
    return { dims: out.dims.map(Number), data: b64(data), ms, gpu };
  },

  /**
   * videoTestSrc → gpuPreprocess → ortWeb → fakeSink in the page. With 'webgpu' the preprocess runs on
   * ort's own device and hands it GPU buffers (no download); with 'wasm' it downloads to CPU tensors
   * (`download` overrides that, to exercise the mismatch).
   */
  async pipeline(modelUrl: string, ep: OrtWebProvider, video: { format: VideoFormat; width: number; height: number; frames: number }, options: PreprocessOptions, download = ep === 'wasm'): Promise<{ outputs: { pts: number; dims: number[]; data: string }[]; launch: string; copies: { count: number; bytes: number }; delivered: number }> {
    const model = await fetchModel(modelUrl);
    const outputs: { pts: number; dims: number[]; data: string }[] = [];
    let device: (() => Promise<GPUDevice>) | undefined;
    if (ep === 'webgpu') {
      // ort's WebGPU backend initialises with its first session; after that env.webgpu.device is its device.
      await (await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] })).release();
      // (Typed as a promise; once initialised the getter returns the device itself.)
      device = async () => (await ort.env.webgpu.device) as GPUDevice;
    }
    const p = pipe(
      videoTestSrc({ format: video.format, width: video.width, height: video.height, numBuffers: video.frames, framerate: 30 }),
      gpuPreprocess({ ...options, device, download }),
      ortWeb(runtime, model, { executionProvider: ep }),
      fakeSink<TensorPacket>({ onPacket: (t) => void outputs.push({ pts: t.pts ?? -1, dims: [...tensorInfo(t.caps).shape], data: b64(tensorData(t)) }) }),
    );
    const stats = await p.run({ profile: 'throughput' });
    return { outputs, launch: p.toString(), copies: { count: stats.copies.count, bytes: stats.copies.bytes }, delivered: stats.delivered };
  },
};

(globalThis as { g2gTest?: typeof api }).g2gTest = api;
export type PageApi = typeof api;
