import { spawn, spawnSync } from 'node:child_process';
import { audioTestSrc, capsFilter } from '../../operators';
import { pipe } from '../../src/pipeline';
import { processIo, type CliIo } from '../cli/io';
import { pulseSink } from '../elements/pulse-sink';
import { findOnPath } from './gstreamer';
import { benchArgs, cpuModel, percentile, runBenchCommand, table, UsageError, type Progress } from './harness';
import { startPulse, stopPulse, type PulseDaemon } from './pulse-daemon';

/**
 * `g2g bench audio` (its output-latency part): glass2glass's pulseSink beside GStreamer's pulsesink on one
 * private PulseAudio daemon with a null sink, the same tone (audiotestsrc 440 Hz, 48 kHz stereo S16LE, 960
 * frames a buffer, synced to the pipeline clock) and the same latency-time/buffer-time. Both are read the same
 * way, from the server: `pactl list sink-inputs` every 100 ms once the stream plays, its "Buffer Latency" (what
 * the stream holds) plus "Sink Latency" (what the sink holds), i.e. how long a sample written now takes to
 * reach the null sink's output (its monitor). Ours is also read from inside (pa_simple_get_latency, the
 * sink's counters), which should agree with the server's.
 */

const RATE = 48000;
const LATENCY_TIME_US = 10_000;

export const AUDIO_OUTPUT_USAGE = `Usage: g2g bench audio [--seconds N] [--json]

Output latency of pulseSink beside GStreamer's pulsesink on a private PulseAudio daemon (null sink), started
by the bench: a 440 Hz tone for N seconds (default 3) each, latency-time=${LATENCY_TIME_US / 1000} ms and buffer-time 50 and 200 ms,
read from the server (pactl: stream buffer + sink latency). Needs pulseaudio, pactl; GStreamer's side needs
gst-launch-1.0 with pulsesink (gstreamer1.0-pulseaudio).`;

interface Options {
  seconds: number;
  json: boolean;
  help: boolean;
}

function parse(args: readonly string[]): Options {
  const o: Options = { seconds: 3, json: false, help: false };
  for (const a of benchArgs(args)) {
    if (a.name === '--json') o.json = true;
    else if (a.name === '-h' || a.name === '--help') o.help = true;
    else if (a.name === '--seconds') o.seconds = a.count(2);
    else throw new UsageError(`unknown option ${a.name}`);
  }
  return o;
}

interface Side {
  sink: string;
  bufferTimeMs: number;
  /** Server's view, ms: stream buffer + sink latency, p50 and p95 over the readings. */
  serverP50: number;
  serverP95: number;
  readings: number;
  /** Ours only: pa_simple_get_latency p50 (ms). */
  ownP50?: number;
  error?: string;
}

interface AudioOutputReport {
  machine: string;
  seconds: number;
  sides: Side[];
}

/** Every sink input's buffer + sink latency (µs) as pactl prints them. */
function sinkInputLatencies(d: PulseDaemon): number[] {
  const r = spawnSync('pactl', ['list', 'sink-inputs'], { env: d.env, encoding: 'utf8', timeout: 2000 });
  const out: number[] = [];
  let buffer: number | undefined;
  for (const line of (r.stdout ?? '').split('\n')) {
    const b = /Buffer Latency: (\d+) usec/.exec(line);
    if (b) buffer = Number(b[1]);
    const s = /Sink Latency: (\d+) usec/.exec(line);
    if (s && buffer !== undefined) {
      out.push(buffer + Number(s[1]));
      buffer = undefined;
    }
  }
  return out;
}

/** Reads the server's latency for the playing stream every 100 ms until `done` settles (skipping the first 0.5 s). */
async function sample(d: PulseDaemon, done: Promise<unknown>): Promise<number[]> {
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true)
  );
  const t0 = Date.now();
  const got: number[] = [];
  while (!finished) {
    await new Promise((r) => setTimeout(r, 100));
    if (Date.now() - t0 < 500) continue;
    got.push(...sinkInputLatencies(d));
  }
  return got;
}

function side(sink: string, bufferTimeMs: number, us: number[], extra: Partial<Side> = {}): Side {
  return {
    sink,
    bufferTimeMs,
    serverP50: us.length ? percentile(us, 50) / 1000 : NaN,
    serverP95: us.length ? percentile(us, 95) / 1000 : NaN,
    readings: us.length,
    ...extra,
  };
}

