import { describe, expect, it } from 'vitest';
import { capsFilter, level } from '../../operators';
import { audioTestSrc } from '../../operators/audio-test-src';
import { MILLISECOND, SECOND } from '../../src';
import { LevelMeter, levelsOf, type LevelMeasurement, type RawAudioPacket } from '../../src/audio';
import { collect, collectLaunch, joinPlanes } from './helpers';

const filter = (c: string) => capsFilter<RawAudioPacket>(c);
const db = (power: number) => 10 * Math.log10(power);

describe('level', () => {
  it('RMS and peak per channel match what is computed from the samples, every 100 ms, in the buffer where each interval ends', async () => {
    const posted: LevelMeasurement[] = [];
    const ps = await collect(
      audioTestSrc({ numBuffers: 48, freq: 1000, volume: 0.5 }),
      filter('audio/x-raw, format=S16LE, rate=48000, channels=2'),
      level({ onLevel: (m) => void posted.push(m) })
    );
    const [l] = joinPlanes(ps);
    const metas = ps.flatMap((p) => levelsOf(p));
    // 48 × 1024 frames = 1.024 s: ten full 100 ms intervals in metas, the partial last one only at EOS.
    expect(metas).toHaveLength(10);
    expect(posted).toHaveLength(11);
    expect(posted.slice(0, 10)).toEqual(metas);
    metas.forEach((m, k) => {
      const x = l.subarray(k * 4800, (k + 1) * 4800);
      const rms = db(x.reduce((s, v) => s + v * v, 0) / x.length);
      const peak = db(Math.max(...x.map(Math.abs)) ** 2);
      expect(m.timestamp).toBe(k * 100 * MILLISECOND);
      expect(m.duration).toBe(100 * MILLISECOND);
      expect(m.rms).toHaveLength(2);
      expect(m.rms[0]).toBeCloseTo(rms, 9);
      expect(m.rms[1]).toBeCloseTo(rms, 9);
      expect(m.peak[0]).toBeCloseTo(peak, 9);
      // A 0.5 sine: RMS −9.03 dBFS, peak −6.02 dBFS.
      expect(m.rms[0]).toBeCloseTo(db(0.125), 3);
      expect(m.peak[0]).toBeCloseTo(db(0.25), 3);
    });
    // Interval 0 ends at frame 4800, inside buffer 4 (frames 4096–5119).
    expect(levelsOf(ps[4])).toEqual([metas[0]]);
    expect(levelsOf(ps[3])).toEqual([]);
    expect(posted[10].duration).toBe(Math.round(((49152 - 48000) * SECOND) / 48000));
  });

  it('a buffer longer than the interval carries every interval it closes; digital silence is −Infinity', () => {
    const m = new LevelMeter(1, 1000, 10);
    const done = m.push([new Float64Array(35).fill(0.25)], 0);
    expect(done.map((x) => x.timestamp)).toEqual([0, 10_000_000, 20_000_000]);
    expect(done[0].rms[0]).toBeCloseTo(db(0.0625), 12);
    expect(m.push([new Float64Array(5)], 35_000_000)[0].rms[0]).toBeCloseTo(10 * Math.log10((5 * 0.0625) / 10), 12);
    expect(new LevelMeter(1, 1000, 4).push([new Float64Array(4)], 0)[0]).toMatchObject({ rms: [-Infinity], peak: [-Infinity] });
  });

  it('runs in launch syntax with interval in ns as GStreamer, and passes the samples through', async () => {
    const { packets } = await collectLaunch('audioTestSrc num-buffers=10 samplesperbuffer=441 ! level interval=50000000 ! fakeSink');
    // 4410 frames at 44.1 kHz: two 50 ms intervals (2205 frames), ending in buffers 4 and 9.
    expect(packets.map((p) => levelsOf(p).length)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(levelsOf(packets[9])[0].timestamp).toBe(50 * MILLISECOND);
    expect(levelsOf(packets[4])[0].rms[0]).toBeCloseTo(db(0.32), 2); // 0.8 sine
  });
});
