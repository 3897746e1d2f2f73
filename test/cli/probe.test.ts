import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../node/cli/dispatch';
import { bufferIo } from '../../node/cli/io';
import { formatProbe, probe, probeFile, sniffContainer, type ProbeReport } from '../../node/cli/probe';
import { remux } from '../../node/cli/remux';
import { encodeH264, ffprobePackets, ffprobeStream, mp4ToAnnexB, type EncodeOptions } from '../fixtures/h264';
import { requirePeer } from '../peers';

const execFileAsync = promisify(execFile);

requirePeer('ffmpeg', 'ffprobe');

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'g2g-probe-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function probeJson(path: string): Promise<ProbeReport> {
  const io = bufferIo();
  const code = await probe([path, '--json'], io);
  expect(io.stderr).toEqual([]);
  expect(code).toBe(0);
  expect(io.stdout).toHaveLength(1);
  return JSON.parse(io.stdout[0]) as ProbeReport;
}

/** ffprobe's profile names and level numbers, from GStreamer's. */
const FFPROBE_PROFILE: Readonly<Record<string, string>> = {
  baseline: 'Baseline',
  'constrained-baseline': 'Constrained Baseline',
  main: 'Main',
  high: 'High',
};
const ffLevel = (level: string | null) => Math.round(Number(level) * 10);

const CASES: { label: string; enc: EncodeOptions }[] = [
  {
    label: 'baseline',
    enc: { profile: 'baseline', frames: 30, width: 352, height: 288 },
  },
  { label: 'main, B-frames', enc: { profile: 'main', bframes: 3, frames: 40 } },
  {
    label: 'high, B-frames, 3 GOPs, slices + AUD',
    enc: {
      profile: 'high',
      bframes: 2,
      frames: 45,
      gop: 15,
      slices: 2,
      aud: true,
    },
  },
  {
    label: 'high, NTSC',
    enc: {
      profile: 'high',
      bframes: 2,
      frames: 30,
      fps: '30000/1001',
      width: 640,
      height: 360,
    },
  },
];

describe.concurrent('g2g probe against ffprobe', () => {
  for (const c of CASES) {
    it(`MP4, ${c.label}: streams and every packet as ffprobe -show_streams -show_packets`, async () => {
      const mp4 = await encodeH264({ ...c.enc, container: 'mp4' });
      const r = await probeJson(mp4);
      const ref = await ffprobePackets(mp4);
      const st = await ffprobeStream(mp4);
      expect(r.format).toBe('mp4');
      const s = r.streams[0];
      expect([FFPROBE_PROFILE[s.profile!], ffLevel(s.level), s.width, s.height, s.framerate]).toEqual([
        st.profile,
        st.level,
        st.width,
        st.height,
        st.rFrameRate,
      ]);
      expect(s.frames).toBe(ref.length);
      expect(s.keyframes).toBe(ref.filter((p) => p.keyframe).length);
      // Times in ns against ffprobe's ticks of the track's time_base converted to ns. A duration is the
      // difference of two rounded times, so it may differ from the rounded tick count by 1 ns.
      expect(r.frames.map((f) => [f.pts, f.dts, f.keyframe, f.size])).toEqual(ref.map((p) => [p.pts, p.dts, p.keyframe, p.size]));
      r.frames.forEach((f, i) => expect(Math.abs(f.duration! - ref[i].duration!)).toBeLessThanOrEqual(1));
    });

    it(`Annex B, ${c.label}: frames, keyframes and sizes as ffprobe; times as the encoder's`, async () => {
      const truth = await encodeH264({ ...c.enc, container: 'mp4' });
      const h264 = await mp4ToAnnexB(truth);
      const r = await probeJson(h264);
      const ref = await ffprobePackets(h264);
      const st = await ffprobeStream(h264);
      expect(r.format).toBe('h264');
      const s = r.streams[0];
      expect([FFPROBE_PROFILE[s.profile!], ffLevel(s.level), s.width, s.height, s.framerate]).toEqual([
        st.profile,
        st.level,
        st.width,
        st.height,
        st.rFrameRate,
      ]);
      expect(r.frames.map((f) => [f.keyframe, f.size])).toEqual(ref.map((p) => [p.keyframe, p.size]));
      expect(r.frames.every((f) => !f.corrupt)).toBe(true);
      // ffprobe has no times for a raw stream (N/A); the encoder's MP4 has them. Ours start at dts 0, its
      // at pts 0: the same timeline shifted by the reorder delay.
      const enc = await ffprobePackets(truth);
      expect(ref.every((p) => p.pts === undefined)).toBe(true);
      // Each side rounds to ns on its own timeline, so shifted times agree to 1 ns.
      const shift = r.frames[0].pts! - enc[0].pts!;
      expect(r.frames).toHaveLength(enc.length);
      r.frames.forEach((f, i) => {
        const want = enc[i];
        for (const [ours, theirs] of [
          [f.pts! - shift, want.pts!],
          [f.dts! - shift, want.dts!],
          [f.duration!, want.duration!],
        ])
          expect(Math.abs(ours - theirs), `frame ${i}`).toBeLessThanOrEqual(1);
      });
    });
  }

  it('our own fragmented remux output probes as ffprobe reads it', async () => {
    const src = await encodeH264({
      profile: 'high',
      bframes: 2,
      frames: 45,
      gop: 15,
    });
    const out = join(dir, 'frag.mp4');
    expect(
      await remux([src, out], bufferIo(), {
        progress: undefined,
        onInterrupt: () => () => undefined,
      })
    ).toBe(0);
    const r = await probeJson(out);
    const ref = await ffprobePackets(out);
    expect(r.frames.map((f) => [f.pts, f.dts, f.keyframe, f.size])).toEqual(ref.map((p) => [p.pts, p.dts, p.keyframe, p.size]));
    expect(r.frames.filter((f) => f.keyframe)).toHaveLength(3);
  });
});

