import { describe, expect, it } from 'vitest';
import { capsFilter, fakeSink } from '../../operators';
import { audioTestSrc } from '../../operators/audio-test-src';
import { pipe, SECOND, VirtualClock } from '../../src';
import { rawAudioInfo, type RawAudioPacket } from '../../src/audio';
import { collect, collectLaunch, joinPlanes, rmsDb, sineFit, zeroCrossingFreq } from './helpers';

describe('audioTestSrc negotiation', () => {
  it('fixates as audiotestsrc: S16LE, interleaved, 44100 Hz, mono, 1024 frames a buffer', async () => {
    const [p] = await collect(audioTestSrc({ numBuffers: 1 }));
    expect(p.caps.toString()).toBe('audio/x-raw, format=(string)S16LE, layout=(string)interleaved, rate=(int)44100, channels=(int)1');
    expect(p.memory.data.byteLength).toBe(1024 * 2);
  });

  it("takes rate and channels from downstream, our first format it allows, GStreamer's stereo channel-mask", async () => {
    const [p] = await collect(
      audioTestSrc({ numBuffers: 1, samplesperbuffer: 480 }),
      capsFilter<RawAudioPacket>('audio/x-raw, format={ F32LE, S32LE }, rate=[ 48000, 96000 ], channels=2')
    );
    expect(p.caps.toString()).toBe('audio/x-raw, format=(string)S32LE, layout=(string)interleaved, rate=(int)48000, channels=(int)2, channel-mask=(int)3');
    expect(p.memory.data.byteLength).toBe(480 * 2 * 4);
  });
});

describe('audioTestSrc signal', () => {
  it('sine: the frequency (zero crossings) and amplitude (least-squares fit) asked for, in every channel', async () => {
    const ps = await collect(
      audioTestSrc({ numBuffers: 47, freq: 1000, volume: 0.5 }),
      capsFilter<RawAudioPacket>('audio/x-raw, format=S16LE, rate=48000, channels=2')
    );
    const [l, r] = joinPlanes(ps);
    expect(l.length).toBe(47 * 1024);
    expect(zeroCrossingFreq(l, 48000)).toBeCloseTo(1000, 2);
    const fit = sineFit(l, 48000, 1000);
    expect(fit.amplitude).toBeCloseTo(0.5, 4);
    // S16 quantisation alone: 6.02·16 + 1.76 dB below full scale, the tone is 6 dB below it.
    expect(fit.thdN).toBeLessThan(-85);
    expect(r).toEqual(l);
  });

  it('silence is zeros; ticks are freq bursts of sine-periods-per-tick periods every tick-interval', async () => {
    const [s] = joinPlanes(await collect(audioTestSrc({ numBuffers: 3, wave: 'silence' })));
    expect(s.every((v) => v === 0)).toBe(true);
    const [t] = joinPlanes(
      await collect(
        audioTestSrc({ numBuffers: 100, wave: 'ticks', freq: 1000, volume: 1, tickInterval: SECOND / 2, sinePeriodsPerTick: 5 }),
        capsFilter<RawAudioPacket>('audio/x-raw, format=F32LE, rate=48000')
      )
    );
    const nonZero = [...t.keys()].filter((i) => t[i] !== 0);
    // 5 periods of 1 kHz = 240 frames from frame 0, 24000, 48000… (102,400 frames in all).
    const starts = nonZero.filter((i, k) => k === 0 || nonZero[k - 1] !== i - 1);
    expect(starts).toEqual([1, 24001, 48001, 72001, 96001]); // sin(0) = 0: each burst's first sample is silent
    expect(nonZero.filter((i) => i < 24000).at(-1)).toBe(239);
    expect(rmsDb(t.subarray(0, 240))).toBeCloseTo(-3.01, 1);
  });

  it('pts from frame counts: continuous and exact over 10,000 buffers (44100 Hz is not a whole number of ns a frame)', async () => {
    const ps = await collect(audioTestSrc({ numBuffers: 10_000, samplesperbuffer: 441, wave: 'silence' }));
    expect(ps).toHaveLength(10_000);
    for (let i = 0; i < ps.length; i++) {
      expect(ps[i].pts).toBe(Math.round((i * 441 * SECOND) / 44100));
      if (i > 0) expect(ps[i].pts).toBe(ps[i - 1].pts! + ps[i - 1].duration!);
    }
    expect(ps.at(-1)!.pts! + ps.at(-1)!.duration!).toBe(100 * SECOND);
    const odd = await collect(audioTestSrc({ numBuffers: 3000, samplesperbuffer: 1000, wave: 'silence' }));
    // 1000/44100 s = 22675736.96… ns: durations alternate so that they sum exactly.
    expect(new Set(odd.map((p) => p.duration))).toEqual(new Set([22675737, 22675736]));
    // Each pts is the frame count's time rounded to the nearest ns (not truncated): round(i·1000·1e9/44100).
    odd.forEach((p, i) => expect(p.pts).toBe(Number((BigInt(i * 1000) * 2_000_000_000n + 44100n) / 88200n)));
    expect(odd.at(-1)!.pts! + odd.at(-1)!.duration!).toBe(Math.round((3000 * 1000 * SECOND) / 44100));
  });

  it('live: buffer i is released and stamped at exactly base time + pts on the pipeline clock', async () => {
    const clock = new VirtualClock({ start: 3 * SECOND });
    const ps: RawAudioPacket[] = [];
    await pipe(
      audioTestSrc({ numBuffers: 20, isLive: true, samplesperbuffer: 480 }),
      capsFilter<RawAudioPacket>('audio/x-raw, rate=48000'),
      fakeSink<RawAudioPacket>({ onPacket: (p) => void ps.push(p) })
    ).run({
      clock,
      profile: 'live',
    });
    expect(ps.map((p) => p.meta.captureTime)).toEqual(ps.map((_, i) => 3 * SECOND + i * 10_000_000));
    expect(clock.now()).toBe(3 * SECOND + 190_000_000);
  });

  it('not live: no time passes on the clock', async () => {
    const clock = new VirtualClock();
    await pipe(audioTestSrc({ numBuffers: 50 }), fakeSink()).run({ clock });
    expect(clock.now()).toBe(0);
  });

  it('runs from launch syntax and prints its properties back', async () => {
    const { packets, caps } = await collectLaunch('audioTestSrc num-buffers=4 freq=1000 samplesperbuffer=256 ! audio/x-raw,rate=8000 ! fakeSink');
    expect(packets).toHaveLength(4);
    expect(rawAudioInfo(packets[0].caps).rate).toBe(8000);
    expect([...caps.values()][0]).toContain('rate=(int)8000');
    const p = pipe(audioTestSrc({ wave: 'ticks', numBuffers: 5, isLive: true, samplesperbuffer: 480 }), fakeSink());
    expect(p.toString()).toContain('audioTestSrc name=audioTestSrc0 wave=ticks samplesperbuffer=480 num-buffers=5 is-live=true');
  });

  it('rejects bad options when built', () => {
    expect(() => audioTestSrc({ freq: -1 })).toThrow(/audioTestSrc freq: expected a number in \[0, 20000\]/);
    expect(() => audioTestSrc({ wave: 'square' as never })).toThrow(/audioTestSrc wave: expected one of sine, silence, ticks/);
    expect(() => audioTestSrc({ samplesperbuffer: 0 })).toThrow(/samplesperbuffer/);
  });
});
