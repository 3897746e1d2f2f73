/**
 * Every input identified: g2g probe lists each track as ffprobe sees it, and the commands that read files
 * (probe, remux, ocr, serve) name a format they cannot read and exit 1 before any output, and say which
 * tracks they leave out.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../node/cli/dispatch';
import { bufferIo } from '../../node/cli/io';
import { formatProbe, probe, probeFile, type ProbeReport } from '../../node/cli/probe';
import { remux } from '../../node/cli/remux';
import { serve } from '../../node/cli/serve';
import { requirePeer } from '../peers';
import { ffprobe, hasEncoder, MEDIA, type MediaName } from '../typefind/media';

requirePeer('ffmpeg', 'ffprobe');

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'g2g-probe-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const HEVC = hasEncoder('libx265');

/** A copy of a fixture under a name of our choosing (extensions matter to remux). */
async function copy(media: MediaName, name: string): Promise<string> {
  const path = join(dir, name);
  copyFileSync(await MEDIA[media](), path);
  return path;
}

async function probeJson(path: string): Promise<ProbeReport> {
  const io = bufferIo();
  expect(await probe([path, '--json'], io)).toBe(0);
  expect(io.stderr).toEqual([]);
  return JSON.parse(io.stdout[0]) as ProbeReport;
}

/** ffprobe's stream fields in probe's names; a field ffprobe does not give is left out. */
function fromFfprobe(s: Record<string, string | number | undefined>): Record<string, unknown> {
  const video = s.codec_type === 'video';
  const out: Record<string, unknown> = {
    id: s.id === undefined ? 1 : Number(s.id),
    type: video ? 'video' : s.codec_type === 'audio' ? 'audio' : 'data',
    codec: s.codec_name,
    width: s.width ?? null,
    height: s.height ?? null,
    pixelFormat: s.pix_fmt ?? null,
    fieldOrder: s.field_order ?? null,
    sar: s.sample_aspect_ratio ?? null,
    framerate: video ? s.r_frame_rate : null,
    sampleRate: s.sample_rate === undefined ? null : Number(s.sample_rate),
    channels: s.channels ?? null,
  };
  if (s.bits_per_raw_sample !== undefined) out.bitDepth = Number(s.bits_per_raw_sample);
  return out;
}

describe.concurrent('g2g probe lists every track as ffprobe does', () => {
  const cases: { media: MediaName; container: string }[] = [
    { media: 'mp4WithAudio', container: 'MP4' },
    { media: 'mov', container: 'QuickTime/MOV' },
    { media: 'interlacedMov', container: 'QuickTime/MOV' },
    { media: 'anamorphicMp4', container: 'MP4' },
    { media: 'mp4TenBit', container: 'MP4' },
    { media: 'fragmentedMp4', container: 'MP4' },
    { media: 'h264TenBit', container: 'H.264 Annex B' },
    { media: 'h264Yuv444', container: 'H.264 Annex B' },
    { media: 'interlacedH264', container: 'H.264 Annex B' },
    ...(HEVC ? [{ media: 'h265Mp4' as const, container: 'MP4' }] : []),
  ];
  for (const c of cases) {
    it(`${c.media}: ${c.container}`, async () => {
      const path = await MEDIA[c.media]();
      const r = await probeJson(path);
      const ff = await ffprobe(path);
      expect(r.container).toBe(c.container);
      expect(r.tracks).toMatchObject(ff.streams.map(fromFfprobe));
      for (const [i, t] of r.tracks.entries()) {
        const s = ff.streams[i];
        // Sample counts and bitrates of a container's tables are exact; an elementary stream's bitrate
        // is its size over its duration, which ffprobe does not give per stream.
        if (s.nb_frames !== undefined) expect(t.frames).toBe(Number(s.nb_frames));
        if (s.bit_rate !== undefined) expect(t.bitrate).toBe(Number(s.bit_rate));
        if (t.type === 'video') expect(t.duration).toBe(333_333_333);
      }
    });
  }

  it('an MP4 with audio: the audio is listed and read (AAC and Opus are), no note', async () => {
    const r = await probeJson(await MEDIA.mp4WithAudio());
    expect(r.tracks.map((t) => [t.id, t.type, t.codec, t.fourcc, t.read])).toEqual([
      [1, 'video', 'h264', 'avc1', true],
      [2, 'audio', 'aac', 'mp4a', true],
    ]);
    expect(r.streams.map((s) => s.track)).toEqual([1]);
    expect(r.notes).toEqual([]);
    const text = formatProbe(r).split('\n');
    expect(text[0]).toMatch(/^File {6}.*\.mp4: MP4, \d+ bytes$/);
    expect(text[2]).toMatch(/^Track 2 {3}audio aac, 48000 Hz, 1 channel, 107 kb\/s, 2 samples, 0\.0\d\d s$/);
    expect(text).toHaveLength(3);
  });

  it.skipIf(!HEVC)('an MP4 of HEVC: its track described, nothing read, exit 0', async () => {
    const r = await probeJson(await MEDIA.h265Mp4());
    expect(r.tracks[0]).toMatchObject({
      codec: 'hevc',
      fourcc: 'hvc1',
      profile: 'main',
      pixelFormat: 'yuv420p',
      bitDepth: 8,
      read: false,
    });
    expect([r.streams, r.frames]).toEqual([[], []]);
  });

  it('QuickTime/MOV by name in text', async () => {
    const io = bufferIo();
    expect(await probe([await MEDIA.mov()], io)).toBe(0);
    expect(io.stdout[0].split('\n')[0]).toMatch(/^File {6}.*\.mov: QuickTime\/MOV, \d+ bytes$/);
    expect(io.stdout[0]).not.toMatch(/^ +0 {2}K/m); // no frame rows without --show-frames
  });
});

