import { pipe, VirtualClock, type Source, type Transform } from '../../src';
import { builtinElements, ElementRegistry, FAKE_SINK, fakeSink, parseLaunch } from '../../operators';
import { rawAudioInfo, readPlanes, type RawAudioPacket } from '../../src/audio';

/** Runs source ! transforms… ! fakeSink on a virtual clock and returns what reached the sink. */
export async function collect(src: Source<RawAudioPacket>, ...ts: Transform<RawAudioPacket, RawAudioPacket>[]): Promise<RawAudioPacket[]> {
  const out: RawAudioPacket[] = [];
  const sink = fakeSink<RawAudioPacket>({ onPacket: (p) => void out.push(p) });
  await (pipe as (...ops: unknown[]) => { run(o: object): Promise<unknown> })(src, ...ts, sink).run({ clock: new VirtualClock() });
  return out;
}

/**
 * Runs a launch line on a virtual clock with a registry whose fakeSink hands every packet to us; returns the
 * packets and the fixed caps of each link (as `g2g launch -v` prints them).
 */
export async function collectLaunch(text: string): Promise<{ packets: RawAudioPacket[]; caps: Map<string, string> }> {
  const packets: RawAudioPacket[] = [];
  const registry = new ElementRegistry(
    builtinElements.map((d) => (d === FAKE_SINK ? FAKE_SINK.withExtras({ onPacket: (p: RawAudioPacket) => void packets.push(p) }) : d))
  );
  const caps = new Map<string, string>();
  await parseLaunch(text, registry).run({ clock: new VirtualClock(), onCaps: (from, to, c) => void caps.set(`${from}>${to}`, c.toString()) });
  return { packets, caps };
}

/** Every packet's samples joined, one plane per channel. */
export function joinPlanes(ps: readonly RawAudioPacket[]): Float64Array[] {
  if (ps.length === 0) return [];
  const parts = ps.map((p) => readPlanes(rawAudioInfo(p.caps), p.memory.data));
  return parts[0].map((_, c) => {
    const out = new Float64Array(parts.reduce((n, pl) => n + pl[c].length, 0));
    let at = 0;
    for (const pl of parts) {
      out.set(pl[c], at);
      at += pl[c].length;
    }
    return out;
  });
}

/** Frequency from the mean spacing of rising zero crossings, each interpolated linearly between samples. */
export function zeroCrossingFreq(x: Float64Array, rate: number): number {
  const crossings: number[] = [];
  for (let i = 1; i < x.length; i++) if (x[i - 1] < 0 && x[i] >= 0) crossings.push(i - 1 + -x[i - 1] / (x[i] - x[i - 1]));
  return ((crossings.length - 1) * rate) / (crossings[crossings.length - 1] - crossings[0]);
}

/**
 * Least-squares fit of a·sin + b·cos + c at `freq`: the tone's amplitude, and everything else (harmonics,
 * aliases, noise) as THD+N in dB relative to the tone.
 */
export function sineFit(x: Float64Array, rate: number, freq: number): { amplitude: number; thdN: number } {
  const w = (2 * Math.PI * freq) / rate;
  // Normal equations of the 3-parameter fit.
  let ss = 0,
    cc = 0,
    sc = 0,
    s1 = 0,
    c1 = 0,
    n = 0,
    xs = 0,
    xc = 0,
    x1 = 0;
  for (let i = 0; i < x.length; i++) {
    const s = Math.sin(w * i),
      c = Math.cos(w * i);
    ss += s * s;
    cc += c * c;
    sc += s * c;
    s1 += s;
    c1 += c;
    n += 1;
    xs += x[i] * s;
    xc += x[i] * c;
    x1 += x[i];
  }
  const [a, b, d] = solve3(
    [
      [ss, sc, s1],
      [sc, cc, c1],
      [s1, c1, n],
    ],
    [xs, xc, x1]
  );
  let res = 0;
  for (let i = 0; i < x.length; i++) {
    const e = x[i] - (a * Math.sin(w * i) + b * Math.cos(w * i) + d);
    res += e * e;
  }
  const amplitude = Math.hypot(a, b);
  const tonePower = (amplitude * amplitude) / 2;
  return { amplitude, thdN: 10 * Math.log10(res / x.length / tonePower) };
}

function solve3(m: number[][], v: number[]): number[] {
  const a = m.map((row, i) => [...row, v[i]]);
  for (let i = 0; i < 3; i++) {
    const p = a.reduce((best, _, r) => (r >= i && Math.abs(a[r][i]) > Math.abs(a[best][i]) ? r : best), i);
    [a[i], a[p]] = [a[p], a[i]];
    for (let r = 0; r < 3; r++) {
      if (r === i) continue;
      const f = a[r][i] / a[i][i];
      for (let c = i; c < 4; c++) a[r][c] -= f * a[i][c];
    }
  }
  return a.map((row, i) => row[3] / row[i]);
}

/** RMS power in dB relative to full scale of a plane. */
export function rmsDb(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return 10 * Math.log10(s / x.length);
}

/** A sine of `frames` samples at `rate`. */
export function tone(freq: number, rate: number, frames: number, amplitude = 0.5): Float64Array {
  return Float64Array.from({ length: frames }, (_, i) => amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
}
