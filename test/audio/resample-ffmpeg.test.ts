/**
 * audioResample's filter against FFmpeg's libswresample (`ffmpeg -ar`, its default filter) on the same raw
 * tone: the same frequency, amplitude and time alignment, sample for sample, and no more distortion.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Resampler } from '../../src/audio';
import { requirePeer } from '../peers';
import { rmsDb, sineFit, tone, zeroCrossingFreq } from './helpers';

requirePeer('ffmpeg');

const dir = mkdtempSync(join(tmpdir(), 'g2g-resample-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** libswresample's output for a mono F32LE signal. */
function ffmpegResample(x: Float32Array, from: number, to: number): Float64Array {
  const input = join(dir, 'in.f32');
  const output = join(dir, 'out.f32');
  writeFileSync(input, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  const r = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'f32le', '-ar', String(from), '-ac', '1', '-i', input, '-ar', String(to), '-f', 'f32le', output],
    { encoding: 'utf8' }
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  const b = readFileSync(output);
  return Float64Array.from(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4));
}

function ours(x: Float32Array, from: number, to: number, quality?: number): Float64Array {
  const r = new Resampler(from, to, 1, quality);
  const a = r.process([Float64Array.from(x)])[0];
  const b = r.flush()[0];
  const y = new Float64Array(a.length + b.length);
  y.set(a);
  y.set(b, a.length);
  return y;
}

describe('audioResample against libswresample', () => {
  for (const [from, to, freq] of [
    [48000, 44100, 1000],
    [44100, 48000, 1000],
    [48000, 16000, 440],
  ] as const) {
    it(`${from} → ${to}: a ${freq} Hz tone`, () => {
      const x = Float32Array.from(tone(freq, from, from * 2));
      const ref = ffmpegResample(x, from, to);
      const y = ours(x, from, to);
      // Same length (both compensate the filter's delay and flush the tail) and the same samples.
      expect(Math.abs(y.length - ref.length)).toBeLessThanOrEqual(1);
      const mid = (v: Float64Array) => v.subarray(2000, Math.min(y.length, ref.length) - 2000);
      const diff = mid(y).map((v, i) => v - mid(ref)[i]);
      expect(rmsDb(diff)).toBeLessThan(-70);
      expect(zeroCrossingFreq(mid(y), to)).toBeCloseTo(zeroCrossingFreq(mid(ref), to), 3);
      const a = sineFit(mid(y), to, freq);
      const b = sineFit(mid(ref), to, freq);
      expect(a.amplitude).toBeCloseTo(b.amplitude, 3);
      // The default (quality 4, GStreamer's) is within 5 dB of FFmpeg's default filter; quality 6 beats it.
      const best = sineFit(mid(ours(x, from, to, 6)), to, freq).thdN;
      console.log(
        `${from} → ${to}, ${freq} Hz: THD+N ours ${a.thdN.toFixed(1)} dB (quality 6: ${best.toFixed(1)} dB), libswresample ${b.thdN.toFixed(
          1
        )} dB; difference ${rmsDb(diff).toFixed(1)} dBFS`
      );
      expect(a.thdN).toBeLessThan(b.thdN + 5);
      expect(best).toBeLessThan(b.thdN);
    });
  }

  it('attenuates what lies above the new Nyquist at least as much as libswresample', () => {
    const x = Float32Array.from(tone(23000, 48000, 96000));
    const level = (v: Float64Array) => rmsDb(v.subarray(2000, v.length - 2000));
    const a = level(ours(x, 48000, 44100));
    const b = level(ffmpegResample(x, 48000, 44100));
    console.log(`23 kHz 48k → 44.1k: ours ${a.toFixed(1)} dBFS, libswresample ${b.toFixed(1)} dBFS`);
    expect(a).toBeLessThan(b + 1);
  });
});
