/**
 * g2g remux on inputs that broke it (issue 15): Ctrl-C (delivered through the CLI's onInterrupt hook once a
 * known number of bytes has been read) must finalise a valid output of whole frames; CMAF's negative
 * composition offsets; damage confined to the audio track. Outputs are checked with ffprobe and ffmpeg.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../node/cli/io';
import { remux } from '../../node/cli/remux';
import { nodeFileOpener } from '../../node/drivers/fs';
import type { FileOpener } from '../../src/io/opener';
import { encodeH264, ffprobePackets, mp4ToAnnexB, readBytes, type ProbePacket } from '../fixtures/h264';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe');

const run = promisify(execFile);
let dir: string;
/** 640x360, 2 B-frames, 600 frames: about 4.5 MB, so that a stop after 2 MiB lands mid-file. */
let truth: string;
let annexB: string;
let total: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'g2g-remux-stop-'));
  truth = await encodeH264({
    profile: 'high',
    bframes: 2,
    gop: 30,
    width: 640,
    height: 360,
    frames: 600,
    preset: 'ultrafast',
    container: 'mp4',
  });
  annexB = await mp4ToAnnexB(truth);
  total = (await ffprobePackets(truth)).length;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ffmpeg = (...args: string[]) => run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);

/** ffprobe's and ffmpeg's strictest checks: both print nothing (a cut frame fails the decode). */
async function expectValid(path: string): Promise<void> {
  const probe = await run('ffprobe', ['-v', 'error', path]);
  expect(probe.stderr).toBe('');
  const decode = await run('ffmpeg', ['-nostdin', '-v', 'error', '-xerror', '-err_detect', 'explode', '-i', path, '-f', 'null', '-']);
  expect(decode.stderr).toBe('');
}

/** Each decoded picture as 'pts md5' (ffmpeg framemd5, in the stream's frame-rate time base). */
async function frames(path: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-f', 'framemd5', '-'], { maxBuffer: 1 << 26 });
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const f = l.split(',').map((x) => x.trim());
      return `${f[2]} ${f[5]}`;
    });
}

