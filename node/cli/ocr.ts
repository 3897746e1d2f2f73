import { RELEASE } from '../../src/memory/release';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Demux } from '../../operators/mp4-demux';
import { queue } from '../../operators/queue';
import type { ElementContext, Pulled, Reader } from '../../src/element';
import { EOS } from '../../src/element';
import type { CpuMemory } from '../../src/memory/memory';
import { preprocessCpu, type PreprocessGeometry } from '../../src/ml/preprocess-cpu';
import { WgpuPreprocessor } from '../../src/ml/preprocess-wgsl';
import { dbBoxes, textLines, type TextBox } from '../../src/ml/postprocess/db';
import { defineTransform, type Source, type Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { formatStats, type PipelineStats } from '../../src/pipeline/stats';
import { LIVE, type LatencyProfile } from '../../src/pipeline/profile';
import { systemClock } from '../../src/clock/system-clock';
import { formatTime } from '../../src/time';
import { isPromiseLike } from '../../src/util/promise';
import { rawVideoTemplate } from '../../src/video/format';
import { VIDEO_META, videoLayoutReader } from '../../src/video/meta';
import { installNodeFileOpener } from '../drivers/fs';
import { h264Dec } from '../elements/h264-dec';
import { rtspSrc } from '../elements/rtsp-src';
import { nodeWebGpuDevice } from '../ml/webgpu';
import { boxRoi, detectionSize, gutenyeOcrModels, PP_OCR_DET, PpOcr, type OcrLine, type TextAngle } from '../ml/pp-ocr';
import { parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import type { CliRunOptions } from './run-pipeline';

export const OCR_USAGE = `Usage: g2g ocr INPUT [--json] [--frames N] [--cls] [--preprocess auto|webgpu|cpu]

Reads the text in a video with PP-OCRv4 (detection + recognition, onnxruntime on the CPU):
  INPUT ! h264Parse ! h264Dec ! wgpuPreprocess ! ocrDetect [! ocrClassify] ! ocrRecognise ! sink
INPUT is an H.264 elementary stream (.h264), an MP4 file or an rtsp:// URL. Prints each
frame's boxes and text, then every element's processing time (p50/p95).

Options:
  --json        one JSON object per frame: {"frame","pts","text","lines":[{"text","score","angle","box"}]}
  --frames N    stop after N frames (default: the whole input; an RTSP stream runs until Ctrl-C)
  --cls         classify each box's text angle (0°/180°) and turn upside-down text before reading it
  --preprocess  where the detector's input is made: webgpu (wgpuPreprocess, WGSL), cpu (the reference
                code), or auto (default: webgpu when a WebGPU adapter exists, else cpu, saying why)
  -h, --help    show this help`;

export type FramePacket = Packet<CpuMemory>;

/** The detection input that ocrPreprocess leaves in `meta.ocrInput` for ocrDetect. */
interface OcrInput {
  readonly data: Float32Array;
  readonly shape: number[];
  readonly geometry: PreprocessGeometry;
}

/** Raw video of any rate, 0/1 (unknown, as from RTSP or a VFR MP4) included. */
const ANY_RAW = rawVideoTemplate();

/** A raw-video passthrough transform that adds to each frame's meta (the frame itself goes on, for later stages). */
function annotate(
  factory: string,
  name: string | undefined,
  f: (p: FramePacket, ctx: ElementContext) => Promise<FramePacket> | FramePacket,
  timings?: Timings,
  close?: () => void,
): Transform<FramePacket, FramePacket> {
  return defineTransform<FramePacket, FramePacket>({
    factory,
    name,
    props: {},
    sinkCaps: ANY_RAW,
    srcCaps: ANY_RAW,
    passthrough: true,
    // These stages read the frame (preprocess, crops) and pass it on: they honour VIDEO_META themselves
    // rather than let the question through to whatever follows them. They keep no frame once it has gone
    // on, so the frame's release is left to what follows (RELEASE, when that releases too).
    metas: [VIDEO_META, RELEASE],
    open(ctx, up): Reader<FramePacket> {
      const times: number[] = [];
      timings?.set(ctx.name, times);
      const step = async (p: Pulled<FramePacket>): Promise<Pulled<FramePacket>> => {
        if (p === EOS) return EOS;
        const t0 = performance.now();
        const out = await f(p, ctx);
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

/**
 * Every packet's processing time (ns) per element name: the pipeline samples one pull in 256, too few
 * for a run of a few dozen frames of slow inference.
 */
export type Timings = Map<string, number[]>;

/** Where the detector's input is made: the WGSL kernel on a WebGPU device, or the CPU reference. */
export type OcrPreprocessBackend = { readonly kind: 'cpu' } | { readonly kind: 'webgpu'; readonly device: () => Promise<GPUDevice> };

/**
 * `--preprocess auto|webgpu|cpu`: auto takes WebGPU when an adapter answers (Dawn in Node) and otherwise
 * the CPU, logging why; webgpu insists (an error without an adapter).
 */
export async function chooseOcrPreprocess(choice: string, log: (line: string) => void): Promise<OcrPreprocessBackend> {
  if (choice === 'cpu') return { kind: 'cpu' };
  if (choice !== 'auto' && choice !== 'webgpu') throw new UsageError(`--preprocess must be auto, webgpu or cpu, got '${choice}'`);
  try {
    await nodeWebGpuDevice();
    return { kind: 'webgpu', device: nodeWebGpuDevice };
  } catch (e) {
    if (choice === 'webgpu') throw e;
    log(`preprocess: on the CPU (no WebGPU adapter: ${e instanceof Error ? e.message : String(e)})`);
    return { kind: 'cpu' };
  }
}

/**
 * PP-OCR detection preprocess (BGR, ImageNet mean/std, sides multiples of 32) into `meta.ocrInput`: on
 * WebGPU (element `wgpuPreprocess`, the WGSL kernel of src/ml/preprocess-wgsl.ts) or on the CPU
 * (`ocrPreprocess`). onnxruntime-node cannot take our GPU buffers, so the WebGPU result is downloaded —
 * an explicit transfer, recorded in the copy ledger.
 */
export function ocrPreprocess(name?: string, timings?: Timings, backend: OcrPreprocessBackend = { kind: 'cpu' }): Transform<FramePacket, FramePacket> {
  const layoutOf = videoLayoutReader();
  if (backend.kind === 'cpu') {
    return annotate('ocrPreprocess', name, (p) => {
      const { info, layout } = layoutOf(p);
      const t = preprocessCpu(layout, p.memory.data, { ...PP_OCR_DET, ...detectionSize(info.width, info.height) });
      const input: OcrInput = { data: t.data, shape: [...t.shape], geometry: t.geometry };
      return { ...p, meta: { ...p.meta, ocrInput: input } };
    }, timings);
  }
  let kernel: Promise<WgpuPreprocessor> | undefined;
  return annotate('wgpuPreprocess', name, async (p, ctx) => {
    const k = await (kernel ??= backend.device().then((d) => WgpuPreprocessor.create(d)));
    const { info, layout } = layoutOf(p);
    const t = await k.runToCpu(layout, p.memory.data, { ...PP_OCR_DET, ...detectionSize(info.width, info.height) });
    ctx.ledger.record({ element: ctx.name, bytes: t.byteLength, from: 'webgpu-buffer', to: 'cpu', reason: 'onnxruntime-node takes CPU tensors', explicit: true });
    const input: OcrInput = { data: t.data, shape: t.shape, geometry: t.geometry };
    return { ...p, meta: { ...p.meta, ocrInput: input } };
  }, timings, () => void kernel?.then((k) => k.destroy()).catch(() => undefined));
}

/** DB text detection: `meta.ocrInput` → `meta.ocrBoxes` in frame pixels. */
export function ocrDetect(ocr: PpOcr, name?: string, timings?: Timings): Transform<FramePacket, FramePacket> {
  return annotate('ocrDetect', name, async (p) => {
    const input = p.meta.ocrInput as OcrInput;
    const out = await ocr.det.run(input.data, input.shape);
    const [, , h, w] = out.dims;
    const boxes = dbBoxes(out.data, w, h, { geometry: input.geometry });
    return { ...p, meta: { ...p.meta, ocrInput: undefined, ocrBoxes: boxes } };
  }, timings);
}

/** The frame's layout (its video meta's, else packed), checked against its caps and its bytes. */
/** A frame for PpOcr, laid out as its video meta says (checked against its caps and bytes). */
const frameOf = (read: ReturnType<typeof videoLayoutReader>, p: FramePacket) => {
  const { info, layout } = read(p);
  return { format: info.format, width: info.width, height: info.height, data: p.memory.data, layout };
};

/**
 * Text orientation of every box (PP-OCR's angle classifier): `meta.ocrBoxes` → `meta.ocrAngles`, one per
 * box, which ocrRecognise follows (180: the crop is turned before it is read).
 */
export function ocrClassify(ocr: PpOcr, name?: string, timings?: Timings): Transform<FramePacket, FramePacket> {
  const layoutOf = videoLayoutReader();
  if (!ocr.cls) throw new RangeError('ocrClassify needs a PpOcr loaded with its angle classifier (models.classifierPath, classify not false)');
  return annotate('ocrClassify', name, async (p) => {
    const frame = frameOf(layoutOf, p);
    const angles: (TextAngle | undefined)[] = [];
    for (const box of (p.meta.ocrBoxes as TextBox[] | undefined) ?? []) {
      const roi = boxRoi(box, frame.width, frame.height);
      angles.push(roi && (await ocr.classify(frame, roi)));
    }
    return { ...p, meta: { ...p.meta, ocrAngles: angles } };
  }, timings);
}

/** CTC recognition of every box: `meta.ocrBoxes` (turned per `meta.ocrAngles`) → `meta.ocrLines` and `meta.ocrText` (words by line). */
export function ocrRecognise(ocr: PpOcr, name?: string, timings?: Timings): Transform<FramePacket, FramePacket> {
  const layoutOf = videoLayoutReader();
  return annotate('ocrRecognise', name, async (p) => {
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
  }, timings);
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
  return ocr.cls && options.classify !== false ? pipe(detect, ocrClassify(ocr, undefined, t), ocrRecognise(ocr, undefined, t)) : pipe(detect, ocrRecognise(ocr, undefined, t));
}

/** decode → preprocess → detect → (classify) → recognise, after an H.264 byte-stream source. */
export function ocrChain(ocr: PpOcr, options: OcrStageOptions & { live: boolean }): Transform<Packet, FramePacket> {
  const decode = pipe(h264Parse(), h264Dec({ live: options.live }));
  // Live: one frame waits at most, the oldest dropped, so that slow inference shows the newest frame
  // rather than a growing backlog (the decoder still sees every unit: H.264 needs them all).
  const stages = ocrStages(ocr, options);
  return options.live ? pipe(decode, queue<FramePacket>({ maxSizeBuffers: 1, leaky: 'downstream' }), stages) : pipe(decode, stages);
}

/** The live profile, but a sink keeps frames older than its 100 ms deadline: OCR alone takes longer. */
export const OCR_LIVE: LatencyProfile = { ...LIVE, name: 'live', deadline: undefined };

export const ms = (ns: number) => (ns / 1e6).toFixed(1);

export function boxText(l: OcrLine): string {
  const b = l.box.bounds;
  return `[${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}x${Math.round(b.height)}] '${l.text}' (${l.score.toFixed(2)})`;
}

/** The elements' processing time, p50/p95 in ms, one line each. */
export function elementLatency(stats: PipelineStats, timings: Timings = new Map()): string {
  const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
  const rows = stats.elements.map((e) => {
    const t = timings.get(e.name);
    if (t?.length) return [e.name, String(e.packets), ms(pct(t, 0.5)), ms(pct(t, 0.95))];
    return [e.name, String(e.packets), Number.isNaN(e.processing.p50) ? '-' : ms(e.processing.p50), Number.isNaN(e.processing.p95) ? '-' : ms(e.processing.p95)];
  });
  rows.unshift(['element', 'packets', 'p50 ms', 'p95 ms']);
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

function inputSource(input: string): Source<Packet> {
  if (/^rtsp:\/\//i.test(input)) return rtspSrc({ location: input, protocols: 'tcp' });
  installNodeFileOpener();
  if (/\.(mp4|m4v|mov)$/i.test(input)) return pipe(fileSrc({ location: input }), mp4Demux()) as Source<Packet>;
  return fileSrc({ location: input }) as Source<Packet>;
}

const processInterrupts = (handler: () => void): (() => void) => {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
};

/** `g2g ocr INPUT`: the text of every frame, then per-element latency. */
export async function ocr(args: string[], io: CliIo = processIo, extra: Pick<CliRunOptions, 'onInterrupt'> = {}): Promise<number> {
  const a = parseArgs(args, { flags: ['help', 'json', 'cls'], options: ['frames', 'preprocess'], short: { h: 'help' } });
  if (a.flags.has('help')) {
    io.out(OCR_USAGE);
    return 0;
  }
  if (a.positional.length !== 1) throw new UsageError('ocr needs one INPUT: a .h264 or .mp4 file or an rtsp:// URL');
  const input = a.positional[0];
  const framesText = a.options.get('frames') ?? '0';
  if (!/^\d+$/.test(framesText)) throw new UsageError(`--frames must be a whole number, got '${framesText}'`);
  const limit = Number(framesText);
  const json = a.flags.has('json');
  const live = /^rtsp:\/\//i.test(input);

  const classify = a.flags.has('cls');
  const preprocess = await chooseOcrPreprocess(a.options.get('preprocess') ?? 'auto', io.err);
  const model = await PpOcr.load(gutenyeOcrModels(), { classify });
  let frame = 0;
  const timings: Timings = new Map();
  const running = pipe(
    inputSource(input),
    ocrChain(model, { live, timings, classify, preprocess }),
    fakeSink<FramePacket>({
      dropLate: false,
      // Reads only the OCR meta and keeps nothing: frames may stay as the decoder laid them out, and go
      // back to it as soon as this callback returns.
      videoMeta: true,
      release: true,
      onPacket: (p) => {
        if (limit > 0 && frame >= limit) return;
        const lines = (p.meta.ocrLines as OcrLine[]) ?? [];
        const text = (p.meta.ocrText as string) ?? '';
        if (json) {
          const b = (l: OcrLine) => ({ x: l.box.bounds.x, y: l.box.bounds.y, width: l.box.bounds.width, height: l.box.bounds.height, points: l.box.points });
          io.out(JSON.stringify({ frame, pts: p.pts, text, lines: lines.map((l) => ({ text: l.text, score: l.score, ...(l.angle ? { angle: l.angle.angle } : {}), box: b(l) })) }));
        } else {
          io.out(`frame ${frame}  ${formatTime(p.pts ?? 0)}  '${text.replace(/\n/g, ' | ')}'${lines.length ? '  ' + lines.map(boxText).join('  ') : ''}`);
        }
        frame++;
        if (limit > 0 && frame === limit) running.eos();
      },
    }),
  ).start({ clock: systemClock, profile: live ? OCR_LIVE : 'throughput' });
  const stop = (extra.onInterrupt ?? processInterrupts)(() => running.eos());
  let code = 0;
  try {
    await running.done;
  } catch (e) {
    io.err(`ERROR: ${e instanceof Error ? e.message : String(e)}`);
    code = 1;
  } finally {
    stop();
    await model.release();
  }
  const stats = running.stats();
  const say = json ? io.err : io.out;
  say(`\n${frame} frames in ${formatTime(stats.duration)}; per-element processing time:`);
  say(elementLatency(stats, timings));
  return code;
}
