import { describe, expect, it } from 'vitest';
import { nodeFileOpener } from '../../node/drivers/fs';
import { h264Dec, type RawVideoPacket } from '../../node/elements/h264-dec';
import { capsFilter } from '../../operators/caps-filter';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Demux } from '../../operators/mp4-demux';
import { Caps, pipe } from '../../src';
import { PacketFlags } from '../../src/packet';
import { concatFiles, encodeH264, mp4ToAnnexB } from '../fixtures/h264';
import type { VideoFrameLayout } from '../../src/video/format';
import { decodeFile, ffmpegFrameMd5, md5 } from './helpers';
import { ensureBuilt, g2g } from '../cli/cli-process';
import { requirePeer } from '../peers';

requirePeer('native', 'ffmpeg');

// Each stream decoded by our pipeline must equal ffmpeg's own decode frame for frame, bit for bit.
describe('h264Dec (software) is bit-exact with ffmpeg', () => {
  const cases = [
    { label: 'baseline', o: { profile: 'baseline' as const, frames: 30 } },
    { label: 'high with B-frames (reordering)', o: { profile: 'high' as const, bframes: 3, frames: 40 } },
    { label: 'multi-slice with AUDs', o: { profile: 'main' as const, slices: 4, aud: true, frames: 30 } },
    { label: 'odd size 322x178', o: { profile: 'high' as const, width: 322, height: 178, frames: 12, bframes: 2 } },
  ];
  for (const { label, o } of cases) {
    it(label, async () => {
      const path = await encodeH264(o);
      const [ours, strided, leased, ref] = await Promise.all([
        decodeFile(path, { format: 'I420' }),
        decodeFile(path, { format: 'I420', videoMeta: true }),
        decodeFile(path, { format: 'I420', videoMeta: true, release: true }),
        ffmpegFrameMd5(path),
      ]);
      expect(ours.frames.length).toBe(o.frames);
      expect(ours.md5s).toEqual(ref);
      // Handed on in libavcodec's own buffers (planes at the video meta's offsets/strides): the same pictures,
      // and the same again when each buffer goes back to the codec as soon as the sink has hashed it.
      expect(strided.md5s).toEqual(ref);
      expect(leased.md5s).toEqual(ref);
      expect(leased.frames.every((f) => f.memory.release !== undefined)).toBe(true);
      expect(strided.frames.every((f) => f.meta.videoMeta !== undefined)).toBe(true);
      expect(ours.frames.some((f) => f.meta.videoMeta !== undefined)).toBe(false);
      // Presentation order out of a reordering decoder: strictly increasing pts, one Caps object.
      const pts = ours.frames.map((f) => f.pts!);
      expect(pts.every((t, i) => i === 0 || t > pts[i - 1])).toBe(true);
      expect(ours.caps).toHaveLength(1);
      expect(ours.caps[0].toString()).toContain(`width=(int)${o.width ?? 320}`);
      expect(ours.frames.every((f) => (f.flags & PacketFlags.CORRUPT) === 0)).toBe(true);
    });
  }

  it('NV12 output equals ffmpeg -pix_fmt nv12', async () => {
    const path = await encodeH264({ profile: 'high', bframes: 2, frames: 20 });
    const [ours, ref] = await Promise.all([decodeFile(path, { format: 'NV12' }), ffmpegFrameMd5(path, 'nv12')]);
    expect(ours.md5s).toEqual(ref);
    expect(ours.caps[0].get('format')).toBe('NV12');
  });

  it('live (low-delay, on the shared decoder pool) decodes the same frames', async () => {
    const path = await encodeH264({ profile: 'high', bframes: 2, frames: 20 });
    const [ours, strided, leased, ref] = await Promise.all([
      decodeFile(path, { live: true }),
      decodeFile(path, { live: true, videoMeta: true }),
      decodeFile(path, { live: true, videoMeta: true, release: true }),
      ffmpegFrameMd5(path),
    ]);
    expect(ours.md5s).toEqual(ref);
    expect(strided.md5s).toEqual(ref);
    expect(leased.md5s).toEqual(ref);
  });

  it('unpacked frames cost no copy; packed ones one each; NV12 out of a yuv420p decode is always packed', async () => {
    const path = await encodeH264({ profile: 'high', width: 322, height: 178, bframes: 2, frames: 10 });
    const strided = await decodeFile(path, { videoMeta: true });
    const packed = await decodeFile(path);
    const nv12 = await decodeFile(path, { format: 'NV12', videoMeta: true });
    expect(strided.stats.copies.count).toBe(0);
    expect(packed.stats.copies.count).toBe(10);
    expect(nv12.stats.copies.count).toBe(10);
    expect(nv12.frames.some((f) => f.meta.videoMeta !== undefined)).toBe(false);
    expect(nv12.md5s).toEqual(await ffmpegFrameMd5(path, 'nv12'));
    // libavcodec's layout: rows padded past 322 bytes, planes apart; the buffer is larger than a packed frame.
    const layout = strided.frames[0].meta.videoMeta as VideoFrameLayout;
    expect(layout.planes[0].stride).toBeGreaterThan(322);
    expect(layout.planes[1].offset).toBeGreaterThanOrEqual(layout.planes[0].stride * 178);
    expect(strided.frames[0].memory.data.byteLength).toBeGreaterThan((322 * 178 * 3) / 2);
  });

  it('libavcodec warns about nothing with frame threads: its frames come from our thread-safe one-block allocator', async () => {
    // Unmarked as thread-safe, a custom get_buffer2 makes FFmpeg 5 serialise frame threads' allocations
    // through the caller's thread (and NVDEC run out of surfaces); it says so at warning level.
    ensureBuilt();
    const path = await encodeH264({ profile: 'high', bframes: 2, frames: 30 });
    process.env.G2G_FFMPEG_LOG = '24';
    let r;
    try {
      r = await g2g(['launch', `fileSrc location=${path} ! h264Parse ! h264Dec backend=software threads=2 ! fakeSink`]);
    } finally {
      delete process.env.G2G_FFMPEG_LOG;
    }
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\[h264 @/);
  }, 60_000);

  it('4K (3840x2160), a few frames', async () => {
    const path = await encodeH264({ profile: 'high', width: 3840, height: 2160, frames: 3, preset: 'ultrafast' });
    const [ours, ref] = await Promise.all([decodeFile(path), ffmpegFrameMd5(path)]);
    expect(ours.md5s).toEqual(ref);
    expect(ours.frames[0].memory.data.byteLength).toBe((3840 * 2160 * 3) / 2);
  }, 60_000);

  it('avc input (mp4 → h264Parse stream-format=avc) decodes with codec_data', async () => {
    const mp4 = await encodeH264({ profile: 'high', bframes: 2, frames: 20, container: 'mp4' });
    const got: string[] = [];
    await pipe(
      fileSrc({ location: mp4, opener: nodeFileOpener }),
      mp4Demux(),
      h264Parse(),
      // Forces the length-prefixed form into the decoder.
      capsFilter(Caps.parse('video/x-h264, stream-format=(string)avc')),
      h264Dec({ backend: 'software' }),
      fakeSink<RawVideoPacket>({ onPacket: (p) => void got.push(md5(p.memory.data)) }),
    ).run();
    expect(got).toEqual(await ffmpegFrameMd5(await mp4ToAnnexB(mp4)));
  });

  it('a mid-stream resolution change gives new caps, reused until the next change', async () => {
    const a = await encodeH264({ profile: 'high', width: 320, height: 240, frames: 10 });
    const b = await encodeH264({ profile: 'high', width: 176, height: 144, frames: 10 });
    const path = await concatFiles([a, b, a]);
    const ours = await decodeFile(path);
    expect(ours.frames.length).toBe(30);
    expect(ours.caps.map((c) => `${c.get('width')}x${c.get('height')}`)).toEqual(['320x240', '176x144', '320x240']);
    // Frames between changes share one object.
    expect(new Set(ours.frames.slice(0, 10).map((f) => f.caps)).size).toBe(1);
    // ffmpeg's CLI scales every frame to the first size, so the reference is each part decoded alone.
    const [ra, rb] = await Promise.all([ffmpegFrameMd5(a), ffmpegFrameMd5(b)]);
    expect(ours.md5s).toEqual([...ra, ...rb, ...ra]);
    // Unpacked too: the codec's pool is laid out anew for each size while frames of the old one are held.
    const strided = await decodeFile(path, { videoMeta: true });
    expect(strided.md5s).toEqual([...ra, ...rb, ...ra]);
    // Leased: buffers of the old size come back after the pool was laid out anew.
    expect((await decodeFile(path, { videoMeta: true, release: true })).md5s).toEqual([...ra, ...rb, ...ra]);
    const layouts = strided.frames.map((f) => f.meta.videoMeta as VideoFrameLayout);
    expect(layouts.map((l) => `${l.width}x${l.height}`)).toEqual(strided.frames.map((f) => `${f.caps.get('width')}x${f.caps.get('height')}`));
  });
});
