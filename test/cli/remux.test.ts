import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../node/cli/dispatch';
import { bufferIo } from '../../node/cli/io';
import { formatEta, formatProgress, ProgressBar } from '../../node/cli/progress';
import { kindOfPath, openGatheringFile, readAhead, remux, type RemuxEnvironment } from '../../node/cli/remux';
import { memorySource, type ByteSource } from '../../src/io/byte-source';
import { buildRows, errorGist, formatRemuxReport, parseRemuxBenchArgs, parseToolVersion, RemuxBenchUsageError, runRemuxBench, type RemuxBenchReport } from '../../node/bench/remux';
import { NalType, parseNalHeader, splitAnnexB } from '../../src/codecs/h264';
import { encodeH264, ffprobePackets, mp4ToAnnexB, readBytes, type EncodeOptions, type ProbePacket } from '../fixtures/h264';
import { ensureBuilt, g2g } from './cli-process';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe', 'gstreamer');

const run = promisify(execFile);
let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'g2g-remux-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** No progress bar, no SIGINT listener: the command as a pipe or a test sees it. */
const quietEnv: RemuxEnvironment = { progress: undefined, onInterrupt: () => () => undefined };

async function remuxOk(args: string[], env = quietEnv) {
  const io = bufferIo();
  const code = await remux(args, io, env);
  expect(io.stderr, io.stderr.join('\n')).toEqual([]);
  expect(code).toBe(0);
  return io;
}

/** ffprobe's and ffmpeg's strictest checks: both must print nothing and succeed. */
async function expectValidMp4(path: string): Promise<void> {
  const probe = await run('ffprobe', ['-v', 'error', path]);
  expect(probe.stderr).toBe('');
  const decode = await run('ffmpeg', ['-nostdin', '-v', 'error', '-xerror', '-err_detect', 'explode', '-i', path, '-f', 'null', '-']);
  expect(decode.stderr).toBe('');
}

/** The decoded pictures' checksums in output order: the same list means the same video. */
async function decodedFrames(path: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-f', 'framemd5', '-'], { maxBuffer: 1 << 26 });
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)!.trim());
}

/** What ffmpeg itself makes of the elementary stream: `ffmpeg -r FPS -i IN -c copy ref.mp4`. */
async function ffmpegRemux(input: string, fps: number | string, out: string): Promise<ProbePacket[]> {
  await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-r', String(fps), '-i', input, '-c', 'copy', out]);
  return ffprobePackets(out);
}

interface Case {
  readonly label: string;
  readonly enc: EncodeOptions;
}

// Encoded to MP4 first, so that the encoder's own timestamps are the truth the remux must restore.
const CASES: Case[] = [
  { label: 'baseline', enc: { profile: 'baseline', frames: 30 } },
  { label: 'main without B-frames', enc: { profile: 'main', frames: 30 } },
  { label: 'main, 3 B-frames', enc: { profile: 'main', bframes: 3, frames: 40 } },
  { label: 'high, 2 B-frames, 3 GOPs', enc: { profile: 'high', bframes: 2, frames: 45, gop: 15 } },
  { label: 'high, 4 slices with AUD', enc: { profile: 'high', bframes: 2, slices: 4, aud: true, frames: 30 } },
  { label: 'high, open GOP', enc: { profile: 'high', bframes: 2, openGop: true, gop: 15, frames: 40 } },
  { label: 'NTSC 30000/1001', enc: { profile: 'high', bframes: 2, fps: '30000/1001', frames: 30 } },
  { label: '4K', enc: { profile: 'high', width: 3840, height: 2160, frames: 4, preset: 'ultrafast' } },
];

