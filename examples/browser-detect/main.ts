/// <reference lib="dom" />
/**
 * Detection in a web page: an H.264 file fetched over HTTP → h264Parse → webCodecsDec (the browser's decoder) →
 * gpuPreprocess (WGSL) → ortWeb (onnxruntime-web, PP-OCR's DB text detector) → overlay (boxes and scores) →
 * canvasSink (WebGPU or 2D canvas).
 *
 * Honest about copies, all of them explicit and in the ledger (shown at the end): overlay and the WGSL preprocess
 * read frames in CPU memory, so each decoded VideoFrame is copied out once (`frameToCpu`); overlay draws on a copy
 * of it; and canvasSink shows VideoFrames, so the drawn frame goes back into one (`cpuToFrame`). A page that only
 * shows boxes could instead draw them on the canvas after each frame and keep the decoder's frame to the screen;
 * this one uses the library's overlay so that what is shown is what a recording of the pipeline would hold.
 * gpuPreprocess and ortWeb turn a frame into tensors: the frame rides along in `meta.frame` (the same bytes, no
 * copy) until `boxesOnFrame` turns the model's output back into that frame with its boxes in `meta.detections`.
 *
 * onnxruntime-web is loaded at run time from its own files (default ./ort/ort.min.mjs: copy or link
 * node_modules/onnxruntime-web/dist there), as ortWeb takes the module from its caller: ort then finds its .wasm
 * beside its .mjs, and this file compiles without onnxruntime-web installed. Bundle and serve the folder:
 *   npx esbuild main.ts --bundle --format=esm --outfile=main.js
 * Query: ?src=clip.h264 &model=… (default models/ch_PP-OCRv4_det_infer.onnx) &ep=webgpu|wasm &context=webgpu|2d &ort=…
 */
import { caps, cpuMemory, defineTransform, EOS, mapReader, pipe, rawVideoTemplate, type CpuMemory, type Packet, type PipelineStats } from 'glass2glass';
import { canvasSink, fileSrc, h264Parse, overlay, webCodecsDec, type Detection, type VideoFramePacket } from 'glass2glass/operators';
import { dbBoxes, gpuPreprocess, ortWeb, tensorData, tensorInfo, type OrtWebRuntime, type PreprocessGeometry, type TensorPacket } from 'glass2glass/ml/browser';

/** The parts of onnxruntime-web this page uses: ortWeb's, and its settings. */
type Ort = OrtWebRuntime & { env: { wasm: { numThreads?: number }; webgpu: { device?: unknown } } };

/** What the page exposes on `window.g2gDetect` (the test reads it) once the run ends. */
export interface DetectResult {
  state: 'running' | 'done' | 'error';
  /** Frames canvasSink presented. */
  presented: number;
  /** Boxes found in each presented frame, in frame pixels. */
  frames: { pts: number | undefined; boxes: Detection['bounds'][] }[];
  copies: { count: number; bytes: number };
  error?: string;
}

/** PaddleOCR's detection input (PP_OCR_DET in glass2glass/ml): BGR, ImageNet mean/std; sides multiples of 32. */
const DET = { width: 320, height: 256, channelOrder: 'BGR', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1 / 255 } as const;
const FORMATS = ['I420', 'NV12', 'RGBA'] as const;

/** VideoFrame → the same picture packed in CPU memory (copyTo: one explicit copy), the VideoFrame closed. */
const frameToCpu = () =>
  defineTransform<VideoFramePacket, Packet<CpuMemory>>({
    factory: 'frameToCpu',
    sinkCaps: caps('video/x-raw', {}, ['memory:VideoFrame']),
    srcCaps: rawVideoTemplate(FORMATS),
    open: (ctx, up) => ({
      async pull(signal) {
        const p = await up.pull(signal);
        if (p === EOS) return EOS;
        const frame = p.memory.frame as unknown as VideoFrame;
        try {
          // Decoders hand out I420 or NV12 here; a GPU-backed frame (format null) is converted to RGBA by copyTo.
          // (copyTo converts to RGB formats only: a YUV frame is copied as it is.)
          const own = FORMATS.find((f) => f === frame.format);
          const options = own ? {} : { format: 'RGBA' as const };
          const data = new Uint8Array(frame.allocationSize(options));
          await frame.copyTo(data, options);
          const format = own ?? 'RGBA';
          ctx.ledger.record({
            element: ctx.name,
            bytes: data.length,
            from: 'videoframe',
            to: 'cpu',
            reason: 'overlay and gpuPreprocess read CPU frames',
            explicit: true,
          });
          const { width, height } = frame.visibleRect!;
          const framerate = p.caps.get('framerate');
          return { ...p, caps: caps('video/x-raw', { format, width, height, ...(framerate ? { framerate } : {}) }), memory: cpuMemory(data) };
        } finally {
          frame.close();
        }
      },
    }),
  });

