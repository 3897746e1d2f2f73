/**
 * rtspSrc's RTCP receiver reports against GStreamer's RTSP server: its rtpsession logs every RR it
 * processes (GST_DEBUG=rtpsession:5,rtpsource:5 into a file), so the test sees our reports parsed by the
 * peer, the report block for its SSRC, the round trip it computed from our LSR/DLSR, and our BYE.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rtspSrc, type RtspSrcOptions } from '../../node/elements/rtsp-src';
import { fakeSink } from '../../operators/fake-sink';
import { pipe } from '../../src/pipeline';
import { killAllServers, startServer, type RtspTestServer } from './helpers';
import { requirePeer } from '../peers';

requirePeer('gst-rtsp-server');

const dir = mkdtempSync(join(tmpdir(), 'g2g-rtcp-'));
const log = join(dir, 'gst.log');
let server: RtspTestServer;

beforeAll(async () => {
  // The child inherits the environment at spawn: GStreamer's debug log goes to a file of ours.
  const saved = { ...process.env };
  Object.assign(process.env, { GST_DEBUG: 'rtpsession:5,rtpsource:5', GST_DEBUG_FILE: log, GST_DEBUG_NO_COLOR: '1' });
  try {
    server = await startServer({ fps: 30 });
  } finally {
    for (const k of ['GST_DEBUG', 'GST_DEBUG_FILE', 'GST_DEBUG_NO_COLOR']) if (saved[k] === undefined) delete process.env[k];
  }
}, 30_000);
afterAll(async () => {
  await killAllServers();
  rmSync(dir, { recursive: true, force: true });
});

async function play(options: RtspSrcOptions) {
  const src = rtspSrc(options);
  await pipe(src, fakeSink()).run({ profile: 'live' });
  return src.counters;
}

/** The server's log lines about RTCP from `ssrc` (hex as GStreamer prints it). */
function linesFrom(ssrc: number): { rr: string[]; rb: string[]; rtt: string[]; bye: string[] } {
  const hex = ssrc.toString(16).padStart(8, '0');
  const lines = readFileSync(log, 'utf8').split('\n');
  const rr = lines.filter((l) => l.includes(`got RR packet: SSRC ${hex}`));
  const rb = lines.filter((l) => l.includes('got RB packet: SSRC') && l.includes(hex));
  // rtp_source_process_rb logs the round trip on the line after the block.
  const rtt = lines.filter((l, i) => l.includes('round trip') && lines[i - 1]?.includes('got RB packet') && lines[i - 1].includes(hex));
  const bye = lines.filter((l) => /bye/i.test(l) && l.includes(hex));
  return { rr, rb, rtt, bye };
}

describe('RTCP receiver reports to gst-rtsp-server', () => {
  for (const protocols of ['udp', 'tcp'] as const) {
    it(`${protocols}: the server's rtpsession parses our RRs (no loss, LSR from its SR, a round trip) and our BYE at teardown`, async () => {
      // ~4.5 s at 30 fps: the first report comes 1.0–3.1 s after the first packet (A.7's initial interval).
      const c = await play({ location: `rtsp://127.0.0.1:${server.port}/live`, protocols, numBuffers: 135 });
      expect(c.units).toBe(135);
      expect(c.receiverReports).toBeGreaterThanOrEqual(2); // at least one periodic, plus the BYE one
      // The log is written by another process: wait (up to 5 s, under load) until the reports are in it.
      let lines = linesFrom(c.rtcpSsrc!);
      for (let t = 0; t < 50 && (lines.rr.length < c.receiverReports || lines.bye.length === 0); t++) {
        await new Promise((r) => setTimeout(r, 100));
        lines = linesFrom(c.rtcpSsrc!);
      }
      const { rr, rb, rtt, bye } = lines;
      expect(rr.length).toBe(c.receiverReports);
      expect(rb.length).toBe(c.receiverReports);
      // "got RB packet: SSRC <ours>, FL  0, PL 0, HS <n>, jitter <j>, LSR <hi>:<lo>, DLSR <hi>:<lo>"
      for (const l of rb) expect(l).toMatch(/FL\s+0, PL 0, HS \d+, jitter \d+, LSR [0-9a-f]{4}:[0-9a-f]{4}, DLSR/);
      expect(rb.some((l) => !/LSR 0000:0000/.test(l))).toBe(true);
      // A loopback round trip: under 1/4 s (units of 1/65536 s, printed as seconds:fraction).
      expect(rtt.length).toBeGreaterThanOrEqual(1);
      for (const l of rtt) expect(l).toMatch(/round trip 0000:[0-3][0-9a-f]{3}/);
      expect(bye.length).toBeGreaterThanOrEqual(1);
    }, 30_000);
  }
});
