/**
 * The SPS fields in h264Parse's caps (profile, chroma-format, bit-depth-luma, bit-depth-chroma) and what
 * h264Dec's sink caps make of them: a stream it cannot decode (10-bit, 4:2:2, 4:4:4) fails negotiation
 * naming the field, before a unit is decoded; what it decodes still decodes, parsed or not.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { nodeFileSrc } from '../../node/drivers/fs';
import { H264_DEC, h264Dec, type RawVideoPacket } from '../../node/elements/h264-dec';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Demux } from '../../operators/mp4-demux';
import { Caps, pipe } from '../../src';
import type { Sink } from '../../src/operator';
import type { Packet } from '../../src/packet';
import type { Pipeline } from '../../src/pipeline/pipeline';
import { NegotiationError } from '../../src/pipeline/errors';
import { packedFrame, videoLayoutOf } from '../../src/video/meta';
import { rawVideoInfo } from '../../src/video/format';
import { requirePeer } from '../peers';
import { MEDIA } from '../typefind/media';

requirePeer('ffmpeg', 'ffprobe', 'native');

const run = promisify(execFile);

/** ffprobe's pix_fmt and profile of the first video stream. */
async function ffprobeFormat(path: string): Promise<{ pixFmt: string; profile: string }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=pix_fmt,profile', '-of', 'json', path]);
  const s = (JSON.parse(stdout) as { streams: { pix_fmt: string; profile: string }[] }).streams[0];
  return { pixFmt: s.pix_fmt, profile: s.profile };
}

/** The caps h264Parse puts on the stream's first unit. */
async function parsedCaps(path: string, mp4 = false): Promise<Caps> {
  const caps: Caps[] = [];
  const sink = fakeSink({ onPacket: (p: Packet) => void caps.push(p.caps) });
  await (mp4 ? pipe(nodeFileSrc(path), mp4Demux(), h264Parse(), sink) : pipe(nodeFileSrc(path), h264Parse(), sink)).run();
  return caps[0];
}

/** ffmpeg's pix_fmt from GStreamer's chroma-format and luma bit depth. */
// libavcodec decodes monochrome H.264 to 4:2:0 with grey chroma (x264's gray streams say full range: yuvj).
const PIX_FMT: Readonly<Record<string, string>> = {
  '4:2:0/8': 'yuv420p',
  '4:2:0/10': 'yuv420p10le',
  '4:2:2/8': 'yuv422p',
  '4:4:4/8': 'yuv444p',
  '4:0:0/8': 'yuvj420p',
};
/** ffprobe's profile names from GStreamer's. */
const PROFILE: Readonly<Record<string, string>> = {
  high: 'High',
  'high-10': 'High 10',
  'high-4:2:2': 'High 4:2:2',
  'high-4:4:4': 'High 4:4:4 Predictive',
};

const STREAMS = [
  { media: 'h264', chroma: '4:2:0', depth: 8, profile: 'high' },
  { media: 'h264TenBit', chroma: '4:2:0', depth: 10, profile: 'high-10' },
  { media: 'h264Yuv422', chroma: '4:2:2', depth: 8, profile: 'high-4:2:2' },
  { media: 'h264Yuv444', chroma: '4:4:4', depth: 8, profile: 'high-4:4:4' },
  { media: 'h264Gray', chroma: '4:0:0', depth: 8, profile: 'high' },
  { media: 'h264Lossless', chroma: '4:2:0', depth: 8, profile: 'high-4:4:4' },
] as const;

describe.concurrent("h264Parse's caps carry the SPS's profile, chroma format and bit depths", () => {
  for (const s of STREAMS) {
    it(`${s.media}: ${s.profile} ${s.chroma} ${s.depth}-bit, as ffprobe reads it`, async () => {
      const path = await MEDIA[s.media]();
      const c = await parsedCaps(path);
      expect([c.get('profile'), c.get('chroma-format'), c.get('bit-depth-luma'), c.get('bit-depth-chroma')]).toEqual([s.profile, s.chroma, s.depth, s.depth]);
      const ff = await ffprobeFormat(path);
      expect(ff.pixFmt).toBe(PIX_FMT[`${s.chroma}/${s.depth}`]);
      expect(ff.profile).toBe(PROFILE[s.profile]);
    });
  }

  it('from an MP4 too (the SPS in the avcC)', async () => {
    const c = await parsedCaps(await MEDIA.mp4TenBit(), true);
    expect([c.get('profile'), c.get('chroma-format'), c.get('bit-depth-luma')]).toEqual(['high-10', '4:2:0', 10]);
  });
});

