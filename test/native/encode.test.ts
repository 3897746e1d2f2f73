import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installNodeFileOpener, nodeFileSink } from '../../node/drivers/fs';
import { h264Dec, type RawVideoPacket } from '../../node/elements/h264-dec';
import { h264Enc, type H264Packet } from '../../node/elements/h264-enc';
import { fakeSink } from '../../operators/fake-sink';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Mux } from '../../operators/mp4-mux';
import { cliRegistry } from '../../node/cli/registry';
import { tee } from '../../operators/tee';
import { identity } from '../../operators/identity';
import { videoTestSrc } from '../../operators/video-test-src';
import { Caps, pipe } from '../../src';
import { parseLaunch } from '../../operators/launch';
import { packet, PacketFlags } from '../../src/packet';
import { nodeFileSrc } from '../../node/drivers/fs';
import { defineSource, defineTransform } from '../../src/operator';
import { mapReader } from '../../src/reader';
import { EOS } from '../../src/element';
import { cpuMemory } from '../../src/memory/memory';
import { stridedLayout, withVideoMeta } from '../../src/video/meta';
import { encodeH264 } from '../fixtures/h264';
import { psnr, run } from './helpers';
import { requirePeer } from '../peers';

requirePeer('native', 'ffmpeg', 'ffprobe');

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
    const registry = cliRegistry();
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

  it('transcodes a decoder\'s padded frames as they are (VIDEO_META): the same bytes as from packed frames, no copy', async () => {
    const input = await encodeH264({ profile: 'high', width: 322, height: 178, bframes: 2, frames: 24 });
    // Reads nothing but does not declare VIDEO_META either: the decoder then packs every frame.
    const opaque = defineTransform<RawVideoPacket, RawVideoPacket>({ factory: 'opaque', props: {}, sinkCaps: Caps.any(), srcCaps: Caps.any(), outputCaps: (i) => i, open: (_ctx, up) => mapReader(up, (p) => p) });
    const transcode = async (packFirst: boolean) => {
      const aus: H264Packet[] = [];
      const frames: boolean[] = [];
      const probe = defineTransform<RawVideoPacket, RawVideoPacket>({ factory: 'probe', props: {}, sinkCaps: Caps.any(), srcCaps: Caps.any(), passthrough: true, metas: 'forward', open: (_ctx, up) => mapReader(up, (p) => (frames.push(p.meta.videoMeta !== undefined), p)) });
      const stats = await pipe(
        nodeFileSrc(input),
        h264Parse(),
        h264Dec({ backend: 'software' }),
        probe,
        packFirst ? opaque : identity<RawVideoPacket>(),
        h264Enc({ tune: 'zerolatency', threads: 1, crf: 20 }),
        fakeSink<H264Packet>({ onPacket: (p) => void aus.push(p) }),
      ).run();
      return { aus, frames, stats };
    };
    const [direct, packed] = [await transcode(false), await transcode(true)];
    expect(direct.frames).toHaveLength(24);
    expect(direct.frames.every(Boolean)).toBe(true);
    expect(packed.frames.some(Boolean)).toBe(false);
    expect(direct.stats.copies.count).toBe(0);
    expect(packed.stats.copies.count).toBe(24);
    // libx264 read the same pictures either way: identical access units.
    expect(direct.aus.length).toBe(24);
    expect(direct.aus.map((p) => Buffer.from(p.memory.data).toString('hex'))).toEqual(packed.aus.map((p) => Buffer.from(p.memory.data).toString('hex')));
    // The frame's plane layout does not follow it into the access units.
    expect(direct.aus.some((p) => p.meta.videoMeta !== undefined)).toBe(false);
  });

  it('refuses a video meta that describes another frame than the caps (no silent crop)', async () => {
    const c = Caps.parse('video/x-raw, format=(string)I420, width=(int)64, height=(int)48, framerate=(fraction)30/1');
    const wrong = stridedLayout('I420', 32, 24, [{ offset: 0, stride: 64 }, { offset: 64 * 48, stride: 32 }, { offset: 64 * 48 + 32 * 24, stride: 32 }], 64 * 48 * 2);
    let sent = false;
    const src = defineSource<RawVideoPacket>({
      factory: 'liar',
      props: {},
      srcCaps: c,
      open: () => ({ pull: () => (sent ? EOS : ((sent = true), packet({ caps: c, pts: 0, memory: cpuMemory(new Uint8Array(64 * 48 * 2)), meta: withVideoMeta({}, wrong) }) as RawVideoPacket)) }),
    });
    const err = await pipe(src, h264Enc({ tune: 'zerolatency' }), fakeSink()).run().catch((e: unknown) => e);
    expect(String(err)).toMatch(/video meta for a 32x24 I420 frame on 64x48 I420 caps/);
  });

  it('refuses a strided frame whose planes do not fit its bytes, without a crash', async () => {
    const { loadNative } = await import('../../node/native/loader');
    const enc = new (loadNative().NativeEncoder)({ width: 64, height: 48, format: 'I420', fpsNum: 30, fpsDen: 1, tune: 'zerolatency' });
    const data = new Uint8Array(64 * 48 * 2);
    await expect(enc.encode(data, 0, false, undefined, [0, 64 * 48, 6000], [64, 32, 32])).rejects.toThrow(/plane 2/);
    await expect(enc.encode(data, 0, false, undefined, [0, 4000, 5000], [60, 32, 32])).rejects.toThrow(/plane 0/);
    expect(() => enc.encode(data, 0, false, undefined, [0, 4000], [64, 32, 32])).toThrow(/together/);
    expect(await enc.encode(data, 0, false, undefined, [0, 64 * 48, 64 * 48 + 32 * 24], [64, 32, 32])).toHaveLength(1);
    enc.close();
  });

  it('validates options with typed errors', () => {
    expect(() => h264Enc({ bitrate: 1000, crf: 20 })).toThrow(/exclusive/);
    expect(() => h264Enc({ crf: 60 })).toThrow("invalid value '60' for h264Enc crf: expected a number in [0, 51]");
    expect(() => h264Enc({ tune: 'fast' as never })).toThrow(/tune/);
    expect(() => h264Dec({ format: 'RGBA' as never })).toThrow(/h264Dec format: expected one of I420, NV12/);
    expect(() => h264Dec({ backend: 'gpu' as never })).toThrow(/backend/);
  });
});