describe.concurrent('g2g probe output', () => {
  it('JSON has the documented shape', async () => {
    const r = await probeJson(await encodeH264({ profile: 'high', bframes: 2, frames: 10 }));
    expect(Object.keys(r)).toEqual(['schema', 'file', 'format', 'container', 'size', 'tracks', 'streams', 'frames', 'notes']);
    expect(r.schema).toBe('g2g-probe/1');
    expect(r.container).toBe('H.264 Annex B');
    expect(Object.keys(r.tracks[0])).toEqual([
      'id',
      'type',
      'codec',
      'fourcc',
      'profile',
      'level',
      'width',
      'height',
      'pixelFormat',
      'bitDepth',
      'fieldOrder',
      'sar',
      'framerate',
      'sampleRate',
      'channels',
      'bitrate',
      'duration',
      'frames',
      'read',
    ]);
    expect(r.tracks[0]).toMatchObject({
      id: 1,
      type: 'video',
      codec: 'h264',
      profile: 'high',
      pixelFormat: 'yuv420p',
      bitDepth: 8,
      fieldOrder: 'progressive',
      frames: 10,
      read: true,
    });
    expect(Object.keys(r.streams[0])).toEqual([
      'index',
      'track',
      'codec',
      'profile',
      'level',
      'width',
      'height',
      'framerate',
      'frames',
      'keyframes',
      'duration',
    ]);
    expect(r.streams[0]).toMatchObject({
      index: 0,
      track: 1,
      codec: 'h264',
      profile: 'high',
      width: 320,
      height: 240,
      framerate: '30/1',
      frames: 10,
      keyframes: 1,
      duration: 333_333_333,
    });
    expect(Object.keys(r.frames[0])).toEqual(['stream', 'pts', 'dts', 'duration', 'keyframe', 'size', 'corrupt']);
    expect(r.frames[0]).toMatchObject({
      stream: 0,
      dts: 0,
      duration: 33_333_333,
      keyframe: true,
      corrupt: false,
    });
    expect(typeof r.size).toBe('number');
    expect(r.notes).toEqual([]);
  });

  it('prints a summary by default; --show-frames adds one row per frame in decoding order', async () => {
    const path = await encodeH264({
      profile: 'main',
      bframes: 1,
      frames: 12,
      gop: 6,
    });
    const io = bufferIo();
    expect(await probe([path], io)).toBe(0);
    const summary = io.stdout[0].split('\n');
    expect(summary[0]).toMatch(/^File {6}.*\.h264: H\.264 Annex B, \d+ bytes$/);
    expect(summary[1]).toMatch(
      /^Track 1 {3}video h264 main, level 1\.3, 320x240, yuv420p \(8-bit\), progressive, SAR 1:1, 30\/1 fps, \d+ kb\/s, 12 frames \(2 keyframes\), 0\.400 s$/
    );
    expect(summary).toHaveLength(3); // and the note on derived times
    const full = bufferIo();
    expect(await probe([path, '--show-frames'], full)).toBe(0);
    const lines = full.stdout[0].split('\n');
    expect(lines.slice(0, 3)).toEqual(summary);
    expect(lines[4]).toMatch(/^frame +key +pts \(s\) +dts \(s\) +dur \(ms\) +size +flags$/);
    const rows = lines.slice(5);
    expect(rows).toHaveLength(12);
    expect(rows[0]).toMatch(/^ +0 {2}K +0\.033333 +0\.000000 +33\.333 +\d+$/);
    expect(rows.filter((l) => /^ *\d+ {2}K/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([0, 6]);
    expect(formatProbe(await probeFile(path), { showFrames: true })).toBe(full.stdout[0]);
  });

  it('sniffs the content, not the name', async () => {
    const mp4 = join(dir, 'actually-mp4.h264');
    copyFileSync(await encodeH264({ frames: 5, container: 'mp4' }), mp4);
    const es = join(dir, 'actually-h264.bin');
    copyFileSync(await encodeH264({ frames: 5 }), es);
    expect((await probeJson(mp4)).format).toBe('mp4');
    expect((await probeJson(es)).format).toBe('h264');
  });

  it('--framerate times an elementary stream', async () => {
    const r = await probeJson(await encodeH264({ profile: 'baseline', frames: 5 }));
    expect(r.frames.map((f) => f.dts)).toEqual([0, 1, 2, 3, 4].map((i) => Math.round((i * 1e9) / 30)));
    const io = bufferIo();
    expect(await probe([await encodeH264({ profile: 'baseline', frames: 5 }), '--json', '--framerate', '25'], io)).toBe(0);
    const r25 = JSON.parse(io.stdout[0]) as ProbeReport;
    expect(r25.frames.map((f) => f.dts)).toEqual([0, 40, 80, 120, 160].map((ms) => ms * 1e6));
    expect(r25.streams[0].framerate).toBe('25/1');
  });

  it('errors: missing or unrecognised file exits 1, bad command lines 2', async () => {
    const run = async (args: string[]) => {
      const io = bufferIo();
      return {
        code: await main(['probe', ...args], io),
        err: io.stderr.join('\n'),
      };
    };
    let r = await run([join(dir, 'missing.mp4')]);
    expect(r).toEqual({
      code: 1,
      err: `g2g probe: cannot open '${join(dir, 'missing.mp4')}' for reading: ENOENT: no such file or directory`,
    });
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'hello\n');
    r = await run([text]);
    expect(r).toEqual({
      code: 1,
      err: `g2g probe: '${text}' is not in a format glass2glass recognises (it begins 68 65 6c 6c 6f 0a); supported: MP4/MOV, H.264 Annex B`,
    });
    r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^g2g probe: probe needs a FILE/);
    r = await run(['a', 'b']);
    expect(r.code).toBe(2);
    r = await run(['a.h264', '--framerate', 'fast']);
    expect(r.code).toBe(2);
    const io = bufferIo();
    expect(await main(['probe', '--help'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/"schema": "g2g-probe\/1"/);
  });
});

describe('sniffContainer', () => {
  const b = (...x: (number | string)[]) => new Uint8Array(x.flatMap((v) => (typeof v === 'string' ? [...v].map((ch) => ch.charCodeAt(0)) : [v])));
  it('tells MP4 from Annex B from anything else', () => {
    expect(sniffContainer(b(0, 0, 0, 0x20, 'ftypisom'))).toBe('mp4');
    // A 64-bit size (1) before ftyp looks like a 4-byte start code and an SEI header: MP4 wins.
    expect(sniffContainer(b(0, 0, 0, 1, 'ftyp', 0, 0, 0, 0, 0, 0, 0, 0x20, 'isom'))).toBe('mp4');
    expect(sniffContainer(b(0, 0, 0, 8, 'moov'))).toBe('mp4');
    expect(sniffContainer(b(0, 0, 0, 1, 0x67, 0x64))).toBe('h264');
    expect(sniffContainer(b(0, 0, 1, 0x09, 0xf0))).toBe('h264');
    expect(sniffContainer(b(0, 0, 0, 0, 0, 1, 0x67))).toBe('h264');
    expect(sniffContainer(b(0, 0, 1, 0x87))).toBeUndefined(); // forbidden_zero_bit set
    expect(sniffContainer(b(0, 1, 0x67))).toBeUndefined(); // one zero is no start code
    expect(sniffContainer(b(0, 0, 0, 4, 'ftyp'))).toBeUndefined(); // a box shorter than its header
    expect(sniffContainer(b('RIFF....AVI '))).toBeUndefined();
    expect(sniffContainer(b())).toBeUndefined();
  });
});

describe.concurrent('g2g probe lists audio tracks as ffprobe does', () => {
  // The files: H.264 + AAC or Opus, and each as ffmpeg's fragmented remux (sample counts then come from reading).
  const make = async (audio: 'aac' | 'libopus', fragmented: boolean): Promise<string> => {
    const src = join(dir, `av-${audio}.mp4`);
    const out = fragmented ? join(dir, `av-${audio}-frag.mp4`) : src;
    const ff = (args: string[]) => execFileAsync('ffmpeg', ['-v', 'error', '-y', ...args]);
    await ff([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=30',
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:sample_rate=48000',
      '-t',
      '2',
      '-c:v',
      'libx264',
      '-c:a',
      audio,
      src,
    ]);
    if (fragmented) await ff(['-i', src, '-c', 'copy', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', out]);
    return out;
  };
  for (const audio of ['aac', 'libopus'] as const) {
    for (const fragmented of [false, true]) {
      it(`H.264 + ${audio}${
        fragmented ? ', fragmented' : ''
      }: id, type, codec, rate and channels or size, duration and sample count of every track`, async () => {
        const file = await make(audio, fragmented);
        const r = await probeJson(file);
        const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-count_packets', '-show_streams', '-of', 'json', file]);
        const ff = (JSON.parse(stdout) as { streams: Record<string, string | number>[] }).streams;
        expect(r.notes).toEqual([]);
        expect(r.tracks.map((t) => [t.id, t.type, t.codec, t.width, t.height, t.sampleRate, t.channels, t.frames, t.read])).toEqual(
          ff.map((s) => [
            Number(s.index) + 1,
            s.codec_type,
            s.codec_name,
            s.width ?? null,
            s.height ?? null,
            s.sample_rate === undefined ? null : Number(s.sample_rate),
            s.channels ?? null,
            Number(s.nb_read_packets),
            true,
          ])
        );
        // ffprobe prints seconds to the microsecond.
        for (const [i, t] of r.tracks.entries()) expect(Math.abs(t.duration! - Number(ff[i].duration) * 1e9)).toBeLessThanOrEqual(1000);
        const text = formatProbe(r).split('\n');
        expect(text[2]).toMatch(
          new RegExp(`^Track 2 {3}audio ${audio === 'aac' ? 'aac' : 'opus'}, 48000 Hz, 1 channel, \\d+ kb/s, ${ff[1].nb_read_packets} samples, \\d\\.\\d{3} s$`)
        );
      });
    }
  }
});
