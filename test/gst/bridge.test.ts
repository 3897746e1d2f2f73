import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipe, rawVideoInfo } from '../../src';
import { ElementError, NegotiationError } from '../../src/pipeline/errors';
import { fakeSink, fileSink, h264Parse, mp4Mux, videoTestSrc } from '../../operators';
import { execFileSync } from 'node:child_process';
import { gstBin } from '../../node/elements/gst-bin';
import { gstSink } from '../../node/elements/gst-sink';
import { gstSrc } from '../../node/elements/gst-src';
import { h264Dec } from '../../node/elements/h264-dec';
import { GstBusError, lentCount } from '../../node/elements/gst/bridge';
import { loadGst } from '../../node/elements/gst/addon';
import type { Packet } from '../../src/packet';
import { PacketFlags } from '../../src/packet';
import { expectValidMp4 } from '../mp4/helpers';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { cliRegistry } from '../../node/cli/registry';
import { parseLaunch } from '../../operators/launch';
import { requirePeer } from '../peers';

requirePeer('gstreamer', 'gst-bridge', 'ffmpeg', 'ffprobe');

const dir = mkdtempSync(join(tmpdir(), 'g2g-gst-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => installNodeFileOpener());
setFlagsFromString('--expose-gc');
/** Output packets hold their GstBuffer (and its pool: a GstPoll, two sockets) until V8 collects them. */
const gc = runInNewContext('gc') as () => void;

/** G2G_BRIDGE_CYCLES=1000 for the soak the issue asks for (about 17 s here). */
const CYCLES = Number(process.env.G2G_BRIDGE_CYCLES ?? 200);

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

  it('system memory crosses without a copy both ways, bytes intact (identity)', async () => {
    const direct: Uint8Array[] = [];
    const bridged: Uint8Array[] = [];
    const keep = (to: Uint8Array[]) => (p: Packet) => void (p.memory.domain === 'cpu' && to.push(new Uint8Array(p.memory.data)));
    await pipe(videoTestSrc({ numBuffers: 10, width: 160, height: 120 }), fakeSink({ onPacket: keep(direct) })).run();
    const stats = await pipe(
      videoTestSrc({ numBuffers: 10, width: 160, height: 120 }),
      gstBin({ pipeline: 'identity' }),
      fakeSink({ onPacket: keep(bridged) })
    ).run();
    expect(stats.copies.count).toBe(0);
    expect(bridged).toHaveLength(10);
    expect(Buffer.concat(bridged).equals(Buffer.concat(direct))).toBe(true);
  });

  it('works in launch syntax, the fragment quoted as gst-launch quotes it', async () => {
    const stats = await parseLaunch(
      'videoTestSrc num-buffers=30 ! gstBin pipeline="videoconvert ! videoscale ! video/x-raw,width=320,height=240" ! fakeSink',
      cliRegistry()
    ).run();
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
    const run = pipe(
      videoTestSrc({ numBuffers: 5 }),
      gstBin({ pipeline: 'videoconvert ! jpegenc' }),
      h264Parse(),
      fakeSink({ onPacket: () => void seen++ })
    ).run();
    const e = await run.then(
      () => undefined,
      (err: unknown) => err
    );
    expect(e).toBeInstanceOf(NegotiationError);
    expect(String((e as Error).message)).toMatch(/GStreamer element jpegenc\d* \(jpegenc\)/);
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
    const e = await pipe(videoTestSrc({ numBuffers: 30, width: 320, height: 240 }), gstBin({ pipeline: 'identity error-after=5 name=broken' }), fakeSink())
      .run()
      .then(
        () => undefined,
        (err: unknown) => err
      );
    expect(e).toBeInstanceOf(ElementError);
    expect((e as Error).message).toMatch(/gstBin/);
    expect((e as Error).message, (e as Error).message).toMatch(/^gstBin0 failed( at pts \S+)?: GStreamer broken \(identity\): /);
    expect(((e as ElementError).cause as GstBusError).gstElement).toBe('broken');
  });

  it(`${CYCLES} start/stop cycles (EOS and abort) leave threads and fds flat`, async () => {
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
    for (let i = 0; i < 40; i++) await cycle(i); // warm-up: GStreamer's thread pool, plugin loading, V8 heap growth
    gc();
    await new Promise((r) => setTimeout(r, 50));
    const t0 = threads();
    const f0 = fds();
    const m0 = process.memoryUsage().rss;
    for (let i = 0; i < CYCLES; i++) await cycle(i);
    gc();
    await new Promise((r) => setTimeout(r, 50));
    expect(threads() - t0).toBeLessThanOrEqual(2);
    expect(lentCount(loadGst())).toBeLessThanOrEqual(8);
    const grown = (process.memoryUsage().rss - m0) / 2 ** 20;
    console.log(`${CYCLES} cycles: threads ${t0} → ${threads()}, fds ${f0} → ${fds()}, rss +${grown.toFixed(1)} MiB`);
    // RSS is noisy (V8 heap and malloc arenas grow in steps): this catches a pipeline leaked per cycle
    // (elements, pools, threads: hundreds of KiB each), not a small frame.
    expect(grown).toBeLessThan(128);
    expect(fds() - f0).toBeLessThanOrEqual(2);
  }, 600_000);
});