describe.concurrent('g2g remux .h264 → .mp4 on real encoder output', () => {
  for (const c of CASES) {
    for (const progressive of [false, true]) {
      it(`${c.label}${progressive ? ' (progressive)' : ''}`, async () => {
        const truth = await encodeH264({ ...c.enc, container: 'mp4' });
        const input = await mp4ToAnnexB(truth);
        const out = join(dir, `${c.label.replace(/\W+/g, '-')}-${progressive}.mp4`);
        const io = await remuxOk([input, out, ...(progressive ? ['--progressive'] : [])]);
        const frames = c.enc.frames!;
        expect(io.stdout).toHaveLength(1);
        expect(io.stdout[0]).toMatch(new RegExp(`→ .*\\(MP4 ${progressive ? 'progressive' : 'fragmented'}\\): ${frames} frames, `));
        await expectValidMp4(out);

        const ours = await ffprobePackets(out);
        expect(ours).toHaveLength(frames);
        // The encoder's timestamps come back exactly (pts from the picture order, dts from the frame rate).
        const enc = await ffprobePackets(truth);
        expect(ours.map((p) => [p.pts, p.dts, p.keyframe])).toEqual(enc.map((p) => [p.pts, p.dts, p.keyframe]));
        // ffmpeg's own stream copy agrees on sizes, keyframes and dts; on pts only without B-frames, as
        // ffmpeg 5.1 copies a raw stream with pts = dts (its pts are wrong where frames are reordered).
        const ref = await ffmpegRemux(input, c.enc.fps ?? 30, `${out}.ref.mp4`);
        expect(ours.map((p) => [p.size, p.keyframe, p.dts])).toEqual(ref.map((p) => [p.size, p.keyframe, p.dts]));
        if (!c.enc.bframes) expect(ours.map((p) => p.pts)).toEqual(ref.map((p) => p.pts));
        expect(await decodedFrames(out)).toEqual(await decodedFrames(input));
      });
    }
  }
});

/** Top-level box types of an MP4 file, in order. */
function topLevelBoxes(path: string): string[] {
  const b = readFileSync(path);
  const types: string[] = [];
  for (let off = 0; off + 8 <= b.length; ) {
    const size = b.readUInt32BE(off);
    types.push(b.toString('latin1', off + 4, off + 8));
    if (size < 8) break;
    off += size;
  }
  return types;
}

