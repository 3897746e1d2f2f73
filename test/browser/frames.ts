import { frameLayout, type VideoFormat } from '../../src/video/format';

/** Deterministic pseudo-random frame bytes (an LCG): the page and the test build the same frame from a seed. */
export function randomFrame(format: VideoFormat, width: number, height: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return new Uint8Array(frameLayout(format, width, height).size).map(() => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) & 255);
}

/** Deterministic float input in [-1, 1) for a model. */
export function randomInput(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return new Float32Array(count).map(() => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 23 - 1);
}
