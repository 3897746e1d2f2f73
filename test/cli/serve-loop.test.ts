/** `g2g serve --loop`: a file played again and again with its timestamps running on (loopSource). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loopSource } from '../../node/cli/serve-loop';
import { serve } from '../../node/cli/serve';
import { rtspSrc } from '../../node/elements/rtsp-src';
import { fakeSink } from '../../operators/fake-sink';
import { fakeSrc } from '../../operators/fake-src';
import { pipe, type Packet } from '../../src';
import { Caps } from '../../src/caps';
import { VirtualClock } from '../../src/clock';
import { defineSource } from '../../src/operator';
import { EOS } from '../../src/element';
import { packet } from '../../src/packet';
import { encodeH264 } from '../fixtures/h264';
import { requirePeer } from '../peers';

requirePeer('ffmpeg');

const run = promisify(execFile);
const MS = 1_000_000;

describe('loopSource', () => {
  it('plays the stream again with pts running on across the seam, one Caps object, as many passes as asked', async () => {
    const got: Packet[] = [];
    await pipe(loopSource(() => fakeSrc({ numBuffers: 3, framerate: '25/1', caps: 'video/x-raw, format=I420, width=(int)8, height=(int)8' }), { passes: 3 }), fakeSink({ onPacket: (p) => void got.push(p) })).run({ clock: new VirtualClock() });
    expect(got.map((p) => p.pts)).toEqual([0, 40, 80, 120, 160, 200, 240, 280, 320].map((t) => t * MS));
    expect(new Set(got.map((p) => p.caps)).size).toBe(1);
  });

  it('moves dts with pts (B-frame order: dts rises across the seam too)', async () => {
    // Decode order I P B with dts < pts, as a reordered stream has.
    const units = [
      { pts: 40, dts: -40 },
      { pts: 120, dts: 0 },
      { pts: 80, dts: 40 },
    ];
    const c = Caps.parse('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au');
    const once = () => {
      let i = 0;
      return defineSource({ factory: 'units', props: {}, srcCaps: c, open: () => ({ pull: () => (i < units.length ? packet({ caps: Caps.parse(c.toString()), pts: units[i].pts * MS, dts: units[i++].dts * MS, duration: 40 * MS }) : EOS) }) });
    };
    const got: Packet[] = [];
    await pipe(loopSource(once, { passes: 2 }), fakeSink({ onPacket: (p) => void got.push(p) })).run({ clock: new VirtualClock() });
    expect(got.map((p) => [p.pts! / MS, p.dts! / MS])).toEqual([
      [40, -40], [120, 0], [80, 40],
      [160, 80], [240, 120], [200, 160],
    ]);
    expect(new Set(got.map((p) => p.caps)).size).toBe(1);
  });
});

describe('g2g serve --loop', () => {
  for (const container of ['h264', 'mp4'] as const) {
    it(`${container} with B-frames: a client reads more frames than the file has, cleanly`, async () => {
      const file = await encodeH264({ profile: 'high', bframes: 2, frames: 10, width: 160, height: 120, ...(container === 'mp4' ? { container: 'mp4' as const } : {}) });
      let onUrl!: (u: string) => void;
      const url = new Promise<string>((r) => (onUrl = r));
      let interrupt: (() => void) | undefined;
      const lines: string[] = [];
      const code = serve(['--loop', '--port', '0', '--path', '/loop', file], { out: (t) => void lines.push(t), err: (t) => void lines.push(`ERR ${t}`) }, { onListening: onUrl, onInterrupt: (h) => ((interrupt = h), () => undefined) });
      const u = await Promise.race([url, code.then((c) => `exited ${c}: ${lines.join('\n')}`)]);
      expect(u).toMatch(/^rtsp:\/\//);
      try {
        // 25 frames of a 10-frame file: two and a half passes, decoded by ffmpeg without a complaint.
        const r = await run('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', u, '-frames:v', '25', '-f', 'framecrc', '-'], { timeout: 20_000 });
        expect(r.stderr).toBe('');
        expect(r.stdout.split('\n').filter((l) => /^0,/.test(l))).toHaveLength(25);
        // Our client: 25 access units, pts evenly spaced across both seams (the throughput profile keeps the
        // RTP spacing; live would stamp a unit that came late at its arrival).
        const pts: number[] = [];
        await pipe(rtspSrc({ location: u, protocols: 'tcp', numBuffers: 25 }), fakeSink({ onPacket: (p) => void (p.pts !== undefined && pts.push(p.pts)) })).run({ profile: 'throughput' });
        expect(pts).toHaveLength(25);
        // In presentation order; the last few units' B-frames (decoded after them) were not taken.
        const sorted = [...pts].sort((a, b) => a - b).slice(0, 20);
        const gaps = sorted.slice(1).map((t, i) => t - sorted[i]);
        for (const g of gaps) expect(Math.abs(g - MS * (1000 / 30))).toBeLessThan(2 * MS);
      } finally {
        interrupt?.();
      }
      expect(await code).toBe(0);
    }, 60_000);
  }

  it('--loop needs a file', async () => {
    const io = { out: () => undefined, err: () => undefined };
    await expect(serve(['--loop', '--test-pattern'], io)).rejects.toThrow(/--loop plays a FILE/);
    await expect(serve(['--loop', 'no-such-file.mp4'], io)).rejects.toThrow(/--loop plays a FILE/);
  });
});
