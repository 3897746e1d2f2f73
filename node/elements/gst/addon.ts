import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeAddonError } from '../../native/loader';
import type * as Addon from '../../../native-gst/index';

/** The bridge addon's exports, as declared by the napi-rs generated native-gst/index.d.ts. */
export type GstBinding = typeof Addon;
export type GstFragment = InstanceType<GstBinding['GstFragment']>;

export const GST_ADDON_FILE = 'g2g_gst.node';
const INSTALL = 'apt-get install libgstreamer1.0-0 libgstreamer-plugins-base1.0-0 gstreamer1.0-plugins-base';
export const GST_BUILD_HINT =
  `the GStreamer bridge is a separate addon: install GStreamer (${INSTALL}, plus the plugins the fragment uses), ` +
  'build it from the glass2glass repository with `scripts/build-native-gst.sh` (needs cargo, libgstreamer1.0-dev and libgstreamer-plugins-base1.0-dev), ' +
  'then point G2G_GST_ADDON at the built g2g_gst.node';

/** G2G_GST_ADDON, else native-gst/g2g_gst.node of the repository (or package) this module is in. */
export function defaultGstAddonPath(): string {
  const env = process.env.G2G_GST_ADDON;
  if (env) return resolve(env);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'native-gst', GST_ADDON_FILE);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../native-gst', GST_ADDON_FILE);
}

let cached: GstBinding | undefined;

/**
 * Loads the bridge addon, once; only the bridge elements call it, when one is built, so that glass2glass
 * (and its main addon) never needs libgstreamer. A NativeAddonError naming what to install when it is
 * missing or its GStreamer libraries are.
 */
export function loadGst(path: string = defaultGstAddonPath()): GstBinding {
  if (cached) return cached;
  if (!existsSync(path)) throw new NativeAddonError(path, 'file not found', { hint: GST_BUILD_HINT });
  let binding: GstBinding;
  try {
    binding = createRequire(import.meta.url)(path) as GstBinding;
    binding.gstVersion();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const lib = /(lib[\w+.-]+\.so(?:\.\d+)*): cannot open shared object file/.exec(msg)?.[1];
    const detail = lib ? `the system library ${lib} is missing` : msg;
    throw new NativeAddonError(path, detail, { cause: e, hint: GST_BUILD_HINT });
  }
  cached = binding;
  return binding;
}