/** Keeps the frame in its meta (same bytes) while gpuPreprocess and ortWeb replace the payload with tensors. */
const keepFrame = () =>
  defineTransform<Packet<CpuMemory>, Packet<CpuMemory>>({
    factory: 'keepFrame',
    sinkCaps: rawVideoTemplate(FORMATS),
    srcCaps: rawVideoTemplate(FORMATS),
    passthrough: true,
    open: (_ctx, up) => mapReader(up, (p) => ({ ...p, meta: { ...p.meta, frame: { caps: p.caps, memory: p.memory } } })),
  });

/** The DB probability map → text boxes in frame pixels (meta.detections, which overlay draws), on the kept frame. */
const boxesOnFrame = () =>
  defineTransform<TensorPacket, Packet<CpuMemory>>({
    factory: 'boxesOnFrame',
    sinkCaps: caps('application/x-tensor', { dtype: 'float32' }),
    srcCaps: rawVideoTemplate(FORMATS),
    open: (_ctx, up) =>
      mapReader(up, (p) => {
        const { frame, geometry, ...meta } = p.meta as typeof p.meta & { frame: Pick<Packet<CpuMemory>, 'caps' | 'memory'>; geometry: PreprocessGeometry };
        const [, , h, w] = tensorInfo(p.caps).shape;
        const boxes = dbBoxes(tensorData(p), w, h, { geometry });
        const detections: Detection[] = boxes.map((b) => ({ bounds: b.bounds, score: b.score }));
        return { ...p, caps: frame.caps, memory: frame.memory, meta: { ...meta, detections } };
      }),
  });

/** The drawn CPU frame into a VideoFrame again for canvasSink (one explicit copy). */
const cpuToFrame = () =>
  defineTransform<Packet<CpuMemory>, VideoFramePacket>({
    factory: 'cpuToFrame',
    sinkCaps: rawVideoTemplate(FORMATS),
    srcCaps: caps('video/x-raw', {}, ['memory:VideoFrame']),
    open: (ctx, up) =>
      mapReader(up, (p) => {
        const format = p.caps.get('format') as (typeof FORMATS)[number];
        const [codedWidth, codedHeight] = [p.caps.get('width') as number, p.caps.get('height') as number];
        const frame = new VideoFrame(p.memory.data, { format, codedWidth, codedHeight, timestamp: Math.round((p.pts ?? 0) / 1000) });
        ctx.ledger.record({
          element: ctx.name,
          bytes: p.memory.data.length,
          from: 'cpu',
          to: 'videoframe',
          reason: 'canvasSink shows VideoFrames',
          explicit: true,
        });
        return {
          ...p,
          caps: caps('video/x-raw', { format, width: codedWidth, height: codedHeight }, ['memory:VideoFrame']),
          memory: { domain: 'videoframe', frame },
        };
      }),
  });

export interface DetectOptions {
  src: string;
  model: string;
  ep: 'webgpu' | 'wasm';
  context: 'webgpu' | '2d';
  /** onnxruntime-web's ESM file. */
  ort: string;
}

