/** The audio device tests' helpers: the private PulseAudio daemon (node/bench/pulse-daemon.ts) and WAVE reading. */
import { readFileSync } from 'node:fs';

export { daemons, startPulse, stopPulse, type PulseDaemon } from '../../node/bench/pulse-daemon';

/** A RIFF WAVE file's PCM (16-bit) as one Float64Array per channel. */
export function readWav(file: string): { rate: number; channels: number; planes: Float64Array[] } {
  const b = readFileSync(file);
  if (b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`${file} is not a WAVE file`);
  let pos = 12;
  let rate = 0;
  let channels = 0;
  let bits = 0;
  while (pos + 8 <= b.length) {
    const id = b.toString('latin1', pos, pos + 4);
    let size = b.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      channels = b.readUInt16LE(body + 2);
      rate = b.readUInt32LE(body + 4);
      bits = b.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16) throw new Error(`${file}: ${bits}-bit WAVE, expected 16`);
      // parec, stopped by a signal, leaves the size fields unwritten (0 or 0xffffffff): read to the end.
      if (size === 0 || body + size > b.length) size = b.length - body;
      const frames = Math.floor(size / (2 * channels));
      const planes = Array.from({ length: channels }, () => new Float64Array(frames));
      for (let f = 0; f < frames; f++) for (let c = 0; c < channels; c++) planes[c][f] = b.readInt16LE(body + (f * channels + c) * 2) / 32768;
      return { rate, channels, planes };
    }
    pos = body + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

/** The part of `x` from the first to the last sample above `threshold` (the tone without parec's silence). */
export function trimSilence(x: Float64Array, threshold = 0.01): Float64Array {
  let a = 0;
  while (a < x.length && Math.abs(x[a]) < threshold) a++;
  let b = x.length;
  while (b > a && Math.abs(x[b - 1]) < threshold) b--;
  return x.subarray(a, b);
}
