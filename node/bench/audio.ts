/**
 * `g2g bench audio`: AAC and Opus decode and encode speed, our elements beside ffmpeg with the same
 * libavcodec codec (aac; opus to decode, libopus to encode) in one run. Inputs are made by ffmpeg (pink noise, 48 kHz stereo: a signal that spends the bitrate) and
 * read into memory first on our side; ffmpeg is timed by its own -benchmark (no start-up or probing).
 * Both sides convert the same way: decode to interleaved F32LE (ffmpeg -f f32le), encode from F32LE at
 * the same bitrate. Runs are interleaved and repeated (--runs), after one untimed run of ours (JIT warm-up);
 * the ratio g2g/ffmpeg is within each run.
 *
 *   g2g bench audio [--runs N] [--seconds N] [--json]
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Caps, pipe, type Source } from '../../src';
import { fakeSink } from '../../operators/fake-sink';
import { fromAsyncIterable } from '../../src/interop/async-iterable';
import { cpuMemory, type CpuMemory } from '../../src/memory/memory';
import { EMPTY_META, PacketFlags, type Packet } from '../../src/packet';
import { ticksToNs } from '../../src/time';
import { splitAdts } from '../../src/codecs/aac/adts';
import { toHex } from '../../src/codecs/h264';
import { oggPackets } from '../../src/codecs/opus/ogg';
import { aacDec } from '../elements/aac-dec';
import { aacEnc } from '../elements/aac-enc';
import { opusDec } from '../elements/opus-dec';
import { opusEnc } from '../elements/opus-enc';
import { loadNative } from '../native/loader';
import { processIo, type CliIo } from '../cli/io';
import { benchArgs, cpuModel, median, runBenchCommand, table, timeWallCpu, UsageError } from './harness';

const run = promisify(execFile);
const RATE = 48000;
const CHANNELS = 2;
const BITRATE = 128000;

export const AUDIO_USAGE = `usage: g2g bench audio [--runs N] [--seconds N] [--json]
  AAC and Opus decode (→ F32LE) and encode (F32LE → ${BITRATE / 1000} kbit/s) of ${RATE} Hz stereo pink noise:
  aacDec/aacEnc/opusDec/opusEnc in a pipeline beside ffmpeg -benchmark with the same codec, interleaved runs.`;

interface Options {
  runs: number;
  seconds: number;
  json: boolean;
  help: boolean;
}

function parse(args: readonly string[]): Options {
  const o: Options = { runs: 5, seconds: 60, json: false, help: false };
  for (const a of benchArgs(args)) {
    if (a.name === '--json') o.json = true;
    else if (a.name === '-h' || a.name === '--help') o.help = true;
    else if (a.name === '--runs') o.runs = a.count(1);
    else if (a.name === '--seconds') o.seconds = a.count(1);
    else throw new UsageError(`unknown option '${a.arg}'`);
  }
  return o;
}

interface Side {
  /** Wall time, ns. */
  wall: number;
  /** CPU time of the process (every thread), ns; NaN where not measured. */
  cpu: number;
}

interface Row {
  readonly task: string;
  readonly g2g: Side[];
  readonly ffmpeg: Side[];
}

export interface AudioBenchReport {
  readonly ffmpeg: string;
  readonly cpu: string;
  readonly seconds: number;
  readonly runs: number;
  readonly rows: readonly Row[];
}

