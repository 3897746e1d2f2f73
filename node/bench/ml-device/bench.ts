/**
 * ML preprocess/inference throughput on whatever WebGPU adapter Dawn finds (lavapipe here, the NVIDIA
 * Vulkan driver on a GPU machine) and onnxruntime-node's CPU (and optionally WebGPU) provider.
 * Bundled by bundle.sh into one file that runs with a carried Node; prints one JSON line per figure.
 *
 *   node bench.mjs [--frames N] [--ort-frames N] [--no-cpu-ep] [--webgpu-ep] [--webgpu-gpu-output] [--models DIR]
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { create } from 'webgpu';
import { processIo } from '../../cli/io';
import { detectionSize, PP_OCR_DET } from '../../ml/pp-ocr';
import { preprocessCpu } from '../../../src/ml/preprocess-cpu';
import { WgpuPreprocessor } from '../../../src/ml/preprocess-wgsl';
import { TestPatternGenerator } from '../../../src/video/test-pattern';
import { frameLayout } from '../../../src/video/format';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const FRAMES = Number(arg('frames', '200'));
const ORT_FRAMES = Number(arg('ort-frames', '20'));
const MODELS = arg('models', join(process.cwd(), 'models'));
const out = (o: Record<string, unknown>) => processIo.out(JSON.stringify(o));

// Held at module scope for the process's life (see node/ml/webgpu.ts: Dawn's instance must outlive the device).
const gpu = create([]);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) throw new Error('no WebGPU adapter');
const info = adapter.info;
out({ what: 'adapter', vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, cpus: cpus().length, cpu: cpus()[0]?.model });
const device = await adapter.requestDevice();
const k = await WgpuPreprocessor.create(device);

const W = 1920;
const H = 1080;
const frame = new TestPatternGenerator(frameLayout('NV12', W, H), { pattern: 'smpte', overlay: 'text', text: 'GLASS 2 GLASS', overlayScale: 8 }).frame(0, 0);
const cases = [
  { name: 'yolo-640-letterbox', o: { width: 640, height: 640, resize: 'letterbox' as const, padValue: 114 } },
  { name: 'ppocr-det', o: { ...PP_OCR_DET, ...detectionSize(W, H) } },
];

for (const c of cases) {
  // Warm-up: pipeline compile and first upload.
  for (let i = 0; i < 5; i++) {
    const r = k.run('NV12', W, H, frame, c.o);
    await k.download(r);
    r.buffer.destroy();
  }
  // GPU-resident: upload + kernel, waiting for the queue each frame (what a GPU consumer would see).
  let t0 = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    const r = k.run('NV12', W, H, frame, c.o);
    await device.queue.onSubmittedWorkDone();
    r.buffer.destroy();
  }
  const gpuMs = (performance.now() - t0) / FRAMES;
  // With the download to CPU memory (what a CPU consumer such as ort's CPU provider needs).
  t0 = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    const r = k.run('NV12', W, H, frame, c.o);
    await k.download(r);
    r.buffer.destroy();
  }
  const dlMs = (performance.now() - t0) / FRAMES;
  // CPU reference, fewer frames (slow).
  const n = Math.max(3, Math.min(FRAMES, 20));
  t0 = performance.now();
  for (let i = 0; i < n; i++) preprocessCpu('NV12', W, H, frame, c.o);
  const cpuMs = (performance.now() - t0) / n;
  out({ what: 'preprocess', case: c.name, input: `${W}x${H} NV12`, output: `${c.o.width}x${c.o.height}`, frames: FRAMES, wgpuGpuResidentFps: +(1000 / gpuMs).toFixed(1), wgpuWithDownloadFps: +(1000 / dlMs).toFixed(1), cpuReferenceFps: +(1000 / cpuMs).toFixed(2) });
}

// onnxruntime: PP-OCRv4 detection on the 1080p frame's preprocess (960x544).
const det = preprocessCpu('NV12', W, H, frame, cases[1].o);
async function ortBench(ep: 'cpu' | 'webgpu', extra: Record<string, unknown> = {}): Promise<void> {
  let t0 = performance.now();
  const s = await ortNode.InferenceSession.create(join(MODELS, 'ch_PP-OCRv4_det_infer.onnx'), { executionProviders: [ep], graphOptimizationLevel: 'all', ...extra });
  const createMs = performance.now() - t0;
  const feed = () => ({ [s.inputNames[0]]: new ortNode.Tensor('float32', det.data, det.shape) });
  t0 = performance.now();
  const first = await s.run(feed());
  const firstMs = performance.now() - t0;
  const o = first[s.outputNames[0]];
  t0 = performance.now();
  for (let i = 0; i < ORT_FRAMES; i++) {
    const r = await s.run(feed());
    const t = r[s.outputNames[0]];
    if (t.location === 'gpu-buffer') await t.getData(true);
  }
  const ms = (performance.now() - t0) / ORT_FRAMES;
  out({ what: 'ort', ep, extra, model: 'ch_PP-OCRv4_det', input: det.shape.join('x'), createMs: Math.round(createMs), firstRunMs: Math.round(firstMs), outputLocation: o.location, frames: ORT_FRAMES, fps: +(1000 / ms).toFixed(2), msPerFrame: +ms.toFixed(1) });
  await s.release();
}
if (!process.argv.includes('--no-cpu-ep')) await ortBench('cpu');
// Separate flags: on an H100 (driver 580) the gpu-buffer output run aborts the process
// ("terminate called after throwing an instance of 'char const*'"), which would end the other figures.
const variants: Record<string, unknown>[] = [];
if (process.argv.includes('--webgpu-ep')) variants.push({});
if (process.argv.includes('--webgpu-gpu-output')) variants.push({ preferredOutputLocation: 'gpu-buffer' });
for (const extra of variants) {
  try {
    await ortBench('webgpu', extra);
  } catch (e) {
    out({ what: 'ort', ep: 'webgpu', extra, error: String((e as Error).message).split('\n')[0] });
  }
}
k.destroy();
process.exit(0);