describe.concurrent('g2g remux, other directions and options', () => {
  it('.mp4 → .h264 restores a stream that decodes to the same pictures, SPS/PPS before every IDR', async () => {
    const truth = await encodeH264({ profile: 'high', bframes: 2, frames: 45, gop: 15, container: 'mp4' });
    const out = join(dir, 'back.h264');
    const io = await remuxOk([truth, out]);
    expect(io.stdout[0]).toMatch(/\(MP4\) → .*back\.h264 \(H\.264 Annex B\): 45 frames, /);
    const nals = splitAnnexB(readBytes(out)).map((n) => parseNalHeader(n[0]).type);
    const idrs = nals.filter((t) => t === NalType.IDR).length;
    expect(idrs).toBe(3);
    expect(nals.filter((t) => t === NalType.SPS).length).toBe(idrs);
    expect(nals.filter((t) => t === NalType.PPS).length).toBe(idrs);
    expect(await decodedFrames(out)).toEqual(await decodedFrames(truth));
    // And back again: the round trip keeps every sample and time.
    const again = join(dir, 'again.mp4');
    await remuxOk([out, again]);
    expect((await ffprobePackets(again)).map((p) => [p.pts, p.dts, p.keyframe])).toEqual((await ffprobePackets(truth)).map((p) => [p.pts, p.dts, p.keyframe]));
  });

  it('.mp4 → .mp4 turns a fragmented file progressive and back', async () => {
    const src = await mp4ToAnnexB(await encodeH264({ profile: 'main', bframes: 1, frames: 30, gop: 10, container: 'mp4' }));
    const frag = join(dir, 'frag.mp4');
    const prog = join(dir, 'prog.m4v');
    await remuxOk([src, frag]);
    await remuxOk([frag, prog, '--progressive']);
    expect(topLevelBoxes(frag)).toContain('moof');
    expect(topLevelBoxes(prog)).toEqual(['ftyp', 'moov', 'mdat']);
    await expectValidMp4(prog);
    expect(await ffprobePackets(prog)).toEqual(await ffprobePackets(frag));
  });

  it('--fragment-duration sets where fragments are cut (at keyframes)', async () => {
    // 90 frames at 30 fps with a keyframe every 15: six GOPs of 0.5 s.
    const src = await encodeH264({ profile: 'high', frames: 90, gop: 15 });
    const count = async (args: string[]) => {
      const out = join(dir, `fd-${args.join('_')}.mov`);
      await remuxOk([src, out, ...args]);
      await expectValidMp4(out);
      return topLevelBoxes(out).filter((t) => t === 'moof').length;
    };
    expect(await count(['--fragment-duration', '0'])).toBe(6);
    expect(await count(['--fragment-duration=1s'])).toBe(3);
    expect(await count([])).toBe(3);
    expect(await count(['--fragment-duration', '1500ms'])).toBe(2);
  });

  it('--framerate times a stream as ffmpeg -r does', async () => {
    const src = await encodeH264({ profile: 'baseline', frames: 20 });
    const out = join(dir, 'rate.mp4');
    await remuxOk([src, out, '--framerate', '25']);
    const ref = await ffmpegRemux(src, 25, join(dir, 'rate.ref.mp4'));
    expect((await ffprobePackets(out)).map((p) => [p.pts, p.dts])).toEqual(ref.map((p) => [p.pts, p.dts]));
  });

  it('draws a progress bar on a terminal, then erases it before the summary', async () => {
    const src = await encodeH264({ profile: 'high', bframes: 2, frames: 30 });
    const drawn: string[] = [];
    const io = await remuxOk([src, join(dir, 'bar.mp4')], { progress: { write: (t) => void drawn.push(t), columns: 100 }, onInterrupt: () => () => undefined });
    const last = drawn.at(-2)!;
    expect(last).toMatch(/^\r\[█{40}\] +100% {2}0\.0\/0\.0 MB {2}30 frames {2}[\d.]+ MB\/s {2}ETA 0:00\x1b\[K$/);
    expect(drawn.at(-1)).toBe('\r\x1b[K');
    expect(io.stdout).toHaveLength(1);
  });
});

describe.concurrent('g2g remux errors', () => {
  const fail = async (args: string[]) => {
    const io = bufferIo();
    const code = await main(['remux', ...args], io);
    return { code, err: io.stderr.join('\n'), out: io.stdout };
  };

  it('a missing input: exit 1, named', async () => {
    const r = await fail([join(dir, 'missing.h264'), join(dir, 'x.mp4')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^g2g remux: cannot open '.*missing\.h264' for reading: ENOENT: no such file or directory$/);
  });

  it('input that is not H.264, or an MP4 without H.264: exit 1, no output left behind', async () => {
    const text = join(dir, 'text.h264');
    writeFileSync(text, 'this is not video\n'.repeat(100));
    const out = join(dir, 'never.mp4');
    let r = await fail([text, out]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`g2g remux: '${text}' is not an H.264 elementary stream (no Annex B start code at its start)`);

    const mpeg4 = join(dir, 'mpeg4.mp4');
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-frames:v', '5', '-c:v', 'mpeg4', mpeg4]);
    const back = join(dir, 'never.h264');
    r = await fail([mpeg4, back]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^g2g remux: mp4Demux0 failed: no H\.264 video track \(found: track 1 'vide' mp4v\)$/);
    expect(existsSync(back)).toBe(false);
    // It failed before the output was opened: a file already there is not the run's to remove.
    writeFileSync(back, 'keep me');
    expect((await fail([mpeg4, back])).code).toBe(1);
    expect(readFileSync(back, 'utf8')).toBe('keep me');

    // Start codes but no H.264 in them: nothing comes out, and that is an error, not an empty file.
    const junk = join(dir, 'junk.h264');
    writeFileSync(junk, Buffer.concat([Buffer.from([0, 0, 0, 1, 0x09, 0xf0]), Buffer.alloc(1000, 0xff)]));
    r = await fail([junk, out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no H\.264 frames found in '.*junk\.h264'/);
    expect(existsSync(out)).toBe(false);
  });

  it('an output that cannot be written: exit 1, named', async () => {
    const src = await encodeH264({ frames: 5 });
    let r = await fail([src, join(dir, 'no-such-dir', 'x.mp4')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^g2g remux: fileSink0 failed: cannot open '.*no-such-dir\/x\.mp4' for writing: ENOENT: no such file or directory$/);
    mkdirSync(join(dir, 'adir.mp4'), { recursive: true });
    r = await fail([src, join(dir, 'adir.mp4')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^g2g remux: '.*adir\.mp4' is a directory$/);
  });

  it('content that contradicts the extension: exit 1 with the fix', async () => {
    const mp4 = join(dir, 'really-mp4.h264');
    copyFileSync(await encodeH264({ frames: 5, container: 'mp4' }), mp4);
    const r = await fail([mp4, join(dir, 'x.mp4')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`g2g remux: '${mp4}' is an MP4 file, not an H.264 elementary stream as its extension says (rename it to .mp4)`);
  });

  it('unsupported extensions, nothing to do, the same file: exit 1', async () => {
    const src = await encodeH264({ frames: 5 });
    const cases: [string[], RegExp][] = [
      [[src, join(dir, 'x.avi')], /unsupported output extension: '.*x\.avi' \(use \.h264, \.264 or \.h26l .*\.mp4, \.m4v or \.mov/],
      [[join(dir, 'x.mkv'), join(dir, 'x.mp4')], /unsupported input extension: '.*x\.mkv'/],
      [[src, join(dir, 'x.264')], /both H\.264 elementary streams: nothing to remux/],
      [[join(dir, 'a.mp4'), join(dir, '.', 'a.mp4')], /IN and OUT are the same file/],
    ];
    for (const [args, msg] of cases) {
      const r = await fail(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(msg);
    }
  });

  it('usage errors: exit 2 with the usage hint', async () => {
    const src = await encodeH264({ frames: 5 });
    const cases: [string[], RegExp][] = [
      [[], /remux needs IN and OUT, got 0 arguments/],
      [[src], /remux needs IN and OUT, got 1 argument$/m],
      [[src, 'a.mp4', '--fragment-duration', 'soon'], /--fragment-duration: expected a duration/],
      [[src, 'a.mp4', '--progressive', '--fragment-duration', '2s'], /applies to fragmented output/],
      [['a.mp4', 'b.h264', '--progressive'], /apply to MP4 output only/],
      [[src, 'a.mp4', '--framerate', '0'], /--framerate must be N or N\/D/],
      [[src, 'a.mp4', '--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, msg] of cases) {
      const r = await fail(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).toMatch(/'g2g remux --help' shows the usage/);
    }
    const io = bufferIo();
    expect(await main(['remux', '--help'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^Usage: g2g remux \[options\] IN OUT/);
  });
});

describe('remux helpers', () => {
  it('readAhead hands out the same chunks in order, one read in flight, and closes once', async () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const inner = memorySource(bytes);
    let reads = 0;
    let closes = 0;
    const counted: ByteSource = { size: inner.size, read: (m, s) => (reads++, inner.read(m, s)), close: () => void closes++ };
    const ra = readAhead(counted);
    const signal = new AbortController().signal;
    const got: number[] = [];
    const first = await ra.read(300, signal);
    expect(reads).toBe(2); // this one and the next, already under way
    got.push(...first!);
    for (let c = await ra.read(300, signal); c !== null; c = await ra.read(300, signal)) got.push(...c);
    expect(got).toEqual([...bytes]);
    expect(await ra.read(300, signal)).toBeNull();
    await ra.close();
    expect(closes).toBe(1);

    const failing: ByteSource = { read: () => Promise.reject(new Error('disk gone')), close: () => undefined };
    await expect(readAhead(failing).read(10, signal)).rejects.toThrow('disk gone');
  });

  it('openGatheringFile writes every chunk, in order, by the time close resolves', async () => {
    const path = join(dir, 'gathered.bin');
    const t = await openGatheringFile(path);
    const signal = new AbortController().signal;
    const chunks = Array.from({ length: 3000 }, (_, i) => new Uint8Array(1 + (i % 7000)).fill(i & 0xff));
    for (const c of chunks) await t.write(c, signal);
    await t.close();
    // Buffer#equals, not toEqual: vitest's deep equality walks a 10 MB array element by element (a minute).
    const got = readFileSync(path);
    const want = Buffer.concat(chunks);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  });

  it('kindOfPath reads the extension, any case', () => {
    expect(['a.h264', 'b.264', 'c.H26L', 'd.MP4', 'e.m4v', 'dir.mp4/f.mov', 'x.avi', 'noext', 'h264'].map(kindOfPath)).toEqual(['h264', 'h264', 'h264', 'mp4', 'mp4', 'mp4', undefined, undefined, undefined]);
  });

  it('formatProgress fits the terminal, shows a bar only with a known total', () => {
    const s = { bytes: 5_000_000, total: 20_000_000, frames: 150, elapsedMs: 1000 };
    expect(formatProgress(s, 100)).toBe(`[${'█'.repeat(10)}${'░'.repeat(30)}]   25%  5.0/20.0 MB  150 frames  5.0 MB/s  ETA 0:03`);
    for (const cols of [20, 40, 60, 80, 200]) expect(formatProgress(s, cols).length).toBeLessThan(cols);
    expect(formatProgress(s, 70)).toMatch(/^\[█+░+\] {3}25%/);
    expect(formatProgress({ ...s, total: undefined }, 100)).toBe('5.0 MB  150 frames  5.0 MB/s');
    expect(formatProgress({ ...s, bytes: 0, elapsedMs: 0 }, 100)).toMatch(/0%.*ETA --:--$/);
    expect([0, 59.4, 61, 3725, -1, Infinity].map(formatEta)).toEqual(['0:00', '0:59', '1:01', '1:02:05', '--:--', '--:--']);
  });

  it('ProgressBar redraws at most every interval, and erases only what it drew', () => {
    let now = 0;
    const drawn: string[] = [];
    const bar = new ProgressBar({ write: (t) => void drawn.push(t) }, 100, () => now);
    bar.finish();
    expect(drawn).toEqual([]);
    const s = { bytes: 1, total: 10, frames: 1, elapsedMs: 1 };
    bar.update(s);
    now = 50;
    bar.update(s);
    expect(drawn).toHaveLength(1);
    bar.update(s, true);
    now = 200;
    bar.update(s);
    expect(drawn).toHaveLength(3);
    bar.finish();
    expect(drawn.at(-1)).toBe('\r\x1b[K');
  });
});

describe('g2g remux (a real process)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('prints one summary line when stdout is not a terminal, and exits 0', async () => {
    const src = await encodeH264({ profile: 'main', bframes: 2, frames: 30 });
    const out = join(dir, 'process.mp4');
    const r = await g2g(['remux', src, out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\S+ \(H\.264 Annex B\) → \S+process\.mp4 \(MP4 fragmented\): 30 frames, [\d.]+ MB → [\d.]+ MB in [\d.]+ s\n$/);
    expect(await ffprobePackets(out)).toHaveLength(30);
    const bad = await g2g(['remux', src]);
    expect(bad.code).toBe(2);
  });
});

describe('g2g bench remux (parsing and report shape only: no timing is asserted)', () => {
  it('parses its options', () => {
    expect(parseRemuxBenchArgs([])).toEqual({ runs: 7, json: false, help: false });
    expect(parseRemuxBenchArgs(['--warmup', '0']).warmup).toBe(0);
    expect(parseRemuxBenchArgs(['--runs', '5', '--json', '--input=/x.h264'])).toEqual({ runs: 5, json: true, help: false, input: '/x.h264' });
    expect(parseRemuxBenchArgs(['-h']).help).toBe(true);
    for (const bad of [['--runs', '0'], ['--runs', 'x'], ['--runs'], ['--warmup', '-1'], ['--fast']]) expect(() => parseRemuxBenchArgs(bad), bad.join(' ')).toThrow(RemuxBenchUsageError);
  });

  it('reads the peers\' versions from their own output', async () => {
    expect(parseToolVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers\nbuilt with gcc 12')).toBe('5.1.9-0+deb12u1');
    expect(parseToolVersion('gst-launch-1.0 version 1.22.0\nGStreamer 1.22.0\nhttps://tracker.debian.org/pkg/gstreamer1.0\n')).toBe('1.22.0');
    expect(parseToolVersion('something else')).toBeUndefined();
    const gstFailure = [
      'ERROR: from element /GstPipeline:pipeline0/GstMP4Mux:mp4mux0: Could not multiplex stream.',
      'Additional debug info:',
      '../gst/isomp4/gstqtmux.c(5410): gst_qt_mux_add_buffer (): /GstPipeline:pipeline0/GstMP4Mux:mp4mux0:',
      'Buffer has no PTS.',
      'ERROR: from element /GstPipeline:pipeline0/GstH264Parse:h264parse0: Internal data stream error.',
    ].join('\n');
    expect(errorGist(gstFailure)).toBe('ERROR: from element /GstPipeline:pipeline0/GstMP4Mux:mp4mux0: Could not multiplex stream. | Buffer has no PTS.');
    expect(errorGist('')).toBe('no output');
    const live = await run('ffmpeg', ['-version']);
    expect(parseToolVersion(live.stdout)).toMatch(/^\d+\.\d+/);
    const gst = await run('gst-launch-1.0', ['--version']);
    expect(parseToolVersion(gst.stdout)).toMatch(/^1\.\d+\.\d+$/);
  });

  it('derives net times, rates and ratios from the best run less startup', () => {
    const rows = buildRows(
      [
        { task: 'remux', impl: 'g2g', label: 'ours', runs: [30e6, 20e6, 25e6], startup: 0 },
        { task: 'remux', impl: 'gst', label: 'gst', runs: [90e6, 70e6], startup: 30e6 },
        { task: 'remux', impl: 'ffmpeg', label: 'ff', runs: [110e6], startup: 100e6 },
        { task: 'parse', impl: 'g2g', label: 'ours', runs: [10e6], startup: 0 },
        { task: 'parse', impl: 'ffmpeg', label: 'ff', runs: [90e6, 95e6], startup: 91e6 },
      ],
      20e6,
      600,
    );
    expect(rows.map((r) => [r.net, r.mbPerSecond, r.framesPerSecond])).toEqual([
      [20e6, 1000, 30000],
      [40e6, 500, 15000],
      [10e6, 2000, 60000],
      [10e6, 2000, 60000],
      [0, 0, 0],
    ]);
    // A peer whose best run is not above its startup cost is unresolved, and gets no ratio.
    expect(rows.map((r) => r.resolved)).toEqual([true, true, true, true, false]);
    expect(rows.map((r) => r.speedup)).toEqual([{ gst: 2, ffmpeg: 0.5 }, {}, {}, {}, {}]);
    const table = formatRemuxReport({
      schema: 'g2g-bench-remux/1',
      machine: { cpuModel: 'cpu', cpus: 2, node: 'v20', loadAverage: 0 },
      input: { path: 'x', bytes: 20e6, frames: 600, description: 'd' },
      runs: 1,
      rows,
      skipped: [],
    });
    expect(table).toMatch(/^parse +ff +< noise +- +- +- +-$/m);
    expect(table).toMatch(/^remux +ours +20\.0 +1000 +30000 +2\.00× +0\.50×$/m);
  });

  it('runs end to end on a small input and reports in the documented shape', async () => {
    const input = await encodeH264({ profile: 'high', bframes: 2, frames: 30 });
    const r: RemuxBenchReport = await runRemuxBench({ runs: 1, json: true, help: false, input });
    expect(Object.keys(r)).toEqual(['schema', 'machine', 'input', 'runs', 'rows', 'skipped']);
    expect(r.schema).toBe('g2g-bench-remux/1');
    expect(r.input).toMatchObject({ path: input, frames: 30, description: '320x240 30 fps H.264 high 1.3' });
    expect(r.rows.map((x) => `${x.task}/${x.impl}`)).toEqual(['remux/g2g', 'remux/g2g-fragmented', 'remux/gst', 'remux/ffmpeg', 'parse/g2g', 'parse/g2g-64k', 'parse/gst', 'parse/ffmpeg']);
    // GStreamer 1.22 cannot mp4mux h264parse output of a raw stream (no pts): the fallback is named.
    const gst = r.rows.find((x) => x.task === 'remux' && x.impl === 'gst')!;
    if (gst.label.includes('mpegtsmux')) expect(r.skipped.join('\n')).toMatch(/h264parse ! mp4mux: failed, timed gst-launch h264parse ! mpegtsmux instead \(exit 1: .*Buffer has no PTS/);
    for (const row of r.rows) {
      expect(Object.keys(row)).toEqual(['task', 'impl', 'label', 'runs', 'startup', 'net', 'resolved', 'mbPerSecond', 'framesPerSecond', 'speedup']);
      expect(row.runs).toHaveLength(1);
      expect(row.runs[0]).toBeGreaterThan(0);
      expect(row.startup > 0).toBe(!row.impl.startsWith('g2g'));
    }
    const text = formatRemuxReport(r);
    expect(text.split('\n')[4]).toMatch(/^task +implementation +time ms +MB\/s +frames\/s +vs gst +vs ffmpeg$/);
    // A peer's ratio is '-' when its run did not rise above its startup noise (tiny input).
    expect(text).toMatch(/^remux +g2g h264Parse ! mp4Mux \(progressive\) +[\d.]+ +\d+ +\d+ +(?:[\d.]+×|-) +(?:[\d.]+×|-)$/m);
  });
});
