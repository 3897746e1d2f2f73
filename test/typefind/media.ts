/**
 * Real media files made by ffmpeg for the typefinding tests: every format the typefinder names, made by
 * the muxers people's files come from, cached on disk under names derived from the ffmpeg arguments (so
 * parallel workers and later runs share them), plus ffprobe's view of each as the reference.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const dir = join(tmpdir(), `glass2glass-typefind-fixtures-${process.getuid?.() ?? 0}`);
const pending = new Map<string, Promise<string>>();

const VIDEO = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30'];
const AUDIO = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
const X264 = ['-c:v', 'libx264', '-preset', 'veryfast'];

/** Whether this ffmpeg has an encoder (libx265 is optional in builds). */
export function hasEncoder(name: string): boolean {
  try {
    return execFileSync('ffmpeg', ['-hide_banner', '-encoders'], {
      encoding: 'utf8',
    }).includes(` ${name} `);
  } catch {
    return false;
  }
}

/** Runs ffmpeg once per argument list; resolves to the output's path (extension `ext`). */
export function ffmpegFile(ext: string, args: readonly string[]): Promise<string> {
  const name = `${createHash('sha1').update(JSON.stringify(args)).digest('hex').slice(0, 16)}.${ext}`;
  let p = pending.get(name);
  if (!p) {
    p = (async () => {
      mkdirSync(dir, { recursive: true });
      const path = join(dir, name);
      if (existsSync(path)) return path;
      const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args, tmp], { maxBuffer: 1 << 24 });
      renameSync(tmp, path); // atomic: a parallel worker sees the whole file or none
      return path;
    })();
    pending.set(name, p);
  }
  return p;
}

/** The formats of the tests, by the ffmpeg muxer that writes each; frames: 10 (audio: 0.5 s). */
export const MEDIA = {
  mp4: () => ffmpegFile('mp4', [...VIDEO, '-frames:v', '10', ...X264, '-f', 'mp4']),
  mp4WithAudio: () => ffmpegFile('mp4', [...VIDEO, ...AUDIO, '-frames:v', '10', '-t', '0.5', ...X264, '-c:a', 'aac', '-b:a', '96k', '-f', 'mp4']),
  fragmentedMp4: () => ffmpegFile('mp4', [...VIDEO, '-frames:v', '10', ...X264, '-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4']),
  faststartMp4: () => ffmpegFile('mp4', [...VIDEO, '-frames:v', '10', ...X264, '-movflags', '+faststart', '-f', 'mp4']),
  mov: () => ffmpegFile('mov', [...VIDEO, '-frames:v', '10', ...X264, '-f', 'mov']),
  /** Interlaced (x264 PAFF/MBAFF, top field first): the mov muxer writes a fiel box. */
  interlacedMov: () => ffmpegFile('mov', [...VIDEO, '-frames:v', '10', ...X264, '-flags', '+ildct+ilme', '-top', '1', '-f', 'mov']),
  interlacedH264: () => ffmpegFile('h264', [...VIDEO, '-frames:v', '10', ...X264, '-flags', '+ildct+ilme', '-top', '1', '-f', 'h264']),
  /** Anamorphic: SAR 4:3 (a pasp box, and the SPS's VUI). */
  anamorphicMp4: () => ffmpegFile('mp4', [...VIDEO, '-frames:v', '10', ...X264, '-vf', 'setsar=4/3', '-f', 'mp4']),
  h264: () => ffmpegFile('h264', [...VIDEO, '-frames:v', '10', ...X264, '-f', 'h264']),
  h264Aud: () => ffmpegFile('h264', [...VIDEO, '-frames:v', '10', ...X264, '-x264-params', 'aud=1', '-f', 'h264']),
  h264TenBit: () => ffmpegFile('h264', [...VIDEO, '-frames:v', '10', ...X264, '-pix_fmt', 'yuv420p10le', '-profile:v', 'high10', '-f', 'h264']),
  h264Yuv444: () => ffmpegFile('h264', [...VIDEO, '-frames:v', '10', ...X264, '-pix_fmt', 'yuv444p', '-f', 'h264']),
  h264Yuv422: () => ffmpegFile('h264', [...VIDEO, '-frames:v', '10', ...X264, '-pix_fmt', 'yuv422p', '-f', 'h264']),
  h264Gray: () => ffmpegFile('h264', [...VIDEO, '-frames:v', '10', ...X264, '-pix_fmt', 'gray', '-f', 'h264']),
  /** Lossless 4:2:0 8-bit: x264 signals High 4:4:4 Predictive. */
  h264Lossless: () => ffmpegFile('h264', [...VIDEO, '-frames:v', '10', ...X264, '-qp', '0', '-pix_fmt', 'yuv420p', '-f', 'h264']),
  mp4TenBit: () => ffmpegFile('mp4', [...VIDEO, '-frames:v', '10', ...X264, '-pix_fmt', 'yuv420p10le', '-profile:v', 'high10', '-f', 'mp4']),
  h265: () => ffmpegFile('h265', [...VIDEO, '-frames:v', '10', '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-f', 'hevc']),
  h265Mp4: () =>
    ffmpegFile('mp4', [
      ...VIDEO,
      '-frames:v',
      '10',
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-x265-params',
      'log-level=error',
      '-tag:v',
      'hvc1',
      '-f',
      'mp4',
    ]),
  mpegts: () => ffmpegFile('ts', [...VIDEO, '-frames:v', '10', ...X264, '-f', 'mpegts']),
  /** BDAV/M2TS: a 4-byte timestamp before each 188-byte packet. */
  m2ts: () => ffmpegFile('m2ts', [...VIDEO, '-frames:v', '10', ...X264, '-mpegts_m2ts_mode', '1', '-f', 'mpegts']),
  matroska: () => ffmpegFile('mkv', [...VIDEO, '-frames:v', '10', ...X264, '-f', 'matroska']),
  webm: () => ffmpegFile('webm', [...VIDEO, '-frames:v', '10', '-c:v', 'libvpx', '-deadline', 'realtime', '-f', 'webm']),
  adts: () => ffmpegFile('aac', [...AUDIO, '-t', '0.5', '-c:a', 'aac', '-f', 'adts']),
  adtsId3: () => ffmpegFile('aac', [...AUDIO, '-t', '0.5', '-c:a', 'aac', '-write_id3v2', '1', '-metadata', 'title=typefind', '-f', 'adts']),
  /** MPEG-1 Layer II: the same 12-bit sync as ADTS, but not layer 0. */
  mp2: () => ffmpegFile('mp2', [...AUDIO, '-t', '0.5', '-c:a', 'mp2', '-f', 'mp2']),
  mpegPs: () => ffmpegFile('mpg', [...VIDEO, '-frames:v', '10', '-c:v', 'mpeg2video', '-f', 'vob']),
} as const;

export type MediaName = keyof typeof MEDIA;

export function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** ffprobe's container and stream view of a file. */
export interface FfprobeInfo {
  readonly formatName: string;
  readonly streams: readonly Record<string, string | number | undefined>[];
}

export async function ffprobe(path: string): Promise<FfprobeInfo> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path], { maxBuffer: 1 << 24 });
  const j = JSON.parse(stdout) as {
    format: { format_name: string };
    streams: Record<string, string | number | undefined>[];
  };
  return { formatName: j.format.format_name, streams: j.streams };
}