/** What every file command says of a format it cannot read. */
const REFUSED: { media: MediaName; name: string; says: string }[] = [
  {
    media: 'mpegts',
    name: 'in.ts',
    says: 'is MPEG-TS, which glass2glass cannot demux yet',
  },
  {
    media: 'matroska',
    name: 'in.mkv',
    says: 'is Matroska, which glass2glass cannot demux yet',
  },
  {
    media: 'webm',
    name: 'in.webm',
    says: 'is WebM, which glass2glass cannot demux yet',
  },
  {
    media: 'adts',
    name: 'in.aac',
    says: 'is AAC (ADTS), which glass2glass cannot parse yet',
  },
  ...(HEVC
    ? [
        {
          media: 'h265' as const,
          name: 'in.h265',
          says: 'is H.265/HEVC Annex B, which glass2glass cannot parse yet',
        },
      ]
    : []),
];
const SUPPORTED = '; supported: MP4/MOV, H.264 Annex B';

describe.concurrent('formats glass2glass cannot read: named, exit 1, nothing else printed', () => {
  for (const r of REFUSED) {
    it(`${r.name}: probe, remux (its own extension, and renamed .h264 / .mp4), ocr, serve`, async () => {
      const path = await copy(r.media, r.name);
      const want = `'${path}' ${r.says}${SUPPORTED}`;
      const cli = async (args: string[]) => {
        const io = bufferIo();
        return { code: await main(args, io), out: io.stdout, err: io.stderr };
      };
      expect(await cli(['probe', path])).toEqual({
        code: 1,
        out: [],
        err: [`g2g probe: ${want}`],
      });
      expect(await cli(['probe', '--json', path])).toEqual({
        code: 1,
        out: [],
        err: [`g2g probe: ${want}`],
      });
      const out = join(dir, `${r.name}.out.mp4`);
      expect(await cli(['remux', path, out])).toEqual({
        code: 1,
        out: [],
        err: [`g2g remux: ${want}`],
      });
      expect(existsSync(out)).toBe(false);
      for (const disguise of ['h264', 'mp4']) {
        const renamed = await copy(r.media, `${r.name}.${disguise}`);
        const res = await cli(['remux', renamed, join(dir, `${r.name}.${disguise}.out.${disguise === 'h264' ? 'mp4' : 'h264'}`)]);
        expect(res).toEqual({
          code: 1,
          out: [],
          err: [`g2g remux: '${renamed}' ${r.says}${SUPPORTED}`],
        });
      }
      // ocr refuses before loading its model or printing anything.
      expect(await cli(['ocr', path])).toEqual({
        code: 1,
        out: [],
        err: [`g2g ocr: ${want}`],
      });
      // serve refuses before it listens.
      const io = bufferIo();
      let listening = false;
      expect(
        await serve([path, '--port', '0'], io, {
          onListening: () => void (listening = true),
        })
      ).toBe(1);
      expect([io.stdout, io.stderr, listening]).toEqual([[], [`ERROR: ${want}`], false]);
    });
  }

  it('a text file: what it begins with', async () => {
    const text = join(dir, 'notes.h264');
    writeFileSync(text, 'hello\n');
    const io = bufferIo();
    expect(await probe([text], io)).toBe(1);
    expect(io.stderr).toEqual([`g2g probe: '${text}' is not in a format glass2glass recognises (it begins 68 65 6c 6c 6f 0a)${SUPPORTED}`]);
  });
});

