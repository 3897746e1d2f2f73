import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { h264Enc } from '../../node/elements/h264-enc';
import { udpSink } from '../../node/elements/udp-sink';
import { identity } from '../../operators';
import { h264Parse } from '../../operators/h264-parse';
import { rtpH264Pay } from '../../operators/rtp-h264-pay';
import { videoTestSrc } from '../../operators/video-test-src';
import { pipe } from '../../src';
import { NTP_UNIX_OFFSET, parseRtcp, type SenderReport } from '../../src/rtp/rtcp';
import { MILLISECOND, SECOND } from '../../src/time';
import { freePortPair, parsed } from './helpers';
import { requirePeer } from '../peers';

requirePeer('native');

const wallMs = () => performance.timeOrigin + performance.now();

/** Datagrams with their arrival (wall clock, ms) on one port. */
async function listen(port: number) {
  const s = createSocket('udp4');
  const got: { data: Uint8Array; at: number }[] = [];
  s.on('message', (m: Buffer) => got.push({ data: new Uint8Array(m), at: wallMs() }));
  await new Promise<void>((resolve) => s.bind(port, '127.0.0.1', () => resolve()));
  return { got, close: () => new Promise<void>((r) => s.close(() => r())) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

describe('udpSink sender reports', () => {
  it('map RTP time to capture time, not send time: a unit held 30 ms after capture maps 30 ms before it arrives', async () => {
    const port = await freePortPair();
    const rtp = await listen(port);
    const rtcp = await listen(port + 1);
    try {
      await pipe(
        videoTestSrc({ width: 160, height: 96, framerate: 30, numBuffers: 45, isLive: true }),
        h264Enc({ tune: 'zerolatency', speedPreset: 'ultrafast' }),
        h264Parse(),
        // Each access unit leaves 30 ms after its capture (plus encoding): what a slow link or queue does.
        identity({ sleepTime: 30 * MILLISECOND }),
        rtpH264Pay({ mtu: 1200 }),
        udpSink({ host: '127.0.0.1', port, rtcpInterval: 0.2 * SECOND }),
      ).run({ profile: 'live' });
      await new Promise((r) => setTimeout(r, 50));
      const srs = rtcp.got.map((g) => parseRtcp(g.data).packets[0]).filter((p): p is SenderReport => p?.type === 'sr');
      expect(srs.length).toBeGreaterThanOrEqual(3);
      // The last report maps the whole (steady) stream; units of the first 10 frames are left out (start-up).
      const sr = srs[srs.length - 1];
      const srWall = (sr.ntpSeconds - NTP_UNIX_OFFSET) * 1000 + (sr.ntpFraction / 2 ** 32) * 1000;
      const lags = rtp.got
        .map((g) => ({ h: parsed(g.data), at: g.at }))
        .filter((x) => x.h.marker)
        .slice(10)
        .map((x) => x.at - (srWall + (((x.h.timestamp - sr.rtpTimestamp) | 0) / 90)));
      expect(lags.length).toBeGreaterThan(20);
      // Arrival − SR-derived capture time = encode + the 30 ms hold (+ loopback). A send-time mapping gives ≈0.
      expect(median(lags)).toBeGreaterThan(28);
      expect(median(lags)).toBeLessThan(80);
    } finally {
      await rtp.close();
      await rtcp.close();
    }
  }, 20_000);
});
