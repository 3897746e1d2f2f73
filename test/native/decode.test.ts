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
import { decodeFile, ffmpegFrameMd5, md5 } from './helpers';

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
      const [ours, ref] = await Promise.all([decodeFile(path, { format: 'I420' }), ffmpegFrameMd5(path)]);
      expect(ours.frames.length).toBe(o.frames);
      expect(ours.md5s).toEqual(ref);
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

  it('live (low-delay, slice threads) decodes the same frames', async () => {
    const path = await encodeH264({ profile: 'high', bframes: 2, frames: 20 });
    const [ours, ref] = await Promise.all([decodeFile(path, { live: true }), ffmpegFrameMd5(path)]);
    expect(ours.md5s).toEqual(ref);
  });

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
  });
});
