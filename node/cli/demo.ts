import { fakeSink } from '../../operators/fake-sink';
import { identity } from '../../operators/identity';
import { overlay } from '../../operators/overlay';
import { waylandSink } from '../elements/wayland-sink';
import { h264Parse } from '../../operators/h264-parse';
import { videoTestSrc } from '../../operators/video-test-src';
import { parseLaunch } from '../../operators/launch';
import { systemClock } from '../../src/clock/system-clock';
import { pipe } from '../../src/pipeline';
import { formatStats } from '../../src/pipeline/stats';
import { writeFile } from 'node:fs/promises';
import { renderReport, ReportRecorder } from './report';
import { formatTime } from '../../src/time';
import { h264Enc } from '../elements/h264-enc';
import { rtspServerSink } from '../elements/rtsp-server-sink';
import { rtspSrc } from '../elements/rtsp-src';
import { ocrChain, type FramePacket, type OcrPreprocessBackend, type Timings } from '../ml/ocr-stages';
import { gutenyeOcrModels, PpOcr, type OcrLine } from '../ml/pp-ocr';
import { parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import { chooseOcrPreprocess, elementLatency, ms, OCR_LIVE } from './ocr';
import { cliRegistry } from './registry';
import { runPipeline, type CliRunOptions } from './run-pipeline';

/** What the source draws; 35-pixel glyphs (scale 5) read reliably, the frame counter does not. */
export const DEMO_TEXT = 'HELLO 42';

export const DEMO_USAGE = `Usage: g2g demo [--frames N] [--preprocess auto|webgpu|cpu] [--display auto|wayland|none] [--report FILE.html] [--simple]

Live OCR over RTSP, all in this process:
  videoTestSrc is-live=true (320x240, 15 fps, '${DEMO_TEXT}') ! h264Enc tune=zerolatency ! h264Parse
    ! rtspServerSink (127.0.0.1, a free port)
  rtspSrc ! h264Parse ! h264Dec ! queue (1, leaky) ! ocrWgpuPreprocess ! ocrDetect ! ocrRecognise ! sink
Prints the text read and the glass-to-glass latency (capture at the source → sink) of each
frame OCR'd, and after N of them (default 60; 0 runs until Ctrl-C) every element's stats.
Frames arriving while OCR is busy are dropped (live profile), never queued.

  --preprocess  webgpu (WGSL through Dawn), cpu, or auto (default: webgpu when an adapter exists)
  --display  wayland: show the frames with the boxes and text read (overlay ! waylandSink) in a window;
             none: no window; auto (default): wayland when WAYLAND_DISPLAY is set
  --report   write a self-contained latency report of the OCR client (capture → presented with a
             display, else capture → sink; latency over time, per-element processing) to FILE.html
  --simple   the old demo instead: fakeSrc is-live=true framerate=30/1 ! identity ! queue ! fakeSink`;

export function demoPipeline(frames: number): string {
  return `fakeSrc is-live=true framerate=30/1 num-buffers=${frames > 0 ? frames : -1} ! identity ! queue ! fakeSink`;
}

const processInterrupts = (handler: () => void): (() => void) => {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
};

/** `g2g demo`: live OCR of an RTSP stream served in-process, with its latency. */
export async function demo(args: string[], io: CliIo = processIo, extra: Pick<CliRunOptions, 'onInterrupt'> = {}): Promise<number> {
  const a = parseArgs(args, { flags: ['help', 'simple'], options: ['frames', 'preprocess', 'display', 'report'], short: { h: 'help' } });
  if (a.flags.has('help')) {
    io.out(DEMO_USAGE);
    return 0;
  }
  if (a.positional.length) throw new UsageError(`demo takes no arguments, got '${a.positional[0]}'`);
  const text = a.options.get('frames') ?? (a.flags.has('simple') ? '90' : '60');
  if (!/^\d+$/.test(text)) throw new UsageError(`--frames must be a whole number, got '${text}'`);
  const frames = Number(text);
  if (a.flags.has('simple')) {
    const line = demoPipeline(frames);
    io.out(`g2g demo: ${line}`);
    return runPipeline(parseLaunch(line, cliRegistry()), { profile: 'live', ...extra }, io);
  }
  const display = a.options.get('display') ?? 'auto';
  if (display !== 'auto' && display !== 'wayland' && display !== 'none') throw new UsageError(`--display must be auto, wayland or none, got '${display}'`);
  const preprocess = await chooseOcrPreprocess(a.options.get('preprocess') ?? 'auto', io.err);
  const wayland = display === 'wayland' || (display === 'auto' && !!process.env.WAYLAND_DISPLAY);
  return ocrDemo(frames, preprocess, io, extra.onInterrupt ?? processInterrupts, wayland, a.options.get('report'));
}

async function ocrDemo(
  frames: number,
  preprocess: OcrPreprocessBackend,
  io: CliIo,
  onInterrupt: (handler: () => void) => () => void,
  wayland: boolean,
  report: string | undefined
): Promise<number> {
  io.out('g2g demo: loading PP-OCRv4 …');
  const model = await PpOcr.load(gutenyeOcrModels());
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const server = pipe(
    videoTestSrc({ width: 320, height: 240, framerate: 15, pattern: 'smpte', overlay: 'text', text: DEMO_TEXT, overlayScale: 5, isLive: true }),
    h264Enc({ tune: 'zerolatency', speedPreset: 'ultrafast', keyIntMax: 30 }),
    h264Parse(),
    rtspServerSink({ name: 'rtspServerSink', port: 0, address: '127.0.0.1', onListening: (i) => listening(i.url) })
  ).start({ clock: systemClock, profile: OCR_LIVE });
  let code = 0;
  const fail = (where: string, e: unknown) => {
    io.err(`ERROR (${where}): ${e instanceof Error ? e.message : String(e)}`);
    code = 1;
  };
  const serverDone = server.done.catch((e: unknown) => fail('server', e));
  const location = await Promise.race([url, serverDone.then(() => undefined)]);
  if (location === undefined) {
    await model.release();
    return 1;
  }
  const pre = preprocess.kind === 'webgpu' ? 'ocrWgpuPreprocess' : 'ocrPreprocess';
  io.out(`g2g demo: serving ${location}; reading it back: rtspSrc ! h264Parse ! h264Dec ! queue ! ${pre} ! ocrDetect ! ocrRecognise ! sink`);

  const timings: Timings = new Map();
  let n = 0;
  let matched = 0;
  // Print every frame for short runs, else about one a second, so the output stays readable.
  const every = frames > 0 && frames <= 30 ? 1 : 8;
  const onFrame = (p: FramePacket): void => {
    if (frames > 0 && n >= frames) return;
    const read = (p.meta.ocrText as string | undefined) ?? '';
    if (read === DEMO_TEXT) matched++;
    const age = p.meta.captureTime === undefined ? undefined : systemClock.now() - p.meta.captureTime;
    if (n % every === 0 || (frames > 0 && n === frames - 1)) {
      const boxes = ((p.meta.ocrLines as OcrLine[] | undefined) ?? []).length;
      io.out(
        `frame ${String(n).padStart(4)}  pts ${formatTime(p.pts ?? 0)}  text '${read.replace(/\n/g, ' | ')}' (${boxes} box${
          boxes === 1 ? '' : 'es'
        })  glass-to-glass ${age === undefined ? '-' : `${ms(age)} ms`}`
      );
    }
    n++;
    if (frames > 0 && n === frames) client.eos();
  };
  // With a display: the frames go on through overlay (boxes and text where the model read them, and the
  // latency line) to a Wayland window, which measures capture → presented; else a sink that keeps nothing.
  const display = wayland ? waylandSink({ name: 'display', title: 'glass2glass demo' }) : undefined;
  const recorder = report ? new ReportRecorder(systemClock.now()) : undefined;
  const runOptions = { clock: systemClock, profile: OCR_LIVE, onLatency: recorder?.onLatency, onPresented: recorder?.onPresented };
  const client = display
    ? pipe(
        rtspSrc({ location, protocols: 'tcp' }),
        ocrChain(model, { live: true, timings, preprocess }),
        identity({ name: 'ocrSink', videoMeta: true, handoff: (p) => onFrame(p as FramePacket) }),
        overlay({ showLatency: true }),
        display
      ).start(runOptions)
    : pipe(
        rtspSrc({ location, protocols: 'tcp' }),
        ocrChain(model, { live: true, timings, preprocess }),
        fakeSink<FramePacket>({
          name: 'ocrSink',
          dropLate: false,
          // Reads only the OCR meta and keeps nothing: frames may stay as the decoder laid them out, and go
          // back to it as soon as this callback returns.
          videoMeta: true,
          release: true,
          onPacket: onFrame,
        })
      ).start(runOptions);
  const sampler = recorder ? setInterval(() => recorder.sample(client.stats(), systemClock.now()), 100) : undefined;
  io.out('Running (profile live); Ctrl-C ends the stream …');
  let interrupts = 0;
  const stop = onInterrupt(() => {
    interrupts++;
    io.err(interrupts === 1 ? 'Interrupt: ending the stream …' : 'Interrupt: aborting …');
    if (interrupts === 1) client.eos();
    else client.abort(new Error('interrupted'));
  });
  try {
    await client.done;
  } catch (e) {
    if (interrupts < 2) fail('client', e);
  } finally {
    stop();
    if (sampler) clearInterval(sampler);
    server.eos();
  }
  // The server's end (RTCP BYE, sockets closed) should be quick; do not hang the demo on it.
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3000).unref());
  if ((await Promise.race([serverDone.then(() => 'done' as const), timeout])) === 'timeout') {
    server.abort(new Error('server did not end'));
    await serverDone;
  }
  await model.release();

  const stats = client.stats();
  if (recorder && report) {
    recorder.sample(stats, systemClock.now());
    const line = `rtspSrc ! h264Parse ! h264Dec ! queue ! ${pre} ! ocrDetect ! ocrRecognise${display ? ' ! overlay ! waylandSink' : ' ! fakeSink'}`;
    try {
      await writeFile(report, renderReport(recorder.data('glass2glass demo: live OCR over RTSP', line, stats)));
      io.out(`Report written to ${report}`);
    } catch (e) {
      fail('report', e);
    }
  }
  const fps = stats.duration > 0 ? (n * 1e9) / stats.duration : 0;
  io.out('');
  io.out(
    `OCR'd ${n} frames in ${formatTime(stats.duration)} (${fps.toFixed(
      1
    )} fps; the source runs at 15 fps, late frames dropped); '${DEMO_TEXT}' read on ${matched}`
  );
  io.out('');
  if (display) {
    const c = display.counters;
    const l = c.latency();
    io.out(
      `Display (waylandSink): ${c.presented} frames presented, ${c.discarded} discarded by the compositor, ${c.replaced} replaced by newer frames, ${
        c.dropped
      } dropped; capture → presented ${l ? `p50 ${ms(l.p50)} ms, p95 ${ms(l.p95)} ms` : '-'}`
    );
    io.out('');
  }
  io.out('Client (rtspSrc → OCR) stats:');
  io.out(formatStats(stats));
  io.out('');
  io.out('Per-element processing time (every packet of the OCR stages; the table above samples 1 in 256):');
  io.out(elementLatency(stats, timings));
  io.out('');
  io.out('Server (videoTestSrc → h264Enc → rtspServerSink) stats:');
  io.out(formatStats(server.stats()));
  return code;
}
