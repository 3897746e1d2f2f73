/**
 * Caps features (GStreamer GstCapsFeatures), e.g. `memory:CUDAMemory`. A
 * structure without features lives in system memory, so `memory:SystemMemory`
 * is dropped on construction: `video/x-raw` and `video/x-raw(memory:SystemMemory)`
 * are then the same structure and print the same.
 */

export const MEMORY_SYSTEM = 'SystemMemory';
export const MEMORY_WEBGPU = 'WebGPU';
export const MEMORY_VIDEO_FRAME = 'VideoFrame';
export const MEMORY_CUDA = 'CUDAMemory';
export const MEMORY_DMABUF = 'DMABuf';

const MEMORY_PREFIX = 'memory:';
const SYSTEM_FEATURE = MEMORY_PREFIX + MEMORY_SYSTEM;

/** Same character set as GStreamer names (letter first, then alnum or `/-_.:+`). */
export const NAME_RE = /^[A-Za-z][A-Za-z0-9/_.:+-]*$/;

/** `memoryFeature('CUDAMemory')` -> `'memory:CUDAMemory'`. */
export function memoryFeature(memory: string): string {
  return MEMORY_PREFIX + memory;
}

/**
 * Validates, expands a bare name to a memory feature (so the MEMORY_* constants
 * can be passed directly), drops system memory and duplicates; keeps order.
 */
export function normalizeFeatures(features: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of features) {
    const f = raw.includes(':') ? raw : MEMORY_PREFIX + raw;
    if (!NAME_RE.test(f)) throw new RangeError(`invalid caps feature: ${JSON.stringify(raw)}`);
    if (f !== SYSTEM_FEATURE && !out.includes(f)) out.push(f);
  }
  return out;
}

/** Order-insensitive identity of a feature set (GStreamer compares them as sets). */
export function featuresKey(features: readonly string[]): string {
  return features.length <= 1 ? (features[0] ?? '') : [...features].sort().join(',');
}

/** The memory type named by the first `memory:` feature, system memory when none. */
export function memoryOf(features: readonly string[]): string {
  const f = features.find((x) => x.startsWith(MEMORY_PREFIX));
  return f === undefined ? MEMORY_SYSTEM : f.slice(MEMORY_PREFIX.length);
}
