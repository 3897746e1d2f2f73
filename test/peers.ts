/**
 * Third-party peers the `peers` test tier runs against (ffmpeg, GStreamer, Chromium, Dawn, onnxruntime,
 * weston, the native addon), and one rule for when one is missing:
 *
 *   - in CI (env CI set, as .ci/run does) the test file FAILS, naming the package to install: CI must
 *     have every peer (scripts/setup.sh installs them), so a missing one is a broken machine, not a skip;
 *   - locally the file's tests are SKIPPED, with the same message printed.
 *
 * Call `requirePeer` at the top level of a test file (after the imports, before any `describe`/`it`/hook):
 *
 *   requirePeer('ffmpeg');
 *
 * It tags the file's tests `peer-missing`, a tag vitest.config.ts defines with `skip: true`; skipped
 * that way, not even the file's `beforeAll` hooks run (they would call the missing peer).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestRunner } from 'vitest';
import { loadGst } from '../node/elements/gst/addon';
import { loadNative } from '../node/native/loader';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The tag vitest.config.ts declares with `skip: true`. */
export const PEER_MISSING_TAG = 'peer-missing';

interface PeerSpec {
  /** What to install, named as the package manager knows it. */
  readonly install: string;
  /** Undefined when present, else why not. */
  check(): string | undefined;
}

const APT = (pkgs: string) => `the Debian package${pkgs.includes(' ') ? 's' : ''} ${pkgs} (apt-get install ${pkgs}; scripts/setup.sh installs every peer)`;

function runs(cmd: string, args: readonly string[], timeout = 20_000): string | undefined {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `'${cmd}' is not on PATH` : `'${cmd}' failed to run: ${r.error.message}`;
  if (r.status !== 0) return `'${cmd} ${args.join(' ')}' exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}`;
  return undefined;
}

/** Runs a Node snippet in a child (a peer that fails to load must not take the test worker down). */
function nodeRuns(code: string): string | undefined {
  return runs(process.execPath, ['--input-type=module', '-e', code], 60_000);
}

/** GStreamer elements the tests' pipelines use, and the plugin package each is in. */
const GST_ELEMENTS: Readonly<Record<string, string>> = {
  qtdemux: 'gstreamer1.0-plugins-good',
  rtph264depay: 'gstreamer1.0-plugins-good',
  rtspsrc: 'gstreamer1.0-plugins-good',
  pulsesink: 'gstreamer1.0-plugins-good', // g2g bench audio (needs libpulse0 too)
  h264parse: 'gstreamer1.0-plugins-bad',
  mpegtsmux: 'gstreamer1.0-plugins-bad',
  x264enc: 'gstreamer1.0-plugins-ugly',
  avdec_h264: 'gstreamer1.0-libav',
  videotestsrc: 'gstreamer1.0-plugins-base',
};

