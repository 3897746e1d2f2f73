/**
 * Interop with real peers on 127.0.0.1: ffmpeg and GStreamer receive what we send (through our SDP and our
 * caps), and we receive what GStreamer's rtph264pay sends. Every peer runs under a time limit.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeSink } from '../../operators';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { rtpH264Depay } from '../../operators/rtp-h264-depay';
import { rtpH264Pay } from '../../operators/rtp-h264-pay';
import { rtpJitterBuffer } from '../../operators/rtp-jitter-buffer';
import { udpSink, type UdpSinkOptions } from '../../node/elements/udp-sink';
import { udpSrc } from '../../node/elements/udp-src';
import { pipe } from '../../src';
import { splitAnnexB } from '../../src/codecs/h264';
import { PacketFlags, type CpuPacket } from '../../src/packet';
import { parseSdp, sdpStream } from '../../src/rtp/sdp';
import { accessUnits, encodedAus, freePortPair, hex, waitBound } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'gstreamer');

const dir = mkdtempSync(join(tmpdir(), 'g2g-rtp-peers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a peer process; it is killed (SIGKILL) if it outlives `timeoutMs`. */
function peer(cmd: string, args: string[], timeoutMs = 30_000): { done: Promise<Exit>; signal(sig: NodeJS.Signals): void } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { done, signal: (sig) => child.kill(sig) };
}

const send = (bytes: Uint8Array, sink: UdpSinkOptions) => pipe(fileSrc({ source: bytes, blocksize: 8192 }), h264Parse(), rtpH264Pay({ mtu: 1200 }), udpSink(sink)).run();

/**
 * NAL units of an access unit as GStreamer gives them back, made comparable: its h264parse adds an access
 * unit delimiter, and rtph264pay (config-interval=-1) and rtph264depay (sprop) repeat SPS/PPS already in band.
 */
const gstNormal = (nals: readonly Uint8Array[]) => {
  const seen = new Set<string>();
  return nals.map(hex).filter((h, i) => {
    const type = nals[i][0] & 0x1f;
    if (type === 9) return false;
    if (type !== 7 && type !== 8) return true;
    if (seen.has(h)) return false;
    seen.add(h);
    return true;
  });
};

/** One md5 per decoded frame, as `ffmpeg -f framemd5` prints them. */
const md5s = (framemd5: string) =>
  framemd5
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());

describe('interop with ffmpeg and GStreamer (127.0.0.1)', () => {
  it('ffmpeg decodes every frame of our RTP through our generated SDP, bit-exact with decoding the file', async () => {
    const { path, bytes, aus } = await encodedAus({ profile: 'high', frames: 60, bframes: 2, gop: 30 });
    const ref = await peer('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-f', 'framemd5', '-']).done;
    expect(md5s(ref.stdout)).toHaveLength(aus.length);
    const port = await freePortPair();
    const sdp = join(dir, 'ffmpeg.sdp');
    // First run writes the SDP (nobody listens yet); the receiver opens it; the second run is received.
    await send(bytes, { port, sdp, sync: false, rtcp: false });
    // passthrough: ffmpeg's RTP input has no dts, and its frame-rate logic would drop the B-frames it stamps before the first.
    const ff = peer('ffmpeg', ['-nostdin', '-v', 'error', '-protocol_whitelist', 'file,udp,rtp', '-localaddr', '127.0.0.1', '-i', sdp, '-fps_mode', 'passthrough', '-f', 'framemd5', '-']);
    await waitBound(port);
    // Paced in real time, RTCP on: the closing BYE ends ffmpeg's input.
    await send(bytes, { port, sdp });
    const r = await ff.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(md5s(r.stdout)).toEqual(md5s(ref.stdout));
  });

  it('GStreamer (udpsrc caps from our SDP ! rtph264depay ! h264parse) receives the same access units', async () => {
    const { bytes, aus } = await encodedAus({ profile: 'main', frames: 45, bframes: 1, gop: 15 });
    const port = await freePortPair();
    const sdp = join(dir, 'gst.sdp');
    const out = join(dir, 'gst.h264');
    await send(bytes, { port, sdp, sync: false, rtcp: false });
    const caps = sdpStream(parseSdp(readFileSync(sdp, 'utf8'))).caps.toString();
    const gst = peer('gst-launch-1.0', ['-q', '-e', 'udpsrc', 'address=127.0.0.1', `port=${port}`, `caps=${caps}`, '!', 'rtph264depay', '!', 'h264parse', '!', 'video/x-h264,stream-format=byte-stream,alignment=au', '!', 'filesink', `location=${out}`]);
    await waitBound(port);
    await send(bytes, { port, rtcp: false });
    await new Promise((r) => setTimeout(r, 300));
    gst.signal('SIGINT');
    const r = await gst.done;
    expect(r.code).toBe(0);
    const got = accessUnits(new Uint8Array(readFileSync(out)));
    expect(got.map((a) => gstNormal(a.nals))).toEqual(aus.map((a) => a.nals.map(hex)));
    // What was normalised away is only GStreamer's additions, each at most once per AU.
    expect(got.every((a) => a.nals.length - gstNormal(a.nals).length <= 3)).toBe(true);
  });

  it("our depayloader reproduces the access units GStreamer's rtph264pay sends", async () => {
    const { path, aus } = await encodedAus({ profile: 'high', frames: 45, bframes: 2, gop: 15 });
    const port = await freePortPair();
    const got: CpuPacket[] = [];
    let listening!: () => void;
    const ready = new Promise<void>((r) => (listening = r));
    const depay = rtpH264Depay();
    const rx = pipe(
      udpSrc({ port, address: '127.0.0.1', rtcp: false, caps: 'application/x-rtp, media=(string)video, clock-rate=(int)90000, encoding-name=(string)H264, payload=(int)96', onListening: () => listening() }),
      rtpJitterBuffer(),
      depay,
      fakeSink<CpuPacket>({ onPacket: (p) => void got.push(p) }),
    ).start({ profile: 'live' });
    await ready;
    const gst = await peer('gst-launch-1.0', ['-q', 'filesrc', `location=${path}`, '!', 'h264parse', '!', 'rtph264pay', 'config-interval=-1', 'pt=96', 'mtu=1000', '!', 'udpsink', 'host=127.0.0.1', `port=${port}`]).done;
    expect(gst.code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    rx.eos();
    await rx.done;
    expect(depay.counters).toMatchObject({ lost: 0, invalid: 0, damaged: 0 });
    expect(got.map((p) => gstNormal(splitAnnexB(p.memory.data)))).toEqual(aus.map((a) => a.nals.map(hex)));
    expect(got.map((p) => (p.flags & PacketFlags.KEYFRAME) !== 0)).toEqual(aus.map((a) => a.idr));
    expect(got.every((p) => !(p.flags & PacketFlags.CORRUPT))).toBe(true);
  });
});