describe('gstSrc', () => {
  it('gstSrc(filesrc ! matroskademux ! h264parse) of an MKV made by ffmpeg → h264Dec: bit-exact with ffmpeg', async () => {
    const mkv = join(dir, 'in.mkv');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=25:duration=2',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-bf',
      '2',
      '-g',
      '12',
      mkv,
    ]);
    const reference = execFileSync('ffmpeg', ['-v', 'error', '-i', mkv, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'], { maxBuffer: 1 << 26 });
    const frames: Uint8Array[] = [];
    await pipe(
      gstSrc({ pipeline: `filesrc location=${mkv} ! matroskademux ! h264parse` }),
      h264Parse(),
      h264Dec(),
      fakeSink({ onPacket: (p) => void (p.memory.domain === 'cpu' && frames.push(new Uint8Array(p.memory.data))) })
    ).run();
    expect(frames).toHaveLength(50);
    expect(Buffer.concat(frames).equals(reference)).toBe(true);
  });
});

describe('gstSink', () => {
  it("videoTestSrc → gstBin(x264enc) → h264Parse → gstSink(h264parse ! mp4mux ! filesink): GStreamer's mp4mux writes a valid file", async () => {
    const file = join(dir, 'gst-mux.mp4');
    await pipe(
      videoTestSrc({ numBuffers: 30, width: 320, height: 240 }),
      gstBin({ pipeline: 'videoconvert ! x264enc speed-preset=ultrafast key-int-max=10 ! video/x-h264,stream-format=byte-stream' }),
      h264Parse(),
      gstSink({ pipeline: `h264parse ! mp4mux ! filesink location=${file}` })
    ).run();
    expectValidMp4(file);
    const n = execFileSync(
      'ffprobe',
      ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width', '-of', 'csv=p=0', file],
      { encoding: 'utf8' }
    );
    expect(n.trim()).toBe('320,30');
  });

  it('a sink fragment that errors fails the pipeline naming the inner element', async () => {
    const e = await pipe(videoTestSrc({ numBuffers: 30, width: 64, height: 48 }), gstSink({ pipeline: 'videoconvert ! filesink location=/nonexistent/dir/x' }))
      .run()
      .then(
        () => undefined,
        (err: unknown) => err
      );
    expect(e).toBeInstanceOf(ElementError);
    expect((e as Error).message).toMatch(/gstSink0 failed.*filesink/);
  });
});

describe('the bridge addon', () => {
  it('exports exactly what the generated native-gst/index.d.ts declares', () => {
    const dts = readFileSync(new URL('../../native-gst/index.d.ts', import.meta.url), 'utf8');
    const declared = [...dts.matchAll(/export declare (?:class|function) (\w+)/g)].map((m) => m[1]).sort();
    expect(Object.keys(loadGst()).sort()).toEqual(declared);
    expect(declared).toEqual(['GstFragment', 'gstHasElement', 'gstVersion', 'takeReleased']);
  });

  it('the main addon does not link libgstreamer', () => {
    const deps = execFileSync('ldd', [new URL('../../native/g2g_native.node', import.meta.url).pathname], { encoding: 'utf8' });
    expect(deps).not.toMatch(/libgst/);
  });
});