async function fixtures(seconds: number): Promise<{ adts: string; opus: string; pcm: string }> {
  const dir = join(tmpdir(), 'g2g-bench');
  mkdirSync(dir, { recursive: true });
  const src = ['-f', 'lavfi', '-i', `anoisesrc=d=${seconds}:c=pink:a=0.3:r=${RATE}`, '-ac', String(CHANNELS)];
  const adts = join(dir, `audio-${seconds}s.aac`);
  const pcm = join(dir, `audio-${seconds}s.f32`);
  if (!existsSync(adts)) await run('ffmpeg', ['-v', 'error', '-y', ...src, '-c:a', 'aac', '-b:a', String(BITRATE), '-f', 'adts', adts]);
  const opus = join(dir, `audio-${seconds}s.opus`);
  if (!existsSync(opus)) await run('ffmpeg', ['-v', 'error', '-y', ...src, '-c:a', 'libopus', '-b:a', String(BITRATE), '-f', 'ogg', opus]);
  if (!existsSync(pcm)) await run('ffmpeg', ['-v', 'error', '-y', ...src, '-f', 'f32le', pcm]);
  return { adts, opus, pcm };
}

function source(caps: Caps, datas: readonly Uint8Array[], samplesPer: number): Source<Packet<CpuMemory>> {
  return fromAsyncIterable<Packet<CpuMemory>>(
    datas.map((d, i) => ({
      caps,
      pts: ticksToNs(i * samplesPer, RATE),
      dts: ticksToNs(i * samplesPer, RATE),
      duration: ticksToNs(samplesPer, RATE),
      flags: i === 0 ? PacketFlags.DISCONT : 0,
      memory: cpuMemory(d),
      meta: EMPTY_META,
    })),
    { caps }
  );
}

/** ffmpeg's own -benchmark line: utime, stime, rtime. */
async function ffmpegBench(args: string[]): Promise<Side> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostats', '-benchmark', '-threads', '1', ...args], { maxBuffer: 1 << 24 });
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(stderr);
  if (!m) throw new Error(`no -benchmark line from ffmpeg: ${stderr.slice(-300)}`);
  return { wall: Number(m[3]) * 1e9, cpu: (Number(m[1]) + Number(m[2])) * 1e9 };
}

