/** Framerate 0/1 through the ML chain: a VFR MP4 decoded without h264Parse, an H.264 stream decoded with it. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeFileSrc } from '../../node/drivers/fs';
import { h264Dec } from '../../node/elements/h264-dec';
import { wgpuPreprocess } from '../../node/ml/wgpu-preprocess';
import { fakeSink } from '../../operators/fake-sink';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Demux } from '../../operators/mp4-demux';
import { tensorPreprocess } from '../../operators/tensor-preprocess';
import { Caps } from '../../src/caps';
import { VirtualClock } from '../../src/clock';
import type { CpuMemory } from '../../src/memory/memory';
import { defineTransform, type Transform } from '../../src/operator';
import { mapReader } from '../../src/reader';
import type { Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { tensorData, type TensorPacket } from '../../src/ml/tensor';
import { rawVideoInfo } from '../../src/video/format';
import { encodeH264 } from '../fixtures/h264';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'webgpu', 'native');

const run = promisify(execFile);

/** Passes raw frames on, showing each to `f` (accepts whatever its neighbours accept). */
const tap = (f: (p: Packet<CpuMemory>) => void): Transform<Packet<CpuMemory>, Packet<CpuMemory>> =>
  defineTransform({ factory: 'tap', props: {}, sinkCaps: Caps.any(), srcCaps: Caps.any(), passthrough: true, open: (_ctx, up) => mapReader(up, (p) => (f(p), p)) });
let dir: string;
let vfr: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'g2g-vfr-'));
  vfr = join(dir, 'vfr.mp4');
  // Frame n at n²/30 s: no common sample duration, so mp4Demux says framerate=0/1.
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30', '-frames:v', '8', '-vf', 'setpts=N*N/30/TB', '-fps_mode', 'passthrough', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-f', 'mp4', vfr]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('variable framerate (0/1) into preprocess', () => {
  it('VFR MP4 → mp4Demux → h264Dec → tensorPreprocess / wgpuPreprocess: frames carry 0/1 and keep their times', async () => {
    for (const pre of [tensorPreprocess({ width: 32, height: 32 }), wgpuPreprocess({ width: 32, height: 32, download: true })]) {
      const rates: string[] = [];
      const out: TensorPacket[] = [];
      await pipe(
        nodeFileSrc(vfr),
        mp4Demux(),
        h264Dec({ backend: 'software' }),
        tap((p) => void rates.push(String(p.caps.get('framerate') === undefined ? '-' : `${rawVideoInfo(p.caps).framerate!.num}/${rawVideoInfo(p.caps).framerate!.den}`))),
        pre,
        fakeSink<TensorPacket>({ onPacket: (p) => void out.push(p) }),
      ).run({ clock: new VirtualClock() });
      expect(out).toHaveLength(8);
      // n²/30 s in the demuxer's timescale: strictly increasing, uneven steps.
      const pts = out.map((p) => p.pts!);
      const steps = pts.slice(1).map((t, i) => t - pts[i]);
      expect(new Set(steps.map((s) => Math.round(s / 1e6))).size).toBeGreaterThan(3);
      expect(tensorData(out[0]).length).toBe(3 * 32 * 32);
      expect(rates).toEqual(new Array(8).fill('0/1'));
    }
  });

  it('h264Parse → h264Dec (caps decided by the stream) negotiates with raw-video templates and runs', async () => {
    const path = await encodeH264({ width: 160, height: 120, frames: 5 });
    const out: TensorPacket[] = [];
    await pipe(nodeFileSrc(path), h264Parse(), h264Dec({ backend: 'software' }), tensorPreprocess({ width: 32, height: 32 }), fakeSink<TensorPacket>({ onPacket: (p) => void out.push(p) })).run({ clock: new VirtualClock() });
    expect(out).toHaveLength(5);
  });
});