/** Decodes through `chain` into a sink; frames and the error, if any. */
async function decode(chain: (sink: Sink<RawVideoPacket>) => Pipeline | Promise<Pipeline>) {
  const frames: RawVideoPacket[] = [];
  const md5s: string[] = [];
  const sink = fakeSink<RawVideoPacket>({
    onPacket: (p) => {
      frames.push(p);
      md5s.push(
        createHash('md5')
          .update(packedFrame(p.memory.data, videoLayoutOf(p, rawVideoInfo(p.caps))))
          .digest('hex')
      );
    },
  });
  try {
    await (await chain(sink)).run();
    return { frames, md5s, error: undefined as unknown };
  } catch (error) {
    return { frames, md5s, error };
  }
}

describe.concurrent("h264Dec's sink caps name what it decodes", () => {
  const refused = [
    {
      media: 'h264TenBit',
      field: 'video/x-h264: bit-depth-luma: 10 vs 8; bit-depth-chroma: 10 vs 8',
    },
    {
      media: 'h264Yuv422',
      field: 'video/x-h264: chroma-format: 4:2:2 vs { 4:2:0, 4:0:0 }',
    },
    {
      media: 'h264Yuv444',
      field: 'video/x-h264: chroma-format: 4:4:4 vs { 4:2:0, 4:0:0 }',
    },
  ] as const;
  for (const r of refused) {
    it(`${r.media}: a negotiation error naming the field, before any frame`, async () => {
      const { frames, error } = await decode(async (sink) => pipe(nodeFileSrc(await MEDIA[r.media]()), h264Parse(), h264Dec({ backend: 'software' }), sink));
      expect(error).toBeInstanceOf(NegotiationError);
      expect((error as Error).message).toBe(
        `negotiation failed between its input and h264Dec: h264Dec decodes 8-bit 4:2:0 (or 4:0:0) H.264 only\n  ${r.field}`
      );
      expect(frames).toEqual([]);
    });
  }

  it('at negotiation itself when the caps are known before data (a source stating them)', async () => {
    const stated = 'video/x-h264, stream-format=byte-stream, alignment=au, chroma-format=4:4:4';
    let opened = false;
    const bytes = new Uint8Array(readFileSync(await MEDIA.h264Yuv444()));
    const src = fileSrc({
      caps: stated,
      source: () => ((opened = true), bytes),
    });
    const p = pipe(src, h264Dec({ backend: 'software', name: 'dec' }), fakeSink());
    await expect(p.run()).rejects.toThrow(
      'negotiation failed between its input and dec: dec decodes 8-bit 4:2:0 (or 4:0:0) H.264 only\n  video/x-h264: chroma-format: 4:4:4 vs { 4:2:0, 4:0:0 }'
    );
    expect(opened).toBe(false); // nothing was read: it failed before the pipeline opened
  });

  it('the sink template names the fields (g2g inspect shows it)', () => {
    const t = H264_DEC.caps.sink!.toString();
    expect(t).toContain('chroma-format=(string){ 4:2:0, 4:0:0 }');
    expect(t).toContain('bit-depth-luma=(int)8');
    expect(t).toContain('bit-depth-chroma=(int)8');
    expect(t).toMatch(/profile=\(string\)\{ constrained-baseline, baseline, main, high, /);
  });

  it('what it decodes still decodes, bit-exact with ffmpeg: 4:2:0, lossless 4:2:0 (High 4:4:4 profile), 4:0:0', async () => {
    for (const media of ['h264', 'h264Lossless', 'h264Gray'] as const) {
      const { md5s, error } = await decode(async (sink) => pipe(nodeFileSrc(await MEDIA[media]()), h264Parse(), h264Dec({ backend: 'software' }), sink));
      expect(error, media).toBeUndefined();
      // ffmpeg's own output format (yuvj420p for the gray stream: the same planes as our I420).
      const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', await MEDIA[media](), '-f', 'framemd5', '-']);
      const ref = stdout
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(',').at(-1)!.trim());
      expect(md5s, media).toEqual(ref);
    }
  });

  it('unstated fields pass: mp4Demux straight into h264Dec (no h264Parse) decodes as before', async () => {
    const { frames, error } = await decode(async (sink) => pipe(nodeFileSrc(await MEDIA.mp4()), mp4Demux(), h264Dec({ backend: 'software' }), sink));
    expect(error).toBeUndefined();
    expect(frames).toHaveLength(10);
  });
});
