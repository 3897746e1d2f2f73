import { h264Parse } from '../../operators/h264-parse';
import { queue } from '../../operators/queue';
import { defineElement } from '../../src/descriptor';
import { EOS, type ElementContext, type Pulled, type Reader } from '../../src/element';
import type { CpuMemory } from '../../src/memory/memory';
import { RELEASE } from '../../src/memory/release';
import { preprocessCpu, type PreprocessGeometry } from '../../src/ml/preprocess-cpu';
import { WgpuPreprocessor } from '../../src/ml/preprocess-wgsl';
import { dbBoxes, textLines, type TextBox } from '../../src/ml/postprocess/db';
import { groupByShape, stackFloat32 } from '../../src/ml/tensor';
import { BATCH_CAPS, batchOf, isBatch, type BatchPacket } from '../../src/batch/batch-packet';
import { defineTransform, type Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { isPromiseLike } from '../../src/util/promise';
import { rawVideoTemplate } from '../../src/video/format';
import { VIDEO_META, videoLayoutReader } from '../../src/video/meta';
import { h264Dec } from '../elements/h264-dec';
import { boxRoi, detectionSize, PP_OCR_DET, type OcrLine, type PpOcr, type TextAngle } from './pp-ocr';

/**
 * The PP-OCR stages as elements: each passes the raw frame on and adds to its meta (`ocrInput` →
 * `ocrBoxes` → `ocrAngles` → `ocrLines`/`ocrText`). They need a loaded PpOcr (an extra), so they are not in
 * the launch registry; their descriptors let `inspect` describe them.
 */

export type FramePacket = Packet<CpuMemory>;

/**
 * Every packet's processing time (ns) per element name: the pipeline samples one pull in 256, too few
 * for a run of a few dozen frames of slow inference.
 */
export type Timings = Map<string, number[]>;

/** Where the detector's input is made: the WGSL kernel on a WebGPU device, or the CPU reference. */
export type OcrPreprocessBackend = { readonly kind: 'cpu' } | { readonly kind: 'webgpu'; readonly device: () => Promise<GPUDevice> };

/** The detection input that ocrPreprocess leaves in `meta.ocrInput` for ocrDetect. */
interface OcrInput {
  readonly data: Float32Array;
  readonly shape: number[];
  readonly geometry: PreprocessGeometry;
}

/** Raw video of any rate, 0/1 (unknown, as from RTSP or a VFR MP4) included. */
const ANY_RAW = rawVideoTemplate();

/** A stage's input: raw video, or a streamMux batch of raw frames (each slot annotated alone, its source kept). */
const STAGE_CAPS = ANY_RAW.union(BATCH_CAPS);

/** What every stage declares: raw video (or batches of it) through, the frame read and passed on. */
const STAGE = {
  kind: 'transform',
  caps: { sink: STAGE_CAPS, src: STAGE_CAPS },
  // These stages read the frame (preprocess, crops) and pass it on: they honour VIDEO_META themselves
  // rather than let the question through to whatever follows them. They keep no frame once it has gone
  // on, so the frame's release is left to what follows (RELEASE, when that releases too).
  metas: [VIDEO_META, RELEASE],
  properties: {},
} as const;

/** Options of every stage that are not properties. */
export interface StageExtras {
  /** Each packet's processing time goes here, under the element's name. */
  timings?: Timings;
}

/** Options of the stages that run a model. */
export interface ModelStageExtras extends StageExtras {
  /** The loaded PP-OCR models. */
  ocr: PpOcr;
}

type Annotate = (p: FramePacket, ctx: ElementContext) => Promise<FramePacket> | FramePacket;

/**
 * A raw-video passthrough transform that adds to each frame's meta (the frame itself goes on, for later
 * stages). A streamMux batch of frames goes through as a batch: each slot annotated (`batched` does them all
 * at once, one model run for the batch), each keeping its source for batchSplit.
 */
function annotate(
  f: Annotate,
  timings?: Timings,
  close?: () => void,
  batched?: (frames: FramePacket[], ctx: ElementContext) => Promise<FramePacket[]>
): Transform<FramePacket, FramePacket> {
  const all =
    batched ??
    (async (frames: FramePacket[], ctx: ElementContext) => {
      const out: FramePacket[] = [];
      for (const p of frames) out.push(await f(p, ctx));
      return out;
    });
  return defineTransform<FramePacket, FramePacket>({
    sinkCaps: STAGE_CAPS,
    srcCaps: STAGE_CAPS,
    passthrough: true,
    open(ctx, up): Reader<FramePacket> {
      const times: number[] = [];
      timings?.set(ctx.name, times);
      const one = async (p: FramePacket): Promise<FramePacket> => {
        if (!isBatch(p)) return f(p, ctx);
        const slots = batchOf<FramePacket>(p);
        const out = await all(
          slots.map((s) => s.packet),
          ctx
        );
        return { ...p, meta: { ...p.meta, batch: slots.map((s, k) => ({ source: s.source, packet: out[k] })) } };
      };
      const step = async (p: Pulled<FramePacket>): Promise<Pulled<FramePacket>> => {
        if (p === EOS) return EOS;
        const t0 = performance.now();
        const out = await one(p);
        times.push((performance.now() - t0) * 1e6);
        return out;
      };
      return {
        pull(signal) {
          const p = up.pull(signal);
          return isPromiseLike(p) ? Promise.resolve(p).then(step) : step(p);
        },
        close,
      };
    },
  });
}

export const OCR_PREPROCESS = defineElement({
  ...STAGE,
  name: 'ocrPreprocess',
  description: 'PP-OCR detection preprocess on the CPU (reference code): the frame to a BGR, mean/std, 32-aligned tensor in meta.ocrInput',
  notes: 'Passes the frame on with meta.ocrInput for ocrDetect.',
  build: (_s, x: StageExtras) => {
    const layoutOf = videoLayoutReader();
    return annotate((p) => {
      const { info, layout } = layoutOf(p);
      const t = preprocessCpu(layout, p.memory.data, { ...PP_OCR_DET, ...detectionSize(info.width, info.height) });
      const input: OcrInput = { data: t.data, shape: [...t.shape], geometry: t.geometry };
      return { ...p, meta: { ...p.meta, ocrInput: input } };
    }, x.timings);
  },
});

/**
 * The WebGPU form of ocrPreprocess: wgpuPreprocess's WGSL kernel, but it hands on the frame with the tensor
 * downloaded into its meta (a name of its own: it is not wgpuPreprocess, whose output is the tensor).
 */
export const OCR_WGPU_PREPROCESS = defineElement({
  ...STAGE,
  name: 'ocrWgpuPreprocess',
  description: 'PP-OCR detection preprocess on WebGPU (the wgpuPreprocess WGSL kernel), downloaded into meta.ocrInput for onnxruntime-node',
  notes:
    'Passes the frame on with meta.ocrInput for ocrDetect. Each download from the GPU is an explicit copy in the ledger (onnxruntime-node takes CPU tensors only).',
  build: (_s, x: StageExtras & { device: () => Promise<GPUDevice> }) => {
    const layoutOf = videoLayoutReader();
    let kernel: Promise<WgpuPreprocessor> | undefined;
    return annotate(
      async (p, ctx) => {
        const k = await (kernel ??= x.device().then((d) => WgpuPreprocessor.create(d)));
        const { info, layout } = layoutOf(p);
        const t = await k.runToCpu(layout, p.memory.data, { ...PP_OCR_DET, ...detectionSize(info.width, info.height) });
        ctx.ledger.record({
          element: ctx.name,
          bytes: t.byteLength,
          from: 'webgpu-buffer',
          to: 'cpu',
          reason: 'onnxruntime-node takes CPU tensors',
          explicit: true,
        });
        const input: OcrInput = { data: t.data, shape: t.shape, geometry: t.geometry };
        return { ...p, meta: { ...p.meta, ocrInput: input } };
      },
      x.timings,
      () => void kernel?.then((k) => k.destroy()).catch(() => undefined)
    );
  },
});

/**
 * PP-OCR detection preprocess (BGR, ImageNet mean/std, sides multiples of 32) into `meta.ocrInput`: on
 * WebGPU (element `ocrWgpuPreprocess`, the WGSL kernel of src/ml/preprocess-wgsl.ts) or on the CPU
 * (`ocrPreprocess`). onnxruntime-node cannot take our GPU buffers, so the WebGPU result is downloaded —
 * an explicit transfer, recorded in the copy ledger.
 */
export function ocrPreprocess(name?: string, timings?: Timings, backend: OcrPreprocessBackend = { kind: 'cpu' }): Transform<FramePacket, FramePacket> {
  if (backend.kind === 'cpu') return OCR_PREPROCESS.create({ name, timings });
  return OCR_WGPU_PREPROCESS.create({ name, timings, device: backend.device });
}

export const OCR_DETECT = defineElement({
  ...STAGE,
  name: 'ocrDetect',
  description: "PP-OCR DB text detection: meta.ocrInput to meta.ocrBoxes in frame pixels (the PpOcr's detection model)",
  notes:
    'Runs the detection model on the tensor ocrPreprocess left in the meta; passes the frame on with its boxes. On a streamMux batch (ocrPreprocess per source before the mux), one run for the frames of one detection size, each frame then getting its own boxes.',
  build: (_s, x: ModelStageExtras) => {
    const { ocr } = x;
    const withBoxes = (p: FramePacket, map: Float32Array, w: number, h: number): FramePacket => {
      const input = p.meta.ocrInput as OcrInput;
      return { ...p, meta: { ...p.meta, ocrInput: undefined, ocrBoxes: dbBoxes(map, w, h, { geometry: input.geometry }) } };
    };
    return annotate(
      async (p) => {
        const input = p.meta.ocrInput as OcrInput;
        const out = await ocr.det.run(input.data, input.shape);
        const [, , h, w] = out.dims;
        return withBoxes(p, out.data, w, h);
      },
      x.timings,
      undefined,
      // A batch: the frames' inputs of one shape stacked into one [N,3,H,W] run, each probability map
      // then read into the boxes of its own frame (in its own geometry).
      async (frames, ctx) => {
        const inputs = frames.map((p, k) => {
          const input = p.meta.ocrInput as OcrInput | undefined;
          if (!input) throw new TypeError(`${ctx.name}: frame ${k} of the batch has no meta.ocrInput; put ocrPreprocess before the mux`);
          return input;
        });
        const out: FramePacket[] = new Array(frames.length);
        for (const idx of groupByShape(inputs.map((i) => i.shape))) {
          const data = idx.length === 1 ? inputs[idx[0]].data : stackFloat32(idx.map((k) => inputs[k].data));
          if (idx.length > 1)
            ctx.ledger.record({ element: ctx.name, bytes: data.byteLength, from: 'cpu', to: 'cpu', reason: 'ocrDetect batch stacking', explicit: true });
          const maps = await ocr.det.run(data, [idx.length, ...inputs[idx[0]].shape.slice(1)]);
          const [n, , h, w] = maps.dims;
          if (n !== idx.length) throw new RangeError(`${ctx.name}: the detector gave ${n} maps for ${idx.length} frames`);
          const per = h * w;
          idx.forEach((k, j) => (out[k] = withBoxes(frames[k], maps.data.subarray(j * per, (j + 1) * per), w, h)));
        }
        return out;
      }
    );
  },
});

/**
 * DB text detection: `meta.ocrInput` → `meta.ocrBoxes` in frame pixels. After a streamMux of per-source
 * ocrPreprocess, `ocrDetect<BatchPacket<FramePacket>>` runs each batch at once and boxes each slot's frame.
 */
export function ocrDetect<P extends FramePacket | BatchPacket<FramePacket> = FramePacket>(ocr: PpOcr, name?: string, timings?: Timings): Transform<P, P> {
  return OCR_DETECT.create({ name, ocr, timings }) as Transform<any, any>;
}

/** A frame for PpOcr, laid out as its video meta says (checked against its caps and bytes). */
const frameOf = (read: ReturnType<typeof videoLayoutReader>, p: FramePacket) => {
  const { info, layout } = read(p);
  return { format: info.format, width: info.width, height: info.height, data: p.memory.data, layout };
};

export const OCR_CLASSIFY = defineElement({
  ...STAGE,
  name: 'ocrClassify',
  description: 'PP-OCR text angle classifier: meta.ocrBoxes to meta.ocrAngles (0° or 180°, one per box), which ocrRecognise follows',
  notes: 'Needs a PpOcr loaded with its angle classifier. Reads each box of the frame where its video meta puts the planes.',
  build: (_s, x: ModelStageExtras) => {
    const { ocr } = x;
    if (!ocr.cls) throw new RangeError('ocrClassify needs a PpOcr loaded with its angle classifier (models.classifierPath, classify not false)');
    const layoutOf = videoLayoutReader();
    return annotate(async (p) => {
      const frame = frameOf(layoutOf, p);
      const angles: (TextAngle | undefined)[] = [];
      for (const box of (p.meta.ocrBoxes as TextBox[] | undefined) ?? []) {
        const roi = boxRoi(box, frame.width, frame.height);
        angles.push(roi && (await ocr.classify(frame, roi)));
      }
      return { ...p, meta: { ...p.meta, ocrAngles: angles } };
    }, x.timings);
  },
});

/**
 * Text orientation of every box (PP-OCR's angle classifier): `meta.ocrBoxes` → `meta.ocrAngles`, one per
 * box, which ocrRecognise follows (180: the crop is turned before it is read).
 */
export function ocrClassify<P extends FramePacket | BatchPacket<FramePacket> = FramePacket>(ocr: PpOcr, name?: string, timings?: Timings): Transform<P, P> {
  return OCR_CLASSIFY.create({ name, ocr, timings }) as Transform<any, any>;
}

export const OCR_RECOGNISE = defineElement({
  ...STAGE,
  name: 'ocrRecognise',
  description: 'PP-OCR CTC text recognition of every box: meta.ocrBoxes (turned per meta.ocrAngles) to meta.ocrLines and meta.ocrText',
  notes: 'meta.ocrText holds the words by line, top to bottom. Reads each box of the frame where its video meta puts the planes.',
  build: (_s, x: ModelStageExtras) => {
    const { ocr } = x;
    const layoutOf = videoLayoutReader();
    return annotate(async (p) => {
      const frame = frameOf(layoutOf, p);
      const angles = p.meta.ocrAngles as (TextAngle | undefined)[] | undefined;
      const lines: OcrLine[] = [];
      const boxes = (p.meta.ocrBoxes as TextBox[] | undefined) ?? [];
      for (let i = 0; i < boxes.length; i++) {
        const box = boxes[i];
        const roi = boxRoi(box, frame.width, frame.height);
        if (!roi) continue;
        const angle = angles?.[i];
        lines.push({ ...(await ocr.recognise(frame, roi, angle?.angle)), box, ...(angle ? { angle } : {}) });
      }
      const byBox = new Map(lines.map((l) => [l.box, l.text.trim()]));
      const text = textLines(lines.map((l) => l.box))
        .map((line) => line.map((b) => byBox.get(b)!).join(' '))
        .join('\n');
      return { ...p, meta: { ...p.meta, ocrAngles: undefined, ocrLines: lines, ocrText: text } };
    }, x.timings);
  },
});

/** CTC recognition of every box: `meta.ocrBoxes` (turned per `meta.ocrAngles`) → `meta.ocrLines` and `meta.ocrText` (words by line). */
export function ocrRecognise<P extends FramePacket | BatchPacket<FramePacket> = FramePacket>(ocr: PpOcr, name?: string, timings?: Timings): Transform<P, P> {
  return OCR_RECOGNISE.create({ name, ocr, timings }) as Transform<any, any>;
}

export interface OcrStageOptions {
  timings?: Timings;
  classify?: boolean;
  /** Default: the CPU reference. */
  preprocess?: OcrPreprocessBackend;
}

/** preprocess → detect → classify (when the model was loaded with its classifier and `classify` is not false) → recognise. */
export function ocrStages(ocr: PpOcr, options: OcrStageOptions = {}): Transform<FramePacket, FramePacket> {
  const t = options.timings;
  const detect = pipe(ocrPreprocess(undefined, t, options.preprocess), ocrDetect(ocr, undefined, t));
  return ocr.cls && options.classify !== false
    ? pipe(detect, ocrClassify(ocr, undefined, t), ocrRecognise(ocr, undefined, t))
    : pipe(detect, ocrRecognise(ocr, undefined, t));
}

/** decode → preprocess → detect → (classify) → recognise, after an H.264 byte-stream source. */
export function ocrChain(ocr: PpOcr, options: OcrStageOptions & { live: boolean }): Transform<Packet, FramePacket> {
  const decode = pipe(h264Parse(), h264Dec({ live: options.live }));
  // Live: one frame waits at most, the oldest dropped, so that slow inference shows the newest frame
  // rather than a growing backlog (the decoder still sees every unit: H.264 needs them all).
  const stages = ocrStages(ocr, options);
  return options.live ? pipe(decode, queue<FramePacket>({ maxSizeBuffers: 1, leaky: 'downstream' }), stages) : pipe(decode, stages);
}