describe('tracks left out are said, not dropped silently', () => {
  it('remux of an MP4 with audio: MP4 out keeps both tracks; .h264 out says, in one note, that the audio is left out; -q keeps quiet', async () => {
    const src = await copy('mp4WithAudio', 'av.mp4');
    const both = bufferIo();
    const env = { progress: undefined, onInterrupt: () => () => undefined };
    expect(await remux([src, join(dir, 'av-both.mp4')], both, env)).toBe(0);
    expect(both.stderr).toEqual([]);
    expect((await ffprobe(join(dir, 'av-both.mp4'))).streams.map((s) => s.codec_name)).toEqual(['h264', 'aac']);
    const out = join(dir, 'av-video.h264');
    const io = bufferIo();
    expect(await remux([src, out], io, env)).toBe(0);
    expect(io.stderr).toEqual([`note: '${src}': track 2 (audio aac) ignored: remux carries only track 1 (video h264)`]);
    expect((await ffprobe(out)).streams.map((s) => s.codec_name)).toEqual(['h264']);
    const quiet = bufferIo();
    expect(
      await remux([src, join(dir, 'av-quiet.h264'), '-q'], quiet, {
        progress: undefined,
        onInterrupt: () => () => undefined,
      })
    ).toBe(0);
    expect(quiet.stderr).toEqual([]);
    // A video-only MP4 has nothing to say.
    const plain = bufferIo();
    expect(
      await remux([await copy('mp4', 'v.mp4'), join(dir, 'v-out.mp4')], plain, {
        progress: undefined,
        onInterrupt: () => () => undefined,
      })
    ).toBe(0);
    expect(plain.stderr).toEqual([]);
  });

  it('serve of an MP4 with audio: both tracks are served, nothing is left out', async () => {
    const src = await copy('mp4WithAudio', 'serve-av.mp4');
    const io = bufferIo();
    let interrupt: (() => void) | undefined;
    let onUrl!: (u: string) => void;
    const url = new Promise<string>((r) => (onUrl = r));
    const code = serve([src, '--port', '0'], io, {
      onListening: onUrl,
      onInterrupt: (h) => ((interrupt = h), () => undefined),
    });
    const u = await Promise.race([url, code.then((c) => `exited ${c}: ${io.stderr.join('\n')}`)]);
    expect(u).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/stream$/);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', u], {
      timeout: 15_000,
    });
    expect(stdout.trim().split('\n')).toEqual(['h264', 'aac']);
    interrupt!();
    await code;
    expect(io.stderr.filter((l) => l.startsWith('note:'))).toEqual([]);
  }, 40_000);

  it('the probe of the same file lists both (content decides, not the name)', async () => {
    const disguised = await copy('mp4WithAudio', 'av.h264');
    const r = await probeFile(disguised);
    expect([r.format, r.container, r.tracks.length]).toEqual(['mp4', 'MP4', 2]);
  });
});
