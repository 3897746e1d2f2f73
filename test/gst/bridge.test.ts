import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipe, rawVideoInfo } from '../../src';
import { ElementError, NegotiationError } from '../../src/pipeline/errors';
import { fakeSink, fileSink, h264Parse, mp4Mux, videoTestSrc } from '../../operators';
import { gstBin } from '../../node/elements/gst-bin';
import type { Packet } from '../../src/packet';
import { PacketFlags } from '../../src/packet';
import { expectValidMp4 } from '../mp4/helpers';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { requirePeer } from '../peers';

requirePeer('gstreamer', 'gst-bridge', 'ffmpeg', 'ffprobe');

const dir = mkdtempSync(join(tmpdir(), 'g2g-gst-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => installNodeFileOpener());
setFlagsFromString('--expose-gc');
/** Output packets hold their GstBuffer (and its pool: a GstPoll, two sockets) until V8 collects them. */
const gc = runInNewContext('gc') as () => void;

const threads = (): number => readdirSync('/proc/self/task').length;
const fds = (): number => readdirSync('/proc/self/fd').length;

describe('gstBin', () => {
  it('videoTestSrc → gstBin(videoconvert ! videoscale ! 320x240) → fakeSink: sizes, times and capture time cross', async () => {
    const got: Packet[] = [];
    const stats = await pipe(
      videoTestSrc({ isLive: true, numBuffers: 30, width: 640, height: 480 }),
      gstBin({ pipeline: 'videoconvert ! videoscale ! video/x-raw,width=320,height=240' }),
      fakeSink({ onPacket: (p) => void got.push(p) })
    ).run();
    expect(got).toHaveLength(30);
    for (const [i, p] of got.entries()) {
      const { width, height, format } = rawVideoInfo(p.caps);
      expect([width, height]).toEqual([320, 240]);
      expect(p.memory.domain).toBe('cpu');
      expect(['I420', 'NV12', 'YV12']).toContain(format);
      if (p.memory.domain === 'cpu') expect(p.memory.data.byteLength).toBe(320 * 240 * 1.5);
      expect(p.pts).toBe(got[0].pts! + Math.round((i * 1e9) / 30));
      expect(p.duration).toBeGreaterThan(0);
      expect(p.flags & PacketFlags.KEYFRAME).toBe(PacketFlags.KEYFRAME);
      expect(typeof p.meta.captureTime).toBe('number');
    }
    expect(stats.delivered).toBe(30);
  });

  it('videoTestSrc → gstBin(x264enc) → h264Parse → mp4Mux → fileSink: an ffprobe-valid file', async () => {
    const file = join(dir, 'x264.mp4');
    await pipe(
      videoTestSrc({ numBuffers: 30, width: 320, height: 240 }),
      gstBin({ pipeline: 'videoconvert ! x264enc speed-preset=ultrafast key-int-max=10 ! video/x-h264,stream-format=byte-stream' }),
      h264Parse(),
      mp4Mux(),
      fileSink({ location: file })
    ).run();
    expectValidMp4(file);
  });

  it('a fragment that cannot negotiate fails before data flows, naming the GStreamer element', async () => {
    let seen = 0;
    // jpegenc makes image/jpeg; h264Parse takes H.264 only.
    const run = pipe(videoTestSrc({ numBuffers: 5 }), gstBin({ pipeline: 'videoconvert ! jpegenc' }), h264Parse(), fakeSink({ onPacket: () => void seen++ })).run();
    const e = await run.then(
      () => undefined,
      (err: unknown) => err
    );
    expect(e).toBeInstanceOf(NegotiationError);
    expect(String((e as Error).message)).toMatch(/jpegenc0/);
    expect(seen).toBe(0);
  });

  it('a fragment whose input is another medium fails at negotiation, before data flows', async () => {
    const e = await pipe(videoTestSrc({ numBuffers: 5 }), gstBin({ pipeline: 'audioconvert' }), fakeSink())
      .run()
      .then(
        () => undefined,
        (err: unknown) => err
      );
    expect(e).toBeInstanceOf(NegotiationError);
    expect((e as Error).message).toMatch(/gstBin0[\s\S]*audio\/x-raw/);
  });

  it('a fragment erroring mid-stream fails the pipeline with an ElementError naming the bridge and the inner element', async () => {
    // videoscale refuses nothing; a capsfilter after it passes; the error comes from a buffer over its limit.
    const e = await pipe(
      videoTestSrc({ numBuffers: 30, width: 320, height: 240 }),
      gstBin({ pipeline: 'identity error-after=5 name=broken' }),
      fakeSink()
    )
      .run()
      .then(
        () => undefined,
        (err: unknown) => err
      );
    expect(e).toBeInstanceOf(ElementError);
    expect((e as Error).message).toMatch(/gstBin/);
    expect((e as Error).message).toMatch(/broken/);
  });

  it('200 start/stop cycles (EOS and abort) leave threads and fds flat', async () => {
    const cycle = async (i: number): Promise<void> => {
      const p = pipe(
        videoTestSrc({ numBuffers: i % 2 === 0 ? 3 : 1000, width: 64, height: 48 }),
        gstBin({ pipeline: 'videoconvert ! videoscale ! video/x-raw,width=32,height=24' }),
        fakeSink()
      ).start();
      if (i % 2 === 1) {
        await new Promise((r) => setTimeout(r, 1));
        p.abort();
      }
      await p.done.catch(() => undefined);
    };
    for (let i = 0; i < 10; i++) await cycle(i); // warm-up: GStreamer's thread pool, plugin loading
    gc();
    await new Promise((r) => setTimeout(r, 50));
    const t0 = threads();
    const f0 = fds();
    for (let i = 0; i < 200; i++) await cycle(i);
    gc();
    await new Promise((r) => setTimeout(r, 50));
    expect(threads() - t0).toBeLessThanOrEqual(2);
    expect(fds() - f0).toBeLessThanOrEqual(2);
  }, 120_000);
});
