/** The CLI lines of issue 4, through parseLaunch with the RTP/UDP entries registered (as the lead will wire them). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliRegistry } from '../../node/cli/registry';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { parseLaunch } from '../../operators/launch';
import { setFileOpener } from '../../src/io';
import { accessUnits, encodedAus, freePortPair, hex, settledUdpHandles, waitBound } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg');

const dir = mkdtempSync(join(tmpdir(), 'g2g-rtp-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// fileSrc, h264Parse and fileSink are built in; the RTP and UDP entries are what the lead registers.
const registry = cliRegistry();

describe('launch lines', () => {
  it('send: fileSrc ! h264Parse ! rtpH264Pay ! udpSink sdp=…; receive: udpSrc sdp=… ! rtpJitterBuffer ! rtpH264Depay ! h264Parse ! fileSink', async () => {
    const previous = installNodeFileOpener();
    try {
      const { bytes, aus } = await encodedAus({ profile: 'high', frames: 30, bframes: 2, gop: 10 });
      const input = join(dir, 'in.h264');
      const sdp = join(dir, 'out.sdp');
      const output = join(dir, 'out.h264');
      writeFileSync(input, bytes);
      const port = await freePortPair();
      const base = await settledUdpHandles(0);
      const sendLine = `fileSrc location=${input} ! h264Parse ! rtpH264Pay mtu=1200 pt=96 ! udpSink host=127.0.0.1 port=${port} sdp=${sdp}`;
      // A first run writes the SDP the receiver is built from.
      await parseLaunch(sendLine, registry).run();
      expect(readFileSync(sdp, 'utf8')).toContain(`m=video ${port} RTP/AVP 96`);
      const rx = parseLaunch(`udpSrc port=${port} sdp=${sdp} ! rtpJitterBuffer latency=50 ! rtpH264Depay ! h264Parse ! fileSink location=${output}`, registry);
      expect(rx.toString()).toContain('rtpJitterBuffer');
      const running = rx.start({ profile: 'live' });
      await waitBound(port);
      await waitBound(port + 1);
      await parseLaunch(sendLine, registry).run();
      // The sender's RTCP BYE ends the receiving pipeline.
      const stats = await running.done;
      const got = accessUnits(new Uint8Array(readFileSync(output)));
      expect(got.map((a) => a.nals.map(hex))).toEqual(aus.map((a) => a.nals.map(hex)));
      expect(stats.elements.find((e) => e.factory === 'rtpH264Depay')!.drops).toEqual({});
      expect(await settledUdpHandles(base)).toBe(base);
    } finally {
      setFileOpener(previous);
    }
  });

  it('properties parse with their types; bad values are launch errors', () => {
    const p = parseLaunch('udpSrc port=5004 caps="application/x-rtp, media=(string)video, clock-rate=(int)90000, encoding-name=(string)H264" ! rtpJitterBuffer latency=20 ! rtpH264Depay on-loss=mark-corrupt ! fakeSink', registry);
    const els = p.toString();
    expect(els).toContain('on-loss=mark-corrupt');
    // latency= is milliseconds, as GStreamer's.
    expect(els).toContain('latency=20');
    expect(() => parseLaunch('fakeSrc ! rtpH264Pay aggregate=max ! fakeSink', registry)).toThrow(/stap-a/);
    expect(() => parseLaunch('fakeSrc ! udpSink', registry)).toThrow(/port=/);
    expect(() => parseLaunch('udpSrc sdp=/nonexistent.sdp ! fakeSink', registry)).toThrow(/cannot read SDP/);
  });
});
