/**
 * rtspSrc over UDP does not hold a stream's first packet for `latency` when that packet starts a keyframe
 * (the jitter buffer's start-up hold, there for an overtaken earlier packet, which the depayloader would
 * drop anyway before the first IDR). GStreamer's /file mount starts at the MP4's first IDR, SPS first.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rtspSrc } from '../../node/elements/rtsp-src';
import { fakeSink } from '../../operators/fake-sink';
import { PacketFlags } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { MILLISECOND } from '../../src/time';
import { killAllServers, startServer, type RtspTestServer } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'gst-rtsp-server');

const dir = mkdtempSync(join(tmpdir(), 'g2g-rtsp-start-'));
let server: RtspTestServer;

beforeAll(async () => {
  const mp4 = join(dir, 'in.mp4');
  await promisify(execFile)('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=30',
    '-frames:v',
    '90',
    '-c:v',
    'libx264',
    '-g',
    '30',
    '-pix_fmt',
    'yuv420p',
    '-y',
    mp4,
  ]);
  server = await startServer({ file: mp4 });
}, 30_000);
afterAll(async () => {
  await killAllServers();
  rmSync(dir, { recursive: true, force: true });
});

describe('rtspSrc UDP start-up', () => {
  it('the first unit (an IDR) comes out well before the 1.5 s reorder budget has passed', async () => {
    const t0 = performance.now();
    let first: number | undefined;
    let key = false;
    const src = rtspSrc({ location: `rtsp://127.0.0.1:${server.port}/file`, protocols: 'udp', latency: 1500 * MILLISECOND, numBuffers: 5 });
    await pipe(
      src,
      fakeSink({
        sync: false,
        onPacket: (p) => {
          if (first === undefined) (first = performance.now() - t0), (key = (p.flags & PacketFlags.KEYFRAME) !== 0);
        },
      })
    ).run({ profile: 'live' });
    expect(key).toBe(true);
    expect(src.counters.depay.lost).toBe(0);
    // Set-up (OPTIONS…PLAY on loopback) takes tens of ms; a held first packet would take ≥ 1500 ms.
    expect(first).toBeLessThan(1000);
  }, 30_000);
});