async function run(o: Options, progress: Progress): Promise<AudioOutputReport> {
  if (!findOnPath('pulseaudio') || !findOnPath('pactl')) throw new Error('needs pulseaudio and pactl (apt-get install pulseaudio pulseaudio-utils)');
  const d = await startPulse();
  const buffers = Math.round((o.seconds * RATE) / 960);
  const sides: Side[] = [];
  try {
    for (const bufferTimeMs of [50, 200]) {
      progress(`pulseSink buffer-time=${bufferTimeMs} ms`);
      const sink = pulseSink({ server: d.server, device: d.sink, latencyTime: LATENCY_TIME_US * 1000, bufferTime: bufferTimeMs * 1e6 });
      const running = pipe(
        audioTestSrc({ samplesperbuffer: 960, numBuffers: buffers }),
        capsFilter(`audio/x-raw,format=S16LE,rate=${RATE},channels=2`),
        sink
      ).run();
      const us = await sample(d, running);
      let error: string | undefined;
      await running.catch((e: unknown) => void (error = e instanceof Error ? e.message : String(e)));
      const own = sink.counters.latencyStats();
      sides.push(side('g2g pulseSink', bufferTimeMs, us, { ...(own ? { ownP50: own.p50 / 1e6 } : {}), ...(error ? { error } : {}) }));

      progress(`GStreamer pulsesink buffer-time=${bufferTimeMs} ms`);
      if (!findOnPath('gst-launch-1.0')) {
        sides.push(side('GStreamer pulsesink', bufferTimeMs, [], { error: 'gst-launch-1.0 not found' }));
        continue;
      }
      const line = `audiotestsrc freq=440 num-buffers=${buffers} samplesperbuffer=960 ! audio/x-raw,format=S16LE,rate=${RATE},channels=2 ! pulsesink device=${
        d.sink
      } latency-time=${LATENCY_TIME_US} buffer-time=${bufferTimeMs * 1000}`;
      const gst = spawn('gst-launch-1.0', ['-q', ...line.split(' ')], { env: d.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      gst.stderr!.on('data', (b: Buffer) => void (stderr += b.toString()));
      const exited = new Promise<number | null>((r) => gst.once('exit', (c) => r(c)));
      const gus = await sample(d, exited);
      const code = await exited;
      sides.push(side('GStreamer pulsesink', bufferTimeMs, gus, code === 0 ? {} : { error: `gst-launch exited ${code}: ${stderr.trim().split('\n').pop()}` }));
    }
  } finally {
    await stopPulse(d);
  }
  return { machine: cpuModel(), seconds: o.seconds, sides };
}

function text(r: AudioOutputReport): string {
  const f = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));
  const rows = [['sink', 'buffer-time ms', 'server p50 ms', 'p95 ms', 'readings', 'own p50 ms']];
  for (const s of r.sides) rows.push([s.sink, String(s.bufferTimeMs), f(s.serverP50), f(s.serverP95), String(s.readings), f(s.ownP50)]);
  const errors = r.sides.filter((s) => s.error).map((s) => `${s.sink} buffer-time=${s.bufferTimeMs}: ${s.error}`);
  const at = (sink: string, b: number) => r.sides.find((s) => s.sink === sink && s.bufferTimeMs === b)?.serverP50 ?? NaN;
  return [
    `g2g bench audio: output latency, 440 Hz tone 48 kHz stereo S16LE synced to the pipeline clock → PulseAudio null sink, ${r.seconds} s each, latency-time ${
      LATENCY_TIME_US / 1000
    } ms`,
    `server's view (pactl: stream buffer + sink latency); own: pulseSink's pa_simple_get_latency; ${r.machine}`,
    '',
    ...table(rows, 1),
    ...(errors.length ? ['', ...errors] : []),
    '',
    `output latency p50 at buffer-time 200 ms: g2g ${f(at('g2g pulseSink', 200))} ms, GStreamer ${f(at('GStreamer pulsesink', 200))} ms; at 50 ms: g2g ${f(
      at('g2g pulseSink', 50)
    )} ms, GStreamer ${f(at('GStreamer pulsesink', 50))} ms`,
  ].join('\n');
}

/** `g2g bench audio`. Returns the exit code. */
export async function benchAudioOutput(args: string[], io: CliIo = processIo): Promise<number> {
  return runBenchCommand({ name: 'g2g bench audio', usage: AUDIO_OUTPUT_USAGE, parse, run, text }, args, io);
}
