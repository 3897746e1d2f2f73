import { describe, expect, it } from 'vitest';
import { NegotiationError, PacketFlags, pipe, SECOND, VirtualClock, type Packet } from '../../src';
import { capsFilter, fakeSink, queue } from '../../operators';
import { videoTestSrc, type RawVideoPacket } from '../../operators/video-test-src';
import { frameLayout, readPixel } from '../../src/video';

async function collect(src: ReturnType<typeof videoTestSrc>, opts: { filter?: string; clock?: VirtualClock; profile?: 'live' | 'throughput' } = {}): Promise<RawVideoPacket[]> {
  const out: RawVideoPacket[] = [];
  const sink = fakeSink<RawVideoPacket>({ onPacket: (p) => void out.push(p) });
  const p = opts.filter ? pipe(src, capsFilter<RawVideoPacket>(opts.filter), sink) : pipe(src, sink);
  await p.run({ clock: opts.clock ?? new VirtualClock(), profile: opts.profile });
  return out;
}

describe('videoTestSrc negotiation', () => {
  it('defaults to 320x240 at 30/1 in NV12, as GStreamer to 320x240', async () => {
    const [p] = await collect(videoTestSrc({ numBuffers: 1 }));
    expect(p.caps.toString()).toBe('video/x-raw, format=(string)NV12, width=(int)320, height=(int)240, framerate=(fraction)30/1');
    expect(p.memory.data.byteLength).toBe(frameLayout('NV12', 320, 240).size);
  });

  it("fixates within downstream's constraints: our first format it allows, the size nearest 320x240, the rate nearest 30/1", async () => {
    const [p] = await collect(videoTestSrc({ numBuffers: 1 }), { filter: 'video/x-raw, format={RGBA, I420}, width=[640, 1920], height=[100, 200], framerate=[50/1, 60/1]' });
    expect(p.caps.toString()).toBe('video/x-raw, format=(string)I420, width=(int)640, height=(int)200, framerate=(fraction)50/1');
    const [q] = await collect(videoTestSrc({ numBuffers: 1 }), { filter: 'video/x-raw, format=I420, width={100, 300, 500}, framerate={10/1, 25/1, 60/1}' });
    expect(q.caps.toString()).toBe('video/x-raw, format=(string)I420, width=(int)300, height=(int)240, framerate=(fraction)25/1');
  });

  it('takes format, size and rate from its options, and fails negotiation when downstream disagrees', async () => {
    const [p] = await collect(videoTestSrc({ numBuffers: 1, format: 'I420', width: 641, height: 359, framerate: '30000/1001' }));
    expect(p.caps.toString()).toBe('video/x-raw, format=(string)I420, width=(int)641, height=(int)359, framerate=(fraction)30000/1001');
    expect(p.memory.data.byteLength).toBe(641 * 359 + 2 * 321 * 180);
    const run = pipe(videoTestSrc({ numBuffers: 1, format: 'RGBA' }), capsFilter('video/x-raw, format=NV12'), fakeSink()).run();
    await expect(run).rejects.toBeInstanceOf(NegotiationError);
    await expect(run).rejects.toThrow(/format/);
  });

  it('rejects bad options when built', () => {
    expect(() => videoTestSrc({ width: 0 })).toThrow(/videoTestSrc width: expected an unsigned integer in \[1, 16384\]/);
    expect(() => videoTestSrc({ format: 'YUY2' as never })).toThrow(/videoTestSrc format: expected one of NV12, I420, RGBA/);
    expect(() => videoTestSrc({ framerate: '0/1' })).toThrow(/framerate/);
    expect(() => videoTestSrc({ pattern: 'snow' as never })).toThrow(/videoTestSrc pattern: expected one of smpte/);
    expect(() => videoTestSrc({ numBuffers: -2 })).toThrow(/videoTestSrc num-buffers: expected an integer ≥ -1/);
  });
});

describe('videoTestSrc stream', () => {
  it('stamps pts = round(i·1e9·den/num), durations that sum exactly, keyframes, numBuffers frames', async () => {
    const ps = await collect(videoTestSrc({ numBuffers: 31, framerate: '30/1' }));
    expect(ps).toHaveLength(31);
    expect(ps.slice(0, 4).map((p) => p.pts)).toEqual([0, 33_333_333, 66_666_667, 100_000_000]);
    expect(ps[30].pts).toBe(SECOND);
    ps.forEach((p) => {
      expect(p.dts).toBe(p.pts);
      expect(p.flags & PacketFlags.KEYFRAME).toBe(PacketFlags.KEYFRAME);
      expect(p.meta.captureTime).toBeUndefined();
    });
    expect(ps.slice(0, 30).reduce((s, p) => s + p.duration!, 0)).toBe(SECOND);
    // One Caps object for the whole stream (the runtime checks caps by reference).
    expect(new Set(ps.map((p) => p.caps)).size).toBe(1);
    expect(await collect(videoTestSrc({ numBuffers: 0 }))).toHaveLength(0);
  });

  it('live: frame i is captured at exactly base time + pts on the pipeline clock', async () => {
    const clock = new VirtualClock({ start: 5 * SECOND });
    const ps = await collect(videoTestSrc({ numBuffers: 10, isLive: true, framerate: '25/1' }), { clock, profile: 'live' });
    expect(ps.map((p) => p.meta.captureTime)).toEqual(ps.map((p) => 5 * SECOND + p.pts!));
    expect(ps[9].meta.captureTime).toBe(5 * SECOND + 360_000_000);
    expect(clock.now()).toBe(5 * SECOND + 360_000_000);
  });

  it('not live: as fast as pulled, no time passes on the clock', async () => {
    const clock = new VirtualClock();
    const ps = await collect(videoTestSrc({ numBuffers: 100 }), { clock });
    expect(ps).toHaveLength(100);
    expect(clock.now()).toBe(0);
  });

  it('every frame is its own buffer, so a consumer may hold frames (here a queue of 200)', async () => {
    const out: RawVideoPacket[] = [];
    await pipe(videoTestSrc({ numBuffers: 8, pattern: 'ball', overlay: 'frame', width: 64, height: 48 }), queue<RawVideoPacket>(), fakeSink<RawVideoPacket>({ onPacket: (p) => void out.push(p) })).run({ clock: new VirtualClock() });
    expect(new Set(out.map((p) => p.memory.data.buffer)).size).toBe(8);
    const lumas = out.map((p) => Buffer.from(p.memory.data.subarray(0, 64 * 48)).toString('hex'));
    expect(new Set(lumas).size).toBe(8);
  });

  it('draws the requested pattern and overlay', async () => {
    const [p] = await collect(videoTestSrc({ numBuffers: 1, pattern: 'solid', foregroundColor: 0xff0000ff, format: 'RGBA', width: 8, height: 8 }));
    expect(readPixel({ layout: frameLayout('RGBA', 8, 8), data: p.memory.data }, 7, 7)).toEqual([0, 0, 255, 255]);
  });

  it('prints its properties in launch syntax', () => {
    const p = pipe(videoTestSrc({ pattern: 'ball', numBuffers: 5, isLive: true, overlay: 'clock' }), fakeSink<Packet>());
    expect(p.toString()).toContain('videoTestSrc name=videoTestSrc0 pattern=ball num-buffers=5 is-live=true overlay=clock');
  });
});