async function benchAudioRun(o: Options, progress: (m: string) => void): Promise<AudioBenchReport> {
  const addon = loadNative();
  const { adts, opus, pcm } = await fixtures(o.seconds);
  const ogg = oggPackets(new Uint8Array(readFileSync(opus)));
  if (!ogg || ogg.length < 3) throw new Error(`${opus}: no Opus packets`);
  const [opusHead, , ...opusPackets] = ogg;
  const opusCaps = Caps.parse(`audio/x-opus, channel-mapping-family=(int)0, rate=(int)${RATE}, channels=(int)${CHANNELS}, codec_data=(string)${toHex(opusHead)}`);
  const frames = splitAdts(new Uint8Array(readFileSync(adts)));
  const adtsCaps = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string)adts');
  const raw = new Uint8Array(readFileSync(pcm));
  const block = 1024 * CHANNELS * 4;
  const blocks: Uint8Array[] = [];
  for (let at = 0; at + block <= raw.length; at += block) blocks.push(raw.subarray(at, at + block));
  const pcmCaps = Caps.parse(`audio/x-raw, format=(string)F32LE, layout=(string)interleaved, rate=(int)${RATE}, channels=(int)${CHANNELS}`);
  const dec: Row = { task: 'AAC decode', g2g: [], ffmpeg: [] };
  const enc: Row = { task: 'AAC encode', g2g: [], ffmpeg: [] };
  const odec: Row = { task: 'Opus decode', g2g: [], ffmpeg: [] };
  const oenc: Row = { task: 'Opus encode', g2g: [], ffmpeg: [] };
  // One untimed run of each of ours first: JIT warm-up, the addon's first codec open.
  progress('warm-up');
  await pipe(source(adtsCaps, frames, 1024), aacDec({ format: 'F32LE' }), fakeSink()).run();
  await pipe(source(pcmCaps, blocks.slice(0, 200), 1024), aacEnc({ bitrate: BITRATE }), fakeSink()).run();
  await pipe(source(opusCaps, opusPackets, 960), opusDec({ format: 'F32LE' }), fakeSink()).run();
  for (let i = 0; i < o.runs; i++) {
    progress(`run ${i + 1}/${o.runs}: decode`);
    let decoded = 0;
    dec.g2g.push(
      await timeWallCpu(() =>
        pipe(source(adtsCaps, frames, 1024), aacDec({ format: 'F32LE' }), fakeSink({ onPacket: (p) => void (decoded += p.memory.data.byteLength) })).run()
      )
    );
    if (decoded === 0) throw new Error('aacDec decoded nothing');
    dec.ffmpeg.push(await ffmpegBench(['-c:a', 'aac', '-i', adts, '-f', 'f32le', '-y', '/dev/null']));
    progress(`run ${i + 1}/${o.runs}: encode`);
    enc.g2g.push(await timeWallCpu(() => pipe(source(pcmCaps, blocks, 1024), aacEnc({ bitrate: BITRATE, streamFormat: 'adts' }), fakeSink()).run()));
    enc.ffmpeg.push(
      await ffmpegBench(['-f', 'f32le', '-ar', String(RATE), '-ac', String(CHANNELS), '-i', pcm, '-c:a', 'aac', '-b:a', String(BITRATE), '-f', 'adts', '-y', '/dev/null'])
    );
    progress(`run ${i + 1}/${o.runs}: opus`);
    odec.g2g.push(await timeWallCpu(() => pipe(source(opusCaps, opusPackets, 960), opusDec({ format: 'F32LE' }), fakeSink()).run()));
    odec.ffmpeg.push(await ffmpegBench(['-c:a', 'opus', '-i', opus, '-f', 'f32le', '-y', '/dev/null']));
    oenc.g2g.push(await timeWallCpu(() => pipe(source(pcmCaps, blocks, 1024), opusEnc({ bitrate: BITRATE }), fakeSink()).run()));
    oenc.ffmpeg.push(
      await ffmpegBench(['-f', 'f32le', '-ar', String(RATE), '-ac', String(CHANNELS), '-i', pcm, '-c:a', 'libopus', '-b:a', String(BITRATE), '-f', 'ogg', '-y', '/dev/null'])
    );
  }
  return { ffmpeg: addon.ffmpegVersion(), cpu: cpuModel(), seconds: o.seconds, runs: o.runs, rows: [dec, enc, odec, oenc] };
}

export function formatAudioReport(r: AudioBenchReport): string {
  const rt = (s: Side) => (r.seconds * 1e9) / s.wall;
  const rows = [['', 'g2g × realtime', 'ffmpeg × realtime', 'g2g/ffmpeg speed', 'cpu g2g/ffmpeg']];
  for (const row of r.rows) {
    const ratios = row.g2g.map((g, i) => row.ffmpeg[i].wall / g.wall);
    const cpu = row.g2g.map((g, i) => g.cpu / row.ffmpeg[i].cpu);
    const span = (xs: number[], d: number) => `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
    rows.push([row.task, span(row.g2g.map(rt), 0), span(row.ffmpeg.map(rt), 0), span(ratios, 2), median(cpu).toFixed(2)]);
  }
  return [
    `g2g bench audio: ${r.seconds} s of ${RATE} Hz stereo pink noise at ${BITRATE / 1000} kbit/s (AAC-LC: aac; Opus: decode opus, encode libopus); ffmpeg ${r.ffmpeg} (-threads 1, -benchmark); ${r.cpu}; ${r.runs} interleaved runs`,
    'median (min–max); speed ratio > 1: g2g faster; cpu: process CPU time per run, g2g (every thread) over ffmpeg (utime+stime)',
    ...table(rows),
  ].join('\n');
}

/** `g2g bench audio`; returns the exit code. */
export function benchAudio(args: string[], io: CliIo = processIo): Promise<number> {
  return runBenchCommand({ name: 'g2g bench audio', usage: AUDIO_USAGE, parse, run: benchAudioRun, text: formatAudioReport }, args, io);
}