/** Runs the pipeline into `canvas`, filling `result` as frames are presented. */
export async function detect(canvas: HTMLCanvasElement, o: DetectOptions, result: DetectResult): Promise<PipelineStats> {
  const [video, model] = await Promise.all([fetchBytes(o.src), fetchBytes(o.model)]);
  const ort = (await import(new URL(o.ort, location.href).href)) as Ort;
  // One wasm thread: threads need a cross-origin-isolated page.
  ort.env.wasm.numThreads = 1;
  let device: (() => Promise<GPUDevice>) | undefined;
  if (o.ep === 'webgpu') {
    // The preprocess must run on ort's own device to hand it GPU buffers without a download; ort makes that
    // device with its first WebGPU session.
    await (await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] })).release();
    device = async () => (await ort.env.webgpu.device) as GPUDevice;
  }
  const detections = new Map<number | undefined, Detection['bounds'][]>();
  const note = defineTransform<Packet<CpuMemory>, Packet<CpuMemory>>({
    factory: 'noteDetections',
    sinkCaps: rawVideoTemplate(FORMATS),
    srcCaps: rawVideoTemplate(FORMATS),
    passthrough: true,
    open: (_ctx, up) =>
      mapReader(
        up,
        (p) => (
          detections.set(
            p.pts,
            ((p.meta.detections as Detection[]) ?? []).map((d) => d.bounds)
          ),
          p
        )
      ),
  });
  const sink = canvasSink({
    canvas,
    context: o.context,
    onPresented: (p) => void result.frames.push({ pts: p.pts, boxes: detections.get(p.pts) ?? [] }),
  });
  // Two pipe() calls: its overloads type-check up to eight operators at a time.
  const frames = pipe(
    fileSrc({ source: video }),
    h264Parse(),
    webCodecsDec(),
    frameToCpu(),
    keepFrame(),
    // wasm: the tensor comes down to the CPU (one more copy, in the ledger); webgpu: it stays on ort's device.
    gpuPreprocess({ ...DET, device, download: o.ep === 'wasm' })
  );
  const shown = pipe(frames, ortWeb(ort, model, { executionProvider: o.ep }), boxesOnFrame(), note, overlay({ color: 'green' }), cpuToFrame(), sink);
  // Throughput: a file, every frame shown, none dropped as late (inference may be slower than the frame rate).
  const stats = await shown.run({ profile: 'throughput' });
  result.presented = sink.counters.presented;
  result.copies = { count: stats.copies.count, bytes: stats.copies.bytes };
  return stats;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// Started by the page; bundling or importing this file elsewhere starts nothing.
const canvas = typeof document === 'undefined' ? null : document.querySelector<HTMLCanvasElement>('canvas#video');
const out = typeof document === 'undefined' ? null : document.querySelector<HTMLElement>('#stats');
if (canvas && out) {
  const q = new URLSearchParams(location.search);
  const options: DetectOptions = {
    src: q.get('src') ?? 'clip.h264',
    model: q.get('model') ?? 'models/ch_PP-OCRv4_det_infer.onnx',
    ep: q.get('ep') === 'wasm' ? 'wasm' : 'webgpu',
    context: q.get('context') === '2d' ? '2d' : 'webgpu',
    ort: q.get('ort') ?? 'ort/ort.min.mjs',
  };
  const result: DetectResult = { state: 'running', presented: 0, frames: [], copies: { count: 0, bytes: 0 } };
  (window as unknown as { g2gDetect: DetectResult }).g2gDetect = result;
  const t0 = performance.now();
  detect(canvas, options, result).then(
    (stats) => {
      // A file has no capture times, so no glass-to-glass latency: the rate the page showed frames at instead.
      const boxes = result.frames.reduce((n, f) => n + f.boxes.length, 0);
      const seconds = (performance.now() - t0) / 1000;
      const copies = `${stats.copies.count} copies (${(stats.copies.bytes / 1e6).toFixed(1)} MB)`;
      out.textContent = `${result.presented} frames, ${boxes} boxes, ${copies}, ${(result.presented / seconds).toFixed(1)} fps (model load included)`;
      result.state = 'done';
    },
    (e: unknown) => {
      result.error = e instanceof Error ? e.message : String(e);
      out.textContent = `error: ${result.error}`;
      result.state = 'error';
    }
  );
}
