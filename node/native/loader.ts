import { G2gError } from '../../src/errors';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Addon from '../../native/index';

/** The addon's exports, as declared by the napi-rs generated native/index.d.ts. */
export type NativeBinding = typeof Addon;

export const ADDON_FILE = 'g2g_native.node';
/** Platforms the package ships a prebuilt addon for (`prebuilds/<triple>/g2g_native.node`). */
export const PREBUILT_TRIPLES: readonly string[] = ['linux-x64-gnu'];
export const BUILD_HINT =
  'build it from the glass2glass repository with `scripts/build-native.sh` (needs cargo and the Debian packages libavcodec-dev libavutil-dev libpulse-dev pkg-config gcc), then point G2G_NATIVE_ADDON at the built g2g_native.node';

/**
 * The system libraries the addon links (FFmpeg 5.1, as in Debian bookworm and Ubuntu 22.04), by the Debian
 * package that provides each: what a failed load asks the user to install.
 */
const SYSTEM_LIBRARIES: Readonly<Record<string, string>> = {
  'libavcodec.so.59': 'libavcodec59',
  'libavutil.so.57': 'libavutil57',
};
/** libpulse0's libraries, linked by the `pulse` feature (pulseSink, pulseSrc). */
const PULSE_LIBRARIES: readonly string[] = ['libpulse.so.0', 'libpulse-simple.so.0'];

/** The addon could not be found or loaded: says where it looked and what to install or build. */
export class NativeAddonError extends G2gError {
  override readonly name = 'NativeAddonError';
  constructor(readonly path: string, detail: string, options?: { cause?: unknown; hint?: string }) {
    super('NATIVE_ADDON', `glass2glass native addon not available at ${path}: ${detail}; ${options?.hint ?? BUILD_HINT}`, { cause: options?.cause });
  }
}

/** napi-rs' platform name: `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`, `win32-x64-msvc`… */
export function platformTriple(platform: string = process.platform, arch: string = process.arch, glibc: boolean = hasGlibc()): string {
  if (platform === 'linux') return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function hasGlibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return typeof report?.header?.glibcVersionRuntime === 'string';
}

/** This package's root: the folder above this module whose package.json is glass2glass's (sources or dist/). */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'glass2glass') return dir;
      } catch {
        // not ours; keep looking up
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * Where the addon is, first found of: G2G_NATIVE_ADDON; `native/g2g_native.node` (a build in the repository);
 * `prebuilds/<triple>/g2g_native.node` (the one the package ships); the napi-rs platform package
 * `@glass2glass/native-<triple>` if installed. When none exists, the prebuilt path (what the error names).
 */
export function defaultAddonPath(): string {
  const env = process.env.G2G_NATIVE_ADDON;
  if (env) return resolve(env);
  const triple = platformTriple();
  const root = packageRoot() ?? resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const prebuilt = join(root, 'prebuilds', triple, ADDON_FILE);
  for (const p of [join(root, 'native', ADDON_FILE), prebuilt]) if (existsSync(p)) return p;
  try {
    return createRequire(import.meta.url).resolve(`@glass2glass/native-${triple}/${ADDON_FILE}`);
  } catch {
    return prebuilt;
  }
}

/**
 * A loader's failure in words a user can act on: a missing system library names its Debian package; a
 * platform without a prebuilt addon says so.
 */
export function explainLoadFailure(message: string): {
  detail: string;
  hint?: string;
} {
  const lib = /(lib[\w+-]+\.so(?:\.\d+)*): cannot open shared object file/.exec(message)?.[1];
  if (lib !== undefined && PULSE_LIBRARIES.includes(lib)) {
    return {
      detail: `the system library ${lib} is missing`,
      hint: `apt-get install libpulse0 (PulseAudio's client library, for pulseSink/pulseSrc), or build the addon without them (scripts/build-native.sh with cargo's --no-default-features --features node,kms)`,
    };
  }
  if (lib !== undefined) {
    const pkg = SYSTEM_LIBRARIES[lib];
    const install = pkg !== undefined ? `apt-get install ${Object.values(SYSTEM_LIBRARIES).join(' ')}` : `install the package that provides ${lib}`;
    return {
      detail: `the system library ${lib} is missing`,
      hint: `${install} (FFmpeg 5.1's libraries, as in Debian bookworm and Ubuntu 22.04; the ffmpeg package pulls them in), or ${BUILD_HINT}`,
    };
  }
  return { detail: message };
}

const cache = new Map<string, NativeBinding>();

/** Loads (once per path) the native addon; a NativeAddonError when it is missing or does not load. */
export function loadNative(path: string = defaultAddonPath()): NativeBinding {
  const hit = cache.get(path);
  if (hit) return hit;
  if (!existsSync(path)) {
    const triple = platformTriple();
    const detail = PREBUILT_TRIPLES.includes(triple)
      ? 'file not found'
      : `file not found (the package ships a prebuilt addon for ${PREBUILT_TRIPLES.join(', ')}, not ${triple})`;
    // Outside the package's own folder: most likely glass2glass was bundled into the app.
    const bundled =
      packageRoot() === undefined && process.env.G2G_NATIVE_ADDON === undefined
        ? `glass2glass looks bundled into this app: keep it external (esbuild --external:glass2glass) or set G2G_NATIVE_ADDON to node_modules/glass2glass/prebuilds/${triple}/${ADDON_FILE}`
        : undefined;
    throw new NativeAddonError(path, detail, bundled !== undefined ? { hint: bundled } : undefined);
  }
  let binding: NativeBinding;
  try {
    binding = createRequire(import.meta.url)(path) as NativeBinding;
  } catch (e) {
    const { detail, hint } = explainLoadFailure(e instanceof Error ? e.message : String(e));
    throw new NativeAddonError(path, detail, {
      cause: e,
      ...(hint !== undefined ? { hint } : {}),
    });
  }
  cache.set(path, binding);
  return binding;
}