export const PEERS = {
  ffmpeg: { install: APT('ffmpeg'), check: () => runs('ffmpeg', ['-hide_banner', '-version']) },
  ffprobe: { install: APT('ffmpeg'), check: () => runs('ffprobe', ['-hide_banner', '-version']) },
  gstreamer: {
    install: APT(
      'gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav'
    ),
    check: () => {
      const launch = runs('gst-launch-1.0', ['--version']);
      if (launch) return launch;
      const missing = Object.keys(GST_ELEMENTS).filter((e) => runs('gst-inspect-1.0', ['--exists', e]) !== undefined);
      return missing.length ? `GStreamer elements missing: ${missing.map((e) => `${e} (${GST_ELEMENTS[e]})`).join(', ')}` : undefined;
    },
  },
  'gst-rtsp-server': {
    install: APT('python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp'),
    check: () =>
      existsSync('/usr/bin/python3')
        ? runs('/usr/bin/python3', [
            '-c',
            "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); from gi.repository import Gst, GstRtspServer",
          ])
        : '/usr/bin/python3 is missing',
  },
  chromium: {
    install: `${APT('chromium')}, or set G2G_CHROMIUM to a Chromium binary`,
    check: () => {
      const path = process.env.G2G_CHROMIUM ?? '/usr/bin/chromium';
      return existsSync(path) ? undefined : `no Chromium at ${path}`;
    },
  },
  webgpu: {
    install: "the npm package webgpu (npm ci) and a Vulkan driver: Debian's mesa-vulkan-drivers ≥ 25 (bookworm-backports; scripts/setup.sh)",
    check: () =>
      nodeRuns(
        "import { create } from 'webgpu'; const a = await create([]).requestAdapter(); if (!a) { console.error('Dawn found no GPU adapter'); process.exit(1); } process.exit(0);"
      ),
  },
  onnxruntime: {
    install: 'the npm package onnxruntime-node (npm ci, with ONNXRUNTIME_NODE_INSTALL=skip)',
    check: () => nodeRuns("import ort from 'onnxruntime-node'; if (!ort.InferenceSession) process.exit(1);"),
  },
  native: {
    install:
      'the native addon: npm run build:native (needs cargo and the Debian packages libavcodec-dev libavutil-dev libpulse-dev pkg-config gcc), or set G2G_NATIVE_ADDON',
    check: () => {
      try {
        loadNative();
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message.replace(/;.*$/s, '') : String(e);
      }
    },
  },
  'gst-bridge': {
    install:
      'the GStreamer bridge addon: bash scripts/build-native-gst.sh (needs cargo and the Debian packages libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev), or set G2G_GST_ADDON',
    check: () => {
      try {
        loadGst();
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message.replace(/;.*$/s, '') : String(e);
      }
    },
  },
  weston: {
    // The headless backend (libweston's headless-backend.so) and weston-screenshooter come with the weston package.
    install: APT('weston wayland-utils'),
    check: () => runs('weston', ['--version']) ?? runs('sh', ['-c', 'command -v weston-screenshooter && command -v wayland-info']),
  },
  pulseaudio: {
    // A private daemon with a null sink (test/audio/pulse-daemon.ts); parec/paplay from pulseaudio-utils, sox to
    // measure what parec recorded.
    install: APT('pulseaudio pulseaudio-utils libpulse-dev sox'),
    check: () => runs('pulseaudio', ['--version']) ?? runs('sh', ['-c', 'command -v parec && command -v paplay && command -v sox']),
  },
  cargo: { install: `${APT('cargo')} (or rustup)`, check: () => runs('cargo', ['--version']) },
  gcc: { install: APT('gcc'), check: () => runs('cc', ['--version']) },
} satisfies Record<string, PeerSpec>;

export type PeerName = keyof typeof PEERS;

/** Thrown (in CI) where a peer is missing. */
export class PeerMissingError extends Error {
  override readonly name = 'PeerMissingError';
}

/** True where the environment says this is CI. */
export function inCi(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Cached per worker process (the environment carries it to later files of the same worker). */
function status(name: PeerName): string | undefined {
  const key = `G2G_PEER_${name.replace(/\W/g, '_').toUpperCase()}`;
  const cached = process.env[key];
  if (cached !== undefined) return cached === '' ? undefined : cached;
  const why = PEERS[name].check();
  process.env[key] = why ?? '';
  return why;
}

/** Whether `name` is there (no side effect: for a test that only adapts). */
export function hasPeer(name: PeerName): boolean {
  return status(name) === undefined;
}

/**
 * The calling test file needs these peers. All present: true. One missing: in CI throws PeerMissingError
 * (the file fails with the package to install); elsewhere prints that message, skips every test of the
 * file, and returns false.
 */
export function requirePeer(...names: PeerName[]): boolean {
  const missing = names.map((n) => ({ n, why: status(n) })).filter((m) => m.why !== undefined);
  if (missing.length === 0) return true;
  const message = missing.map(({ n, why }) => `peer '${n}' is missing (${why}): install ${PEERS[n].install}`).join('; ');
  if (inCi()) throw new PeerMissingError(`${message}. CI needs every peer: a missing one fails the run.`);
  const file = TestRunner.getCurrentSuite().file;
  if (!file) throw new Error('requirePeer must be called at the top level of a test file, while it is collected');
  if (file.tags?.includes(PEER_MISSING_TAG)) return false;
  file.tags = [...(file.tags ?? []), PEER_MISSING_TAG];
  console.warn(`[peers] skipping ${file.name}: ${message}`);
  return false;
}
