import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { mp4Demux } from '../../operators/mp4-demux';
import type { Source } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import type { PipelineStats } from '../../src/pipeline/stats';
import { LIVE, type LatencyProfile } from '../../src/pipeline/profile';
import { systemClock } from '../../src/clock/system-clock';
import { formatTime } from '../../src/time';
import { installNodeFileOpener } from '../drivers/fs';
import { rtspSrc } from '../elements/rtsp-src';
import { nodeWebGpuDevice } from '../ml/webgpu';
import { ocrChain, type FramePacket, type OcrPreprocessBackend, type Timings } from '../ml/ocr-stages';
import { gutenyeOcrModels, PpOcr, type OcrLine } from '../ml/pp-ocr';
import { parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import type { CliRunOptions } from './run-pipeline';
import { containerOf, identifyFile, isInputError, unreadable, type ContainerKind } from './probe';

export const OCR_USAGE = `Usage: g2g ocr INPUT [--json] [--frames N] [--cls] [--preprocess auto|webgpu|cpu]

Reads the text in a video with PP-OCRv4 (detection + recognition, onnxruntime on the CPU):
  INPUT ! h264Parse ! h264Dec ! ocrWgpuPreprocess ! ocrDetect [! ocrClassify] ! ocrRecognise ! sink
INPUT is an H.264 elementary stream (.h264), an MP4 file or an rtsp:// URL. Prints each
frame's boxes and text, then every element's processing time (p50/p95).

Options:
  --json        one JSON object per frame: {"frame","pts","text","lines":[{"text","score","angle","box"}]}
  --frames N    stop after N frames (default: the whole input; an RTSP stream runs until Ctrl-C)
  --cls         classify each box's text angle (0°/180°) and turn upside-down text before reading it
  --preprocess  where the detector's input is made: webgpu (ocrWgpuPreprocess, WGSL), cpu (the reference
                code), or auto (default: webgpu when a WebGPU adapter exists, else cpu, saying why)
  -h, --help    show this help`;

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

/** The live profile, but a sink keeps frames older than its 100 ms deadline: OCR alone takes longer. */
export const OCR_LIVE: LatencyProfile = {
  ...LIVE,
  name: 'live',
  deadline: undefined,
};

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
    return [
      e.name,
      String(e.packets),
      Number.isNaN(e.processing.p50) ? '-' : ms(e.processing.p50),
      Number.isNaN(e.processing.p95) ? '-' : ms(e.processing.p95),
    ];
  });
  rows.unshift(['element', 'packets', 'p50 ms', 'p95 ms']);
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

/** `kind`: what the file's content is (identified before the model loads), not what its name says. */
function inputSource(input: string, kind: ContainerKind | undefined): Source<Packet> {
  if (/^rtsp:\/\//i.test(input)) return rtspSrc({ location: input, protocols: 'tcp' });
  installNodeFileOpener();
  if (kind === 'mp4') return pipe(fileSrc({ location: input }), mp4Demux()) as Source<Packet>;
  return fileSrc({ location: input }) as Source<Packet>;
}

const processInterrupts = (handler: () => void): (() => void) => {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
};

/** `g2g ocr INPUT`: the text of every frame, then per-element latency. */
export async function ocr(args: string[], io: CliIo = processIo, extra: Pick<CliRunOptions, 'onInterrupt'> = {}): Promise<number> {
  const a = parseArgs(args, {
    flags: ['help', 'json', 'cls'],
    options: ['frames', 'preprocess'],
    short: { h: 'help' },
  });
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

  // A file is identified first, so that one glass2glass cannot read fails at once, before any output.
  let kind: ContainerKind | undefined;
  if (!live) {
    try {
      const file = await identifyFile(input);
      const refused = unreadable(input, file);
      if (refused) throw refused;
      kind = containerOf(file.found);
    } catch (e) {
      if (!isInputError(e)) throw e;
      io.err(`g2g ocr: ${e.message}`);
      return 1;
    }
  }

  const classify = a.flags.has('cls');
  const preprocess = await chooseOcrPreprocess(a.options.get('preprocess') ?? 'auto', io.err);
  const model = await PpOcr.load(gutenyeOcrModels(), { classify });
  let frame = 0;
  const timings: Timings = new Map();
  const running = pipe(
    inputSource(input, kind),
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
          const b = (l: OcrLine) => ({
            x: l.box.bounds.x,
            y: l.box.bounds.y,
            width: l.box.bounds.width,
            height: l.box.bounds.height,
            points: l.box.points,
          });
          io.out(
            JSON.stringify({
              frame,
              pts: p.pts,
              text,
              lines: lines.map((l) => ({
                text: l.text,
                score: l.score,
                ...(l.angle ? { angle: l.angle.angle } : {}),
                box: b(l),
              })),
            })
          );
        } else {
          io.out(`frame ${frame}  ${formatTime(p.pts ?? 0)}  '${text.replace(/\n/g, ' | ')}'${lines.length ? '  ' + lines.map(boxText).join('  ') : ''}`);
        }
        frame++;
        if (limit > 0 && frame === limit) running.eos();
      },
    })
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
