import { G2gError } from '../../src/errors';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Addon from '../../native/index';

/** The addon's exports, as declared by the napi-rs generated native/index.d.ts. */
export type NativeBinding = typeof Addon;

export const ADDON_FILE = 'g2g_native.node';
export const BUILD_HINT =
  'build it with `scripts/build-native.sh` (needs cargo and the Debian packages libavcodec-dev libavutil-dev pkg-config gcc), or point G2G_NATIVE_ADDON at a built g2g_native.node';

/** The addon could not be found or loaded: says where it looked and how to build it. */
export class NativeAddonError extends G2gError {
  override readonly name = 'NativeAddonError';
  constructor(readonly path: string, detail: string, options?: { cause?: unknown }) {
    super('NATIVE_ADDON', `glass2glass native addon not available at ${path}: ${detail}; ${BUILD_HINT}`, options);
  }
}

/**
 * Where the addon is: G2G_NATIVE_ADDON, else `native/g2g_native.node` in the nearest folder above this
 * module that has one (the repository root from sources, or from a bundle under dist/).
 */
export function defaultAddonPath(): string {
  const env = process.env.G2G_NATIVE_ADDON;
  if (env) return resolve(env);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'native', ADDON_FILE);
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../native', ADDON_FILE);
}

const cache = new Map<string, NativeBinding>();

/** Loads (once per path) the native addon; a NativeAddonError when it is missing or does not load. */
export function loadNative(path: string = defaultAddonPath()): NativeBinding {
  const hit = cache.get(path);
  if (hit) return hit;
  if (!existsSync(path)) throw new NativeAddonError(path, 'file not found');
  let binding: NativeBinding;
  try {
    binding = createRequire(import.meta.url)(path) as NativeBinding;
  } catch (e) {
    throw new NativeAddonError(path, e instanceof Error ? e.message : String(e), { cause: e });
  }
  cache.set(path, binding);
  return binding;
}