/** `g2g remux` in-process; with `interruptAfter`, Ctrl-C comes once that many bytes of IN have been read. */
async function g2gRemux(args: string[], interruptAfter?: number) {
  let handler: (() => void) | undefined;
  let read = 0;
  const opener: FileOpener = {
    openWrite: (location, options, signal) => nodeFileOpener.openWrite(location, options, signal),
    async openRead(location, signal) {
      const src = await nodeFileOpener.openRead(location, signal);
      return {
        size: src.size,
        close: (reason) => src.close(reason),
        async read(max, sig) {
          const chunk = await src.read(max, sig);
          read += chunk?.byteLength ?? 0;
          if (interruptAfter !== undefined && read >= interruptAfter && handler) {
            const h = handler;
            handler = undefined;
            h();
          }
          return chunk;
        },
      };
    },
  };
  const io = bufferIo();
  const code = await remux(args, io, {
    progress: undefined,
    onInterrupt: (h) => ((handler = h), () => undefined),
    opener,
  });
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

const STOPPED = /: (\d+) frames, .* \(stopped early by Ctrl-C\)$/;

describe('Ctrl-C during g2g remux finalises the output up to the last whole frame', () => {
  it.each([
    ['fragmented', []],
    ['progressive', ['--progressive']],
  ])('.h264 → .mp4 (%s): valid, every frame whole and as encoded, none cut short', async (label, flags) => {
    const out = join(dir, `h264-${label}.mp4`);
    const r = await g2gRemux([annexB, out, ...flags], 2 << 20);
    expect(r.err).toBe('Interrupt: finishing the output (Ctrl-C again to abort) …');
    expect(r.code).toBe(0);
    const n = Number(STOPPED.exec(r.out)?.[1]);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(total);
    await expectValid(out);
    expect(await ffprobePackets(out)).toHaveLength(n);
    // A cut frame decodes (concealed) to other pictures: every picture must be one the encoder made, at its time.
    const want = new Set(await frames(truth));
    const got = await frames(out);
    expect(got).toHaveLength(n);
    expect(got.filter((f) => !want.has(f))).toEqual([]);
  });

  it.each([
    ['faststart', ['-movflags', '+faststart']],
    ['fragmented', ['-movflags', 'frag_keyframe+empty_moov+default_base_moof']],
  ])('.mp4 (%s) → .mp4: not "truncated": valid, the first samples of the input exactly', async (label, movflags) => {
    const input = join(dir, `in-${label}.mp4`);
    await ffmpeg('-i', truth, '-c', 'copy', ...movflags, input);
    const out = join(dir, `mp4-${label}.mp4`);
    const r = await g2gRemux([input, out], 2 << 20);
    expect(r.err).toBe('Interrupt: finishing the output (Ctrl-C again to abort) …');
    expect(r.code).toBe(0);
    const n = Number(STOPPED.exec(r.out)?.[1]);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(total);
    await expectValid(out);
    // The same samples; times from the first pts, which an MP4 without an edit list (ffmpeg's empty_moov)
    // does not put at 0 and our output does. In µs: the two files' timescales round ns apart by 1.
    const us = (ns: number) => Math.round(ns / 1e3);
    const fromFirst = (ps: ProbePacket[]) =>
      ps.map((p) => ({
        ...p,
        pts: us(p.pts! - ps[0].pts!),
        dts: us(p.dts! - ps[0].pts!),
        duration: us(p.duration!),
      }));
    expect(fromFirst(await ffprobePackets(out))).toEqual(fromFirst((await ffprobePackets(input)).slice(0, n)));
  });

  it('.mp4 → .h264: valid, whole frames only', async () => {
    const input = join(dir, 'in-faststart-h264.mp4');
    await ffmpeg('-i', truth, '-c', 'copy', '-movflags', '+faststart', input);
    const out = join(dir, 'back.h264');
    const r = await g2gRemux([input, out], 2 << 20);
    expect(r.code).toBe(0);
    const n = Number(STOPPED.exec(r.out)?.[1]);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(total);
    await expectValid(out);
    // A raw stream has no times of its own: compare the pictures.
    const want = new Set((await frames(truth)).map((f) => f.split(' ')[1]));
    const got = (await frames(out)).map((f) => f.split(' ')[1]);
    expect(got).toHaveLength(n);
    expect(got.filter((f) => !want.has(f))).toEqual([]);
  });

  it('a moov-at-end file stopped before its moov: nothing to write, said so, no file left', async () => {
    const out = join(dir, 'none.mp4');
    const r = await g2gRemux([truth, out], 2 << 20);
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/g2g remux: stopped by Ctrl-C before the first frame: nothing written$/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('g2g remux of CMAF (trun version 1, negative composition offsets)', () => {
  it.each([
    ['fragmented', []],
    ['progressive', ['--progressive']],
  ])('ffmpeg -movflags cmaf with B-frames → %s: the timestamps of ffmpeg -c copy, the same pictures', async (label, flags) => {
    const src = await encodeH264({
      profile: 'high',
      bframes: 2,
      gop: 15,
      frames: 45,
      container: 'mp4',
    });
    const cmaf = join(dir, `cmaf-${label}.mp4`);
    await ffmpeg('-i', src, '-c', 'copy', '-movflags', 'cmaf', cmaf);
    const out = join(dir, `from-cmaf-${label}.mp4`);
    const r = await g2gRemux([cmaf, out, ...flags]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    await expectValid(out);
    // ffmpeg's own stream copy of the same file: pts, dts, sizes and keyframes.
    const ref = join(dir, `cmaf-ref-${label}.mp4`);
    await ffmpeg('-i', cmaf, '-c', 'copy', ref);
    expect(await ffprobePackets(out)).toEqual(await ffprobePackets(ref));
    // Presentation: the source's frame times (ffprobe reads CMAF's from one frame in, as qtdemux does), from 0.
    const times = async (path: string) => {
      const { stdout } = await run('ffprobe', [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'frame=best_effort_timestamp_time',
        '-of',
        'csv=p=0',
        path,
      ]);
      const t = stdout.trim().split('\n').map(Number);
      return t.map((x) => Math.round((x - t[0]) * 1e6));
    };
    expect(await times(out)).toEqual(await times(cmaf));
    expect((await frames(out)).map((f) => f.split(' ')[1])).toEqual((await frames(cmaf)).map((f) => f.split(' ')[1]));
  });
});

describe('g2g remux of a file whose audio track is damaged', () => {
  it('remuxes the video, warns once about the audio track, exit 0', async () => {
    const av = join(dir, 'av.mp4');
    await ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-frames:v', '60', '-t', '2'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-bf', '2', '-c:a', 'aac', '-movflags', '+faststart', av]
    );
    const bytes = readBytes(av).slice();
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // The audio sample description: its stsd's entry count (8 bytes in) made impossible.
    const stsd = buf.lastIndexOf('stsd', buf.indexOf('mp4a')) - 4;
    buf.writeUInt32BE(0x7fffffff, stsd + 12);
    const broken = join(dir, 'av-broken.mp4');
    writeFileSync(broken, buf);
    const out = join(dir, 'av-video.mp4');
    const r = await g2gRemux([broken, out]);
    expect(r.code).toBe(0);
    expect(r.err.split('\n').filter((l) => l.startsWith('WARNING') || l.startsWith('ERROR'))).toEqual([
      expect.stringMatching(
        /^WARNING mp4Demux0: track 2 'soun': damaged 'stsd' box makes the track unreadable; track skipped: stsd: 2147483647 entries do not fit in \d+ bytes \(at byte \d+\)$/
      ),
    ]);
    expect(r.out).toMatch(/: 60 frames, /);
    await expectValid(out);
    const intact = join(dir, 'av-intact.mp4');
    expect((await g2gRemux([av, intact])).code).toBe(0);
    expect(await ffprobePackets(out)).toEqual(await ffprobePackets(intact));
  });
});
