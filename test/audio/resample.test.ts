import { describe, expect, it } from 'vitest';
import { audioResample, capsFilter } from '../../operators';
import { audioTestSrc } from '../../operators/audio-test-src';
import { SECOND } from '../../src';
import { rawAudioInfo, Resampler, type RawAudioPacket } from '../../src/audio';
import { collect, collectLaunch, joinPlanes, rmsDb, sineFit, tone, zeroCrossingFreq } from './helpers';

const filter = (c: string) => capsFilter<RawAudioPacket>(c);

/** Feeds `x` in chunks of `chunk` frames and flushes; the whole output. */
function resample(x: Float64Array, from: number, to: number, quality?: number, chunk = 1024): Float64Array {
  const r = new Resampler(from, to, 1, quality);
  const parts: Float64Array[] = [];
  for (let i = 0; i < x.length; i += chunk) parts.push(r.process([x.subarray(i, i + chunk)])[0]);
  parts.push(r.flush()[0]);
  const y = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) y.set(p, at), (at += p.length);
  return y;
}

/** Away from both ends, where the filter saw silence before the first and after the last input. */
const steady = (y: Float64Array) => y.subarray(2000, y.length - 2000);

describe('Resampler (windowed-sinc polyphase)', () => {
  it('48 kHz → 44.1 kHz: a 1 kHz tone keeps its frequency and amplitude, THD+N below −100 dB at the default quality', () => {
    const y = steady(resample(tone(1000, 48000, 48000), 48000, 44100));
    expect(zeroCrossingFreq(y, 44100)).toBeCloseTo(1000, 3);
    const fit = sineFit(y, 44100, 1000);
    expect(fit.amplitude).toBeCloseTo(0.5, 4);
    expect(fit.thdN).toBeLessThan(-100);
  });

  it('44.1 kHz → 48 kHz and 8 kHz → 44.1 kHz (441 phases) keep the tone clean', () => {
    expect(sineFit(steady(resample(tone(1000, 44100, 44100), 44100, 48000)), 48000, 1000).thdN).toBeLessThan(-100);
    expect(sineFit(steady(resample(tone(440, 8000, 16000), 8000, 44100)), 44100, 440).thdN).toBeLessThan(-90);
  });

  it('a ratio with more phases than the tables hold (44100 → 48001) interpolates between phases, still clean', () => {
    const y = steady(resample(tone(1000, 44100, 44100), 44100, 48001));
    expect(zeroCrossingFreq(y, 48001)).toBeCloseTo(1000, 3);
    expect(sineFit(y, 48001, 1000).thdN).toBeLessThan(-90);
  });

  it('removes what the output cannot carry: a 23 kHz tone at 48 kHz comes out of 44.1 kHz more than 90 dB down', () => {
    const x = tone(23000, 48000, 48000);
    expect(rmsDb(steady(resample(x, 48000, 44100))) - rmsDb(x)).toBeLessThan(-90);
    // Quality 0 (8 taps) lets much more through: the property chooses.
    expect(rmsDb(steady(resample(x, 48000, 44100, 0))) - rmsDb(x)).toBeGreaterThan(-40);
  });

  it('higher quality is cleaner, and the output does not depend on how the input is cut into buffers', () => {
    const x = tone(1000, 48000, 24000);
    const thd = [0, 2, 4, 6, 10].map((q) => sineFit(steady(resample(x, 48000, 44100, q)), 44100, 1000).thdN);
    for (let i = 1; i < thd.length; i++) expect(thd[i]).toBeLessThan(thd[i - 1]);
    expect(resample(x, 48000, 44100, 4, 7)).toEqual(resample(x, 48000, 44100, 4, 24000));
  });

  it('n frames in make ⌈n·out/in⌉ frames out, time-aligned: frame 0 is input time 0', () => {
    expect(resample(new Float64Array(48000), 48000, 44100)).toHaveLength(44100);
    expect(resample(new Float64Array(1001), 48000, 44100)).toHaveLength(Math.ceil((1001 * 44100) / 48000));
    expect(resample(new Float64Array(5), 8000, 48000)).toHaveLength(30);
    // A ramp reads back as the same ramp at the new rate (no delay): sample k ≈ input at k·in/out.
    const ramp = Float64Array.from({ length: 4800 }, (_, i) => Math.sin((2 * Math.PI * 50 * i) / 48000));
    const y = resample(ramp, 48000, 32000);
    expect(Math.abs(y[1000] - Math.sin((2 * Math.PI * 50 * 1500) / 48000))).toBeLessThan(1e-4);
  });
});

describe('audioResample element', () => {
  it('negotiates the rate downstream asks for and keeps the rest, in launch syntax', async () => {
    const { packets, caps } = await collectLaunch(
      'audioTestSrc num-buffers=10 freq=1000 ! audio/x-raw,rate=48000,channels=2,format=F32LE ! audioResample quality=6 ! audio/x-raw,rate=44100 ! fakeSink'
    );
    expect(caps.get('capsFilter1>fakeSink0')).toBe(
      'audio/x-raw, format=(string)F32LE, layout=(string)interleaved, rate=(int)44100, channels=(int)2, channel-mask=(int)3'
    );
    const [l, r] = joinPlanes(packets);
    expect(l.length).toBe(Math.ceil((10240 * 44100) / 48000));
    expect(r).toEqual(l);
    expect(sineFit(steady(l), 44100, 1000).thdN).toBeLessThan(-110);
  });

  it('pts from output frame counts: continuous from the first input pts, ending where the input ends', async () => {
    const ps = await collect(
      audioTestSrc({ numBuffers: 200, samplesperbuffer: 480 }),
      filter('audio/x-raw, rate=48000'),
      audioResample(),
      filter('audio/x-raw, rate=44100')
    );
    let frames = 0;
    for (let i = 0; i < ps.length; i++) {
      expect(ps[i].pts).toBe(Math.round((frames * SECOND) / 44100));
      frames += ps[i].memory.data.byteLength / 2;
      expect(ps[i].pts! + ps[i].duration!).toBe(Math.round((frames * SECOND) / 44100));
    }
    expect(frames).toBe(88200);
    expect(ps.at(-1)!.pts! + ps.at(-1)!.duration!).toBe(2 * SECOND);
    expect(rawAudioInfo(ps[0].caps).format).toBe('S16LE');
  });

  it('equal rates pass buffers through', async () => {
    const a = await collect(audioTestSrc({ numBuffers: 3 }));
    const b = await collect(audioTestSrc({ numBuffers: 3 }), audioResample());
    expect(b.map((p) => p.memory.data)).toEqual(a.map((p) => p.memory.data));
    expect(b[0].caps.toString()).toBe(a[0].caps.toString());
  });
});
