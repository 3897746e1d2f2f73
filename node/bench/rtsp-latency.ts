import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeSink, identity, videoTestSrc } from '../../operators';
import { Caps, fraction } from '../../src/caps';
import type { Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { systemClock } from '../../src/clock';
import { frameTime } from '../../src/video/timing';
import { h264Dec } from '../elements/h264-dec';
import { h264Enc } from '../elements/h264-enc';
import { rtspServerSink } from '../elements/rtsp-server-sink';
import { rtspSrc } from '../elements/rtsp-src';
import { processIo, type CliIo } from '../cli/io';
import { findOnPath } from './gstreamer';
import { percentile as pct } from './harness';

/**
 * `g2g bench rtsp`: glass-to-glass latency of a live loopback in one process, videoTestSrc(live, 640x360
 * at 30 fps, moving ball) ! h264Enc(zerolatency, ultrafast) ! rtspServerSink … rtspSrc ! h264Dec !
 * fakeSink, over UDP and TCP, beside GStreamer's `rtspsrc latency=0 ! rtph264depay ! avdec_h264 !
 * fakesink` (Python gi) against the same server in the same run. Everything on one host clock:
 *
 * - true g2g (both): sink time − the capture time our source stamped on that frame. Ours finds the frame
 *   by pts (the offset between the two sides' pts from the first unit, matched by its bytes); GStreamer's
 *   by the RTP timestamp of the unit (our server's is the pts in 90 kHz ticks), its sink time from Python's
 *   time.time_ns(), our capture time moved to the same realtime clock by performance.timeOrigin.
 * - where each frame's time goes, from stamps on the one clock: drawing (capture stamp → encoder input:
 *   videoTestSrc draws after stamping, a camera's capture work), encode, hand-off (encoder → sink), send
 *   (rtspServerSink: payloading, RTCP, socket writes; its onSent), wire (last send → the client's socket
 *   callback for the bytes completing the unit, rtspSrc's meta.receiveTime: kernel loopback and the event
 *   loop's turn, server and client sharing one loop), receive (→ rtspSrc's output: parse, depay, jitter
 *   buffer, buffer hand-off), → decoder, decode, decoder → sink.
 * - framework share = true g2g − drawing − encode − decode: glass2glass's runtime and protocol code, plus
 *   the wire (not ours, kept in: an upper bound); also shown with the drawing, and without the wire
 *   ("code": send + receive + hand-offs).
 * - SR g2g (both): sink time − the capture time derived from the server's RTCP SRs (our meta.captureTime,
 *   GStreamer's reference timestamp meta, timestamp/x-ntp). rtspServerSink maps RTP time to capture time
 *   (the source's stamps), so this is the true g2g less the source's wake-up jitter (RTP time is the
 *   nominal pts).
 *
 * The first 10 units of each run are start-up (keyframe wait, decoder set-up) and listed apart.
 */

const NS_PER_MS = 1e6;

/** A passthrough that calls `fn` with each packet as it leaves (the time is the probe's): identity's handoff. */
const probe = <T extends Packet>(name: string, fn: (p: T) => void): Transform<T, T> => identity<T>({ name, handoff: fn });

/** Bytes near the end of an access unit: slice data, identical on both sides of the network. */
function tail(p: Packet): string {
  const m = p.memory as { data?: Uint8Array };
  const d = m.data!;
  // Not the very end: trailing zero bytes are the payloader's to trim.
  return d.length > 64 ? Buffer.from(d.subarray(d.length - 48, d.length - 16)).toString('hex') : '';
}

interface ServerFrame {
  capture: number;
  encIn: number;
  encOut?: number;
  sendStart?: number;
  sendEnd?: number;
}

interface Server {
  url: string;
  frames: Map<number, ServerFrame>;
  byTail: Map<string, number>;
  stop(): Promise<void>;
}

async function startServer(width: number, height: number, fps: number): Promise<Server> {
  const frames = new Map<number, ServerFrame>();
  const byTail = new Map<string, number>();
  let url = '';
  let listening!: () => void;
  const ready = new Promise<void>((r) => (listening = r));
  const running = pipe(
    videoTestSrc({ isLive: true, width, height, framerate: fps, format: 'I420', pattern: 'ball' } as Parameters<typeof videoTestSrc>[0]),
    probe('enc-in', (p) => void frames.set(p.pts!, { capture: p.meta.captureTime!, encIn: systemClock.now() })),
    h264Enc({ tune: 'zerolatency', speedPreset: 'ultrafast', keyIntMax: fps, profile: 'baseline' }),
    probe('enc-out', (p) => {
      const f = frames.get(p.pts!);
      if (f) f.encOut = systemClock.now();
      const k = tail(p);
      if (k) byTail.set(k, p.pts!);
      // Bounded: frames older than a few seconds are no longer matched.
      if (frames.size > 600) frames.delete(frames.keys().next().value!);
      if (byTail.size > 600) byTail.delete(byTail.keys().next().value!);
    }),
    // The source paces; sync=false: no second pacing in the sink. Streams without waiting for a client.
    rtspServerSink({
      port: 0,
      path: '/bench',
      sync: false,
      waitForClient: false,
      onListening: (i) => ((url = i.url), listening()),
      onSent: ({ pts, start, end }) => {
        const f = pts === undefined ? undefined : frames.get(pts);
        if (f) Object.assign(f, { sendStart: start, sendEnd: end });
      },
    }),
  ).start({ profile: 'live', clock: systemClock });
  await Promise.race([ready, running.done]);
  return {
    url,
    frames,
    byTail,
    async stop() {
      running.abort();
      await running.done.catch(() => undefined);
    },
  };
}

const SEGMENTS = ['drawing', 'encode', 'handoff', 'send', 'wire', 'receive', 'toDec', 'decode', 'toSink'] as const;
type Segment = (typeof SEGMENTS)[number];

interface OursResult {
  g2g: number[];
  /** g2g − drawing − encode − decode (wire included). */
  framework: number[];
  /** The same with the test pattern's drawing. */
  frameworkWithDrawing: number[];
  /** Our code only: framework − wire. */
  frameworkCode: number[];
  sr: number[];
  /** Per frame, ms: see the header. */
  segments: Record<Segment, number[]>;
  /** First N frames' SR g2g, to see the start-up. */
  firstSr: number[];
  firstTrue: number[];
  /** Frames not matched to a server frame, by reason. */
  unmatched: string[];
}

async function runOurs(server: Server, protocols: 'udp' | 'tcp', frames: number, latency: number, fps: number): Promise<OursResult> {
  interface ClientFrame {
    serverPts?: number;
    recv: number;
    arrival?: number;
    decIn?: number;
    decOut?: number;
  }
  const client = new Map<number, ClientFrame>();
  const segments = Object.fromEntries(SEGMENTS.map((k) => [k, [] as number[]])) as Record<Segment, number[]>;
  const out: OursResult = { g2g: [], framework: [], frameworkWithDrawing: [], frameworkCode: [], sr: [], firstSr: [], firstTrue: [], unmatched: [], segments };
  let n = 0;
  let offset: number | undefined;
  await pipe(
    rtspSrc({ location: server.url, protocols, latency: latency * NS_PER_MS, numBuffers: frames }),
    probe('recv', (p) => {
      // The first unit found by its bytes (a keyframe: big, unique) gives the offset between the two
      // sides' pts; every later one is the server frame at its pts minus that offset (frames of the
      // moving-ball pattern can be 50 bytes, too small to tell apart by content).
      if (offset === undefined) {
        const k = tail(p);
        const s = k ? server.byTail.get(k) : undefined;
        if (s !== undefined) offset = p.pts! - s;
      }
      const serverPts = offset === undefined ? undefined : frameTime(Math.max(0, Math.round(((p.pts! - offset) * fps) / 1e9)), fraction(fps, 1));
      client.set(p.pts!, { serverPts, recv: systemClock.now(), arrival: p.meta.receiveTime as number | undefined });
    }),
    probe('dec-in', (p) => {
      const c = client.get(p.pts!);
      if (c) c.decIn = systemClock.now();
    }),
    h264Dec({ format: 'I420' }),
    probe('dec-out', (p) => {
      const c = client.get(p.pts!);
      if (c) c.decOut = systemClock.now();
    }),
    fakeSink({
      sync: false,
      onPacket: (p) => {
        const now = systemClock.now();
        const c = client.get(p.pts!);
        const sr = p.meta.captureTime !== undefined ? (now - p.meta.captureTime) / NS_PER_MS : NaN;
        const f = c?.serverPts !== undefined ? server.frames.get(c.serverPts) : undefined;
        n++;
        if (!Number.isNaN(sr)) (n <= 10 ? out.firstSr : out.sr).push(sr);
        if (f?.encOut === undefined || f.sendEnd === undefined || c?.arrival === undefined || c.decIn === undefined || c.decOut === undefined) {
          out.unmatched.push(!c ? 'pts' : c.serverPts === undefined ? 'tail' : !f ? 'frame' : 'probe');
          return;
        }
        const g2g = (now - f.capture) / NS_PER_MS;
        if (n <= 10) out.firstTrue.push(g2g);
        // The first second is start-up (the first keyframe, caches): the steady state is what is reported.
        if (n <= 10) return;
        const ms = (a: number, b: number) => (b - a) / NS_PER_MS;
        const seg: Record<Segment, number> = {
          drawing: ms(f.capture, f.encIn),
          encode: ms(f.encIn, f.encOut),
          handoff: ms(f.encOut, f.sendStart!),
          send: ms(f.sendStart!, f.sendEnd),
          wire: ms(f.sendEnd, c.arrival),
          receive: ms(c.arrival, c.recv),
          toDec: ms(c.recv, c.decIn),
          decode: ms(c.decIn, c.decOut),
          toSink: ms(c.decOut, now),
        };
        for (const k of SEGMENTS) out.segments[k].push(seg[k]);
        out.g2g.push(g2g);
        const share = g2g - seg.drawing - seg.encode - seg.decode;
        out.framework.push(share);
        out.frameworkWithDrawing.push(share + seg.drawing);
        out.frameworkCode.push(share - seg.wire);
        client.delete(p.pts!);
      },
    }),
  ).run({ profile: 'live', clock: systemClock });
  return out;
}

const GST_CLIENT = String.raw`
import sys, time, json
import gi
gi.require_version('Gst', '1.0')
from gi.repository import Gst, GLib
Gst.init(None)
url, proto, frames = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Gst.parse_launch('rtspsrc name=src latency=0 protocols=%s add-reference-timestamp-meta=true location=%s ! rtph264depay name=depay ! avdec_h264 ! fakesink name=sink sync=false' % (proto, url))
# The RTP timestamp of each access unit (the depayloader pushes it while handling its last packet), by pts.
last_ts = [None]
pts_ts = {}
def on_rtp(pad, info):
    b = info.get_buffer().extract_dup(4, 4)
    last_ts[0] = int.from_bytes(b, 'big')
    return Gst.PadProbeReturn.OK
def on_au(pad, info):
    pts_ts[info.get_buffer().pts] = last_ts[0]
    return Gst.PadProbeReturn.OK
depay = p.get_by_name('depay')
depay.get_static_pad('sink').add_probe(Gst.PadProbeType.BUFFER, on_rtp)
depay.get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, on_au)
seen = []
ntp = Gst.Caps.from_string('timestamp/x-ntp')
lat = []
missing = [0]
loop = GLib.MainLoop()
def on_buffer(pad, info):
    now = time.time()
    seen.append([pts_ts.pop(info.get_buffer().pts, None), time.time_ns()])
    m = info.get_buffer().get_reference_timestamp_meta(ntp)
    if m is None:
        missing[0] += 1
    else:
        lat.append((now - (m.timestamp / 1e9 - 2208988800)) * 1000)
    if len(lat) + missing[0] >= frames:
        GLib.idle_add(loop.quit)
    return Gst.PadProbeReturn.OK
p.get_by_name('sink').get_static_pad('sink').add_probe(Gst.PadProbeType.BUFFER, on_buffer)
bus = p.get_bus(); bus.add_signal_watch()
def on_msg(bus, msg):
    if msg.type == Gst.MessageType.ERROR:
        print(json.dumps({'error': str(msg.parse_error()[0])}), flush=True); loop.quit()
bus.connect('message', on_msg)
GLib.timeout_add(30000, loop.quit)
p.set_state(Gst.State.PLAYING)
loop.run()
p.set_state(Gst.State.NULL)
print(json.dumps({'latency': lat, 'missing': missing[0], 'frames': seen}), flush=True)
`;

interface GstResult {
  sr: number[];
  firstSr: number[];
  /** True g2g: our source's capture → GStreamer's sink, the frame found by its RTP timestamp. */
  g2g: number[];
  missing: number;
  error?: string;
}

async function runGst(script: string, server: Server, protocols: 'udp' | 'tcp', frames: number, fps: number): Promise<GstResult> {
  const url = server.url;
  const child = spawn('/usr/bin/python3', [script, url, protocols, String(frames)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  await new Promise<void>((r) => child.once('exit', () => r()));
  const line = out.trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { latency?: number[]; missing?: number; error?: string; frames?: [number | null, number][] };
    const lat = j.latency ?? [];
    // Our server's RTP timestamp is the pts in 90 kHz ticks (no offset); the host clock's wall time is
    // performance.timeOrigin + its ns, Python's time.time_ns() the same realtime clock.
    const origin = performance.timeOrigin * NS_PER_MS;
    const g2g: number[] = [];
    (j.frames ?? []).slice(10).forEach(([ts, wall]) => {
      if (ts === null) return;
      const f = server.frames.get(frameTime(Math.round((ts * fps) / 90000), fraction(fps, 1)));
      if (f) g2g.push((wall - (origin + f.capture)) / NS_PER_MS);
    });
    return { sr: lat.slice(10), firstSr: lat.slice(0, 10), g2g, missing: j.missing ?? 0, error: j.error };
  } catch {
    return { sr: [], firstSr: [], g2g: [], missing: 0, error: `GStreamer client: ${err || out || 'no output'}` };
  }
}

const fmt = (xs: number[]) => (xs.length ? `p50 ${pct(xs, 50).toFixed(2)}  p95 ${pct(xs, 95).toFixed(2)} ms` : 'n/a');

export async function benchRtspLatency(args: string[], io: CliIo = processIo): Promise<number> {
  const opt = (name: string, dflt: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const runs = opt('--runs', 3);
  const frames = opt('--frames', 150);
  // rtspSrc's UDP reorder budget (ms): 0 as rtspsrc latency=0.
  const latency = opt('--latency', 0);
  const json = args.includes('--json');
  const fps = 30;
  const python = findOnPath('python3') ? '/usr/bin/python3' : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'g2g-rtsp-bench-'));
  const script = join(dir, 'gst-client.py');
  writeFileSync(script, GST_CLIENT);
  const server = await startServer(640, 360, fps);
  const results: Record<string, unknown>[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      for (const proto of ['udp', 'tcp'] as const) {
        const load = loadavg()[0];
        const ours = await runOurs(server, proto, frames, latency, fps);
        const gst = python ? await runGst(script, server, proto, frames, fps) : undefined;
        const sum = (xs: number[]) => ({ count: xs.length, p50: pct(xs, 50), p95: pct(xs, 95) });
        const seg = ours.segments;
        results.push({
          run: r + 1,
          protocols: proto,
          load,
          ours: {
            g2g: sum(ours.g2g),
            framework: sum(ours.framework),
            frameworkWithDrawing: sum(ours.frameworkWithDrawing),
            frameworkCode: sum(ours.frameworkCode),
            segments: Object.fromEntries(SEGMENTS.map((k) => [k, sum(seg[k])])),
            sr: sum(ours.sr),
            firstSr: ours.firstSr,
            firstTrue: ours.firstTrue,
            unmatched: ours.unmatched.length,
          },
          gst: gst && { g2g: sum(gst.g2g), sr: sum(gst.sr), firstSr: gst.firstSr, missing: gst.missing, error: gst.error },
        });
        if (!json) {
          const s2 = (k: Segment) => `${k} ${fmt(seg[k])}`;
          io.out(
            [
              `run ${r + 1} ${proto.toUpperCase()}  load ${load.toFixed(2)}`,
              `  g2g true g2g         ${fmt(ours.g2g)}   (${s2('encode')}, ${s2('decode')})`,
              `  g2g framework share  ${fmt(ours.framework)}; with the test pattern's drawing ${fmt(ours.frameworkWithDrawing)}; code only (no wire) ${fmt(ours.frameworkCode)}`,
              `                       (${SEGMENTS.filter((k) => k !== 'encode' && k !== 'decode').map(s2).join('; ')})`,
              `  unmatched ${ours.unmatched.length}: ${ours.unmatched.slice(0, 10).join(' ')}`,
              `  g2g SR g2g           ${fmt(ours.sr)}   first 10: ${ours.firstSr.map((v) => v.toFixed(1)).join(' ')}  (true: ${ours.firstTrue.map((v) => v.toFixed(1)).join(' ')})`,
              gst ? `  GStreamer true g2g   ${fmt(gst.g2g)}   (${gst.g2g.length} frames matched)` : '',
              gst ? `  GStreamer SR g2g     ${fmt(gst.sr)}   first 10: ${gst.firstSr.map((v) => v.toFixed(1)).join(' ')}${gst.missing ? `  (${gst.missing} without meta)` : ''}${gst.error ? `  error: ${gst.error}` : ''}` : '  GStreamer: python3 with gi not found',
            ].join('\n'),
          );
        }
      }
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (json) io.out(JSON.stringify(results, null, 2));
  return 0;
}
