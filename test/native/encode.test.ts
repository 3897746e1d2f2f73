import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installNodeFileOpener, nodeFileSink } from '../../node/drivers/fs';
import { h264Dec, h264DecEntry, type RawVideoPacket } from '../../node/elements/h264-dec';
import { h264Enc, h264EncEntry, type H264Packet } from '../../node/elements/h264-enc';
import { fakeSink } from '../../operators/fake-sink';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Mux } from '../../operators/mp4-mux';
import { defaultRegistry } from '../../operators/registry';
import { tee } from '../../operators/tee';
import { videoTestSrc } from '../../operators/video-test-src';
import { parseLaunch, pipe } from '../../src';
import { PacketFlags } from '../../src/packet';
import { psnr, run } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'g2g-native-enc-'));

describe('h264Enc (libx264)', () => {
  it('keyframes every key-int-max, dts ≤ pts, byte-stream caps with profile', async () => {
    const out: H264Packet[] = [];
    await pipe(
      videoTestSrc({ numBuffers: 40, width: 320, height: 240, pattern: 'ball', format: 'I420' }),
      h264Enc({ keyIntMax: 10, bframes: 2, speedPreset: 'veryfast', crf: 23 }),
      fakeSink<H264Packet>({ onPacket: (p) => void out.push(p) }),
    ).run();
    expect(out).toHaveLength(40);
    // x264 may put a scenecut I-frame in, but never IDRs further apart than the interval.
    const keys = out.map((p, i) => ((p.flags & PacketFlags.KEYFRAME) !== 0 ? p.pts! : -1)).filter((t) => t >= 0);
    expect(keys[0]).toBe(0);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    expect(out.every((p) => p.dts! <= p.pts!)).toBe(true);
    expect(out.some((p) => p.dts! < p.pts!)).toBe(true); // B-frames reorder
    const c = out[out.length - 1].caps;
    expect(c.toString()).toMatch(/video\/x-h264, stream-format=\(string\)byte-stream, alignment=\(string\)au, width=\(int\)320, height=\(int\)240, framerate=\(fraction\)30\/1.*profile=\(string\)high/);
  });

  for (const format of ['I420', 'NV12'] as const) {
    it(`${format}: encode → h264Parse → decode round trip at crf 18 keeps PSNR > 35 dB`, async () => {
      const sources = new Map<number, Uint8Array>();
      const decoded: RawVideoPacket[] = [];
      await pipe(
        videoTestSrc({ numBuffers: 30, width: 320, height: 240, pattern: 'smpte', overlay: 'frame', format }),
        tee({
          branches: [
            fakeSink<RawVideoPacket>({ onPacket: (p) => void sources.set(p.pts!, p.memory.data) }),
            pipe(h264Enc({ crf: 18, bframes: 2 }), h264Parse(), h264Dec({ backend: 'software', format }), fakeSink<RawVideoPacket>({ onPacket: (p) => void decoded.push(p) })),
          ],
        }),
      ).run();
      expect(decoded).toHaveLength(30);
      for (const f of decoded) {
        expect(f.caps.get('width')).toBe(320);
        expect(f.caps.get('height')).toBe(240);
        expect(psnr(sources.get(f.pts!)!, f.memory.data)).toBeGreaterThan(35);
      }
    });
  }

  it('zerolatency: one access unit out per frame in, no B-frames', async () => {
    const out: H264Packet[] = [];
    await pipe(
      videoTestSrc({ numBuffers: 20, width: 160, height: 120 }),
      h264Enc({ tune: 'zerolatency', speedPreset: 'ultrafast' }),
      fakeSink<H264Packet>({ onPacket: (p) => void out.push(p) }),
    ).run();
    expect(out.map((p) => p.pts)).toEqual(out.map((p) => p.dts));
    expect(out).toHaveLength(20);
  });

  it('launch: videoTestSrc num-buffers=300 ! h264Enc tune=zerolatency ! h264Parse ! mp4Mux ! fileSink makes an MP4 ffprobe reads cleanly', async () => {
    installNodeFileOpener();
    const registry = defaultRegistry.clone().register(h264DecEntry).register(h264EncEntry);
    const path = join(tmp, 'out.mp4');
    await parseLaunch(`videoTestSrc num-buffers=300 ! h264Enc tune=zerolatency ! h264Parse ! mp4Mux ! fileSink location=${path}`, registry).run();
    const { stdout, stderr } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,nb_read_frames,width,height', '-of', 'json', path]);
    expect(stderr).toBe('');
    const s = JSON.parse(stdout).streams[0];
    expect(s).toMatchObject({ codec_name: 'h264', nb_read_frames: '300' });
    // And it decodes without a single error.
    const dec = await run('ffmpeg', ['-v', 'error', '-xerror', '-err_detect', 'explode', '-i', path, '-f', 'null', '-']);
    expect(dec.stderr).toBe('');
  }, 60_000);

  it('with B-frames through mp4Mux (non-fragmented): ffprobe clean, 60 frames', async () => {
    const path = join(tmp, 'bframes.mp4');
    await pipe(videoTestSrc({ numBuffers: 60 }), h264Enc({ bframes: 3 }), h264Parse(), mp4Mux({ fragmented: false }), nodeFileSink(path)).run();
    const { stdout, stderr } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path]);
    expect(stderr).toBe('');
    expect(stdout.trim()).toBe('60');
    expect(readFileSync(path).byteLength).toBeGreaterThan(1000);
  });

  it('validates options with typed errors', () => {
    expect(() => h264Enc({ bitrate: 1000, crf: 20 })).toThrow(/exclusive/);
    expect(() => h264Enc({ crf: 60 })).toThrow(RangeError);
    expect(() => h264Enc({ tune: 'fast' as never })).toThrow(/tune/);
    expect(() => h264Dec({ format: 'RGBA' as never })).toThrow(/I420 or NV12/);
    expect(() => h264Dec({ backend: 'gpu' as never })).toThrow(/backend/);
  });
});
