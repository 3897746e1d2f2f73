/** Shared set-up of the native tests: the addon (test/peers.ts: not built fails the file in CI, skips it elsewhere), ffmpeg references, decoding runs. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { fakeSink } from '../../operators/fake-sink';
import { h264Parse } from '../../operators/h264-parse';
import { pipe, type PipelineStats, type RunOptions } from '../../src';
import type { Caps } from '../../src/caps';
import { nodeFileSrc } from '../../node/drivers/fs';
import { h264Dec, type H264DecOptions, type RawVideoPacket } from '../../node/elements/h264-dec';
import { loadNative } from '../../node/native/loader';
import { requirePeer } from '../peers';
import { rawVideoInfo } from '../../src/video/format';
import { packedFrame, videoLayoutOf } from '../../src/video/meta';
import { splitAnnexB } from '../../src/codecs/h264';

export const run = promisify(execFile);

/** The addon. Missing: in CI the importing test file fails (CI builds it); elsewhere its tests are skipped (requirePeer). */
export const addon = requirePeer('native') ? loadNative() : (undefined as unknown as ReturnType<typeof loadNative>);

export const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

/** Per-frame MD5s of ffmpeg's own decode (`-f framemd5`), in output order. */
export async function ffmpegFrameMd5(path: string, pixFmt: 'yuv420p' | 'nv12' = 'yuv420p'): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', path, '-f', 'framemd5', '-pix_fmt', pixFmt, '-'], {
    maxBuffer: 1 << 26,
  });
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)!.trim());
}

export interface Decoded {
  frames: RawVideoPacket[];
  md5s: string[];
  caps: Caps[];
  stats: PipelineStats;
}

/** A raw frame's bytes tightly packed (its video meta's layout honoured): what ffmpeg's framemd5 hashes. */
export const packedBytes = (p: RawVideoPacket): Uint8Array => packedFrame(p.memory.data, videoLayoutOf(p, rawVideoInfo(p.caps)));

/**
 * fileSrc → h264Parse → h264Dec → fakeSink, keeping every frame. `videoMeta`: the sink honours
 * VIDEO_META, so the decoder may hand frames on unpacked. MD5s are of the frames packed as they arrive:
 * with `release` the sink gives each frame back after hashing it (the decoder leases them), so a kept
 * frame's bytes may by then show a later picture; only its caps, meta and hash are to be trusted.
 */
export async function decodeFile(
  path: string,
  options: H264DecOptions & { videoMeta?: boolean; release?: boolean } = {},
  runOptions: RunOptions = {}
): Promise<Decoded> {
  const { videoMeta, release, ...decOptions } = options;
  const frames: RawVideoPacket[] = [];
  const md5s: string[] = [];
  const onPacket = (p: RawVideoPacket): void => {
    md5s.push(md5(packedBytes(p)));
    frames.push(p);
  };
  const stats = await pipe(
    nodeFileSrc(path),
    h264Parse(),
    h264Dec({ backend: 'software', ...decOptions }),
    fakeSink<RawVideoPacket>({ onPacket, videoMeta, release })
  ).run(runOptions);
  const caps: Caps[] = [];
  for (const f of frames) if (!caps.includes(f.caps)) caps.push(f.caps);
  return { frames, md5s, caps, stats };
}

/** PSNR (dB) of two 8-bit buffers of equal size. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`size mismatch ${a.length} vs ${b.length}`);
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    se += d * d;
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se);
}

/** Annex B access units of a file: a new unit starts at each AUD (the fixtures here have aud=1). */
export function accessUnits(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let cur: Uint8Array[] = [];
  for (const nal of splitAnnexB(bytes)) {
    if ((nal[0] & 31) === 9 && cur.length) {
      out.push(join4(cur));
      cur = [];
    }
    cur.push(nal);
  }
  if (cur.length) out.push(join4(cur));
  return out;
}
function join4(nals: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(nals.reduce((n, x) => n + 4 + x.length, 0));
  let o = 0;
  for (const n of nals) {
    out.set([0, 0, 0, 1], o);
    out.set(n, o + 4);
    o += 4 + n.length;
  }
  return out;
}
