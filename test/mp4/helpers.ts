import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Caps } from '../../src/caps';
import { EOS, type Reader } from '../../src/element';
import { cpuMemory, type CpuMemory } from '../../src/memory/memory';
import { defineSink, defineSource, type Sink, type Source } from '../../src/operator';
import { EMPTY_META, type Packet } from '../../src/packet';
import { ticksToNs } from '../../src/time';
import { Mp4Demuxer, type Mp4DemuxEvent } from '../../src/formats/mp4';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'g2g-mp4-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function tool(cmd: string, args: string[], env: Record<string, string> = {}): ToolResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(cmd: string, args: string[]): string {
  const r = tool(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface EncodeOptions {
  size?: string;
  frames?: number;
  rate?: string;
  profile?: 'baseline' | 'high';
  bframes?: number;
  gop?: number;
  preset?: string;
}

/** Encodes testsrc2 with libx264 into a progressive MP4 (moov at the end, ffmpeg's default). */
export function encodeMp4(file: string, o: EncodeOptions = {}): void {
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${o.size ?? '320x240'}:rate=${o.rate ?? '30'}`, '-frames:v', String(o.frames ?? 60)];
  args.push('-c:v', 'libx264', '-preset', o.preset ?? 'veryfast', '-pix_fmt', 'yuv420p', '-profile:v', o.profile ?? 'high', '-bf', String(o.bframes ?? 0), '-g', String(o.gop ?? 30));
  ok('ffmpeg', [...args, file]);
}

export type Layout = 'faststart' | 'moov-at-end' | 'fragmented';

/** Rewraps an MP4 with ffmpeg `-c copy` in one of the layouts. */
export function remux(src: string, dst: string, layout: Layout): void {
  const flags = layout === 'faststart' ? ['-movflags', '+faststart'] : layout === 'fragmented' ? ['-movflags', 'frag_keyframe+empty_moov+default_base_moof'] : [];
  ok('ffmpeg', ['-v', 'error', '-y', '-i', src, '-map', '0:v:0', '-c', 'copy', ...flags, dst]);
}

export interface ProbedPacket {
  pts: number;
  dts: number;
  /** pts and dts in ns, converted exactly as the demuxer converts ticks. */
  ptsNs: number;
  dtsNs: number;
  size: number;
  key: boolean;
}

function timeBase(file: string): number {
  const s = JSON.parse(ok('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=time_base', '-of', 'json', file]));
  const [num, den] = String(s.streams[0].time_base).split('/').map(Number);
  if (num !== 1) throw new Error(`unexpected time base ${num}/${den}`);
  return den;
}

/** ffprobe -show_packets of the first video stream. */
export function probePackets(file: string): ProbedPacket[] {
  const ts = timeBase(file);
  const r = JSON.parse(ok('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,dts,size,flags', '-of', 'json', file]));
  return r.packets.map((p: { pts: number; dts: number; size: string; flags: string }) => ({
    pts: p.pts,
    dts: p.dts,
    ptsNs: ticksToNs(p.pts, ts),
    dtsNs: ticksToNs(p.dts, ts),
    size: Number(p.size),
    key: p.flags.startsWith('K'),
  }));
}

/** Presentation times of the decoded frames, in output order (ffprobe -show_frames best_effort_timestamp), in ns or in ticks. */
export function probeFramePts(file: string, unit: 'ns' | 'ticks' = 'ns'): number[] {
  const ts = timeBase(file);
  const r = JSON.parse(ok('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=best_effort_timestamp', '-of', 'json', file]));
  return r.frames.map((f: { best_effort_timestamp: number }) => (unit === 'ns' ? ticksToNs(f.best_effort_timestamp, ts) : f.best_effort_timestamp));
}

export { timeBase };

/**
 * The three tool checks every file we write must pass: ffprobe with empty stderr (it exits 0 on errors),
 * a strict ffmpeg decode, and GStreamer's qtdemux + avdec_h264 without ERROR lines.
 */
export function expectValidMp4(file: string, options: { h264parse?: boolean } = {}): void {
  // avdec_h264 takes avc or byte-stream: avc3 goes through h264parse (ffmpeg's own avc3 files need it too).
  const parse = options.h264parse ? ['h264parse', '!'] : [];
  const probe = tool('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-show_frames', file]);
  expect(probe.status, probe.stderr).toBe(0);
  expect(probe.stderr).toBe('');
  const dec = tool('ffmpeg', ['-v', 'error', '-xerror', '-err_detect', 'explode', '-i', file, '-map', '0', '-f', 'null', '-']);
  expect(dec.status, dec.stderr).toBe(0);
  expect(dec.stderr).toBe('');
  const gst = tool('gst-launch-1.0', ['-q', 'filesrc', `location=${file}`, '!', 'qtdemux', '!', ...parse, 'avdec_h264', '!', 'fakesink'], { GST_DEBUG: '1' });
  expect(gst.status, gst.stdout + gst.stderr).toBe(0);
  expect(gst.stdout + gst.stderr).not.toMatch(/ERROR/);
  // GStreamer decodes every frame ffprobe sees.
  const frames = tool('gst-launch-1.0', ['-v', 'filesrc', `location=${file}`, '!', 'qtdemux', '!', ...parse, 'avdec_h264', '!', 'fakesink', 'silent=false'], { GST_DEBUG: '1' });
  expect(frames.status).toBe(0);
  const decoded = frames.stdout.split('\n').filter((l) => l.includes('last-message = chain')).length;
  expect(decoded).toBe(probePackets(file).length);
}

/** A source of byte chunks (a stand-in for fileSrc): `chunkSize` bytes a packet, views of `bytes`. */
export function chunkSource(bytes: Uint8Array, chunkSize: number | ((i: number) => number)): Source<Packet<CpuMemory>> {
  const caps = Caps.parse('application/octet-stream');
  return defineSource<Packet<CpuMemory>>({
    factory: 'chunkSource',
    props: {},
    srcCaps: caps,
    open(): Reader<Packet<CpuMemory>> {
      let pos = 0;
      let i = 0;
      return {
        pull() {
          if (pos >= bytes.length) return EOS;
          const n = Math.max(1, typeof chunkSize === 'number' ? chunkSize : chunkSize(i++));
          const data = bytes.subarray(pos, Math.min(bytes.length, pos + n));
          pos += data.length;
          return { caps, pts: undefined, dts: undefined, duration: undefined, flags: 0, memory: cpuMemory(data), meta: EMPTY_META };
        },
      };
    },
  });
}

/** A sink that keeps every packet. */
export function collectSink<T extends Packet>(): { sink: Sink<T>; packets: T[]; bytes(): Uint8Array } {
  const packets: T[] = [];
  const sink = defineSink<T>({
    factory: 'collectSink',
    props: {},
    sinkCaps: Caps.any(),
    open: () => ({ write: (p: T) => void packets.push(p) }),
  });
  const bytes = (): Uint8Array => {
    const parts = packets.map((p) => (p.memory.domain === 'cpu' ? p.memory.data : new Uint8Array(0)));
    const out = new Uint8Array(parts.reduce((n, d) => n + d.length, 0));
    let o = 0;
    for (const d of parts) {
      out.set(d, o);
      o += d.length;
    }
    return out;
  };
  return { sink, packets, bytes };
}

export function readBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(file));
}

export function writeBytes(file: string, bytes: Uint8Array): void {
  writeFileSync(file, bytes);
}

/** Runs the demuxer state machine over `bytes` fed in `chunk`-byte pieces; collects every event. */
export function demuxAll(bytes: Uint8Array, chunk = bytes.length || 1, options = {}): Mp4DemuxEvent[] {
  const d = new Mp4Demuxer(options);
  const events: Mp4DemuxEvent[] = [];
  const drainEvents = (): boolean => {
    for (;;) {
      const e = d.next();
      if (!e) return false;
      events.push(e);
      if (e.kind === 'end') return true;
    }
  };
  for (let pos = 0; pos < bytes.length; pos += chunk) {
    d.push(bytes.subarray(pos, Math.min(bytes.length, pos + chunk)));
    if (drainEvents()) return events;
  }
  d.end();
  drainEvents();
  return events;
}

/** The encoded test inputs: small ones of each kind (see the brief: baseline, high with B-frames, 29.97 fps). */
export const SOURCES = {
  baseline: { size: '320x240', frames: 60, profile: 'baseline', bframes: 0, gop: 30 },
  high: { size: '640x360', frames: 60, profile: 'high', bframes: 2, gop: 30 },
  ntsc: { size: '160x120', frames: 45, rate: '30000/1001', profile: 'high', bframes: 2, gop: 15 },
} as const satisfies Record<string, EncodeOptions>;
export type SourceName = keyof typeof SOURCES;
export const LAYOUTS: readonly Layout[] = ['faststart', 'moov-at-end', 'fragmented'];

/** Encodes every source and wraps it in every layout: files[source][layout]. */
export function makeFixtures(dir: string, names: readonly SourceName[] = Object.keys(SOURCES) as SourceName[]): Record<SourceName, Record<Layout, string>> {
  const files = {} as Record<SourceName, Record<Layout, string>>;
  for (const name of names) {
    const src = join(dir, `${name}.mp4`);
    encodeMp4(src, SOURCES[name]);
    files[name] = {} as Record<Layout, string>;
    for (const layout of LAYOUTS) {
      const f = join(dir, `${name}-${layout}.mp4`);
      remux(src, f, layout);
      files[name][layout] = f;
    }
  }
  return files;
}

/** The samples of a demux run, for comparisons. */
export function samplesOf(events: Mp4DemuxEvent[]): { pts: number; dts: number; duration: number; size: number; key: boolean; offset: number; data: Uint8Array }[] {
  return events.flatMap((e) => (e.kind === 'sample' ? [{ pts: e.sample.pts, dts: e.sample.dts, duration: e.sample.duration, size: e.sample.data.length, key: e.sample.keyframe, offset: e.sample.offset, data: e.sample.data }] : []));
}

/** Byte equality without vitest's element-by-element deep equality (slow on large arrays). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Video + AAC audio, interleaved, in ffmpeg's layouts: the demuxer must pick the video and skip the rest. */
export const AV_LAYOUTS = {
  'moov-at-end': [],
  faststart: ['-movflags', '+faststart'],
  'fragmented default-base-is-moof': ['-movflags', 'frag_keyframe+empty_moov+default_base_moof'],
  'fragmented explicit base offsets': ['-movflags', 'frag_keyframe+empty_moov'],
  'fragmented separate moofs': ['-movflags', 'frag_keyframe+empty_moov+separate_moof'],
  'fragmented 100 ms': ['-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '100000'],
} as const;
export type AvLayout = keyof typeof AV_LAYOUTS;

export function makeAvFixtures(dir: string): Record<AvLayout, string> {
  const src = join(dir, 'av.mp4');
  ok('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-frames:v', '60', '-t', '2']
    .concat(['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-bf', '2', '-g', '30', '-c:a', 'aac', src]));
  const out = {} as Record<AvLayout, string>;
  for (const [name, flags] of Object.entries(AV_LAYOUTS) as [AvLayout, readonly string[]][]) {
    const f = join(dir, `av-${name.replace(/ /g, '-')}.mp4`);
    ok('ffmpeg', ['-v', 'error', '-y', '-i', src, '-c', 'copy', ...flags, f]);
    out[name] = f;
  }
  return out;
}
