import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { StreamsSide, SideSnapshot } from './streams-side';
import { readProcCpu } from './streams-side';

/**
 * GStreamer's side of `g2g bench streams`: N branches of
 *   rtspsrc latency=0 protocols=P ! rtph264depay ! avdec_h264 ! fakesink sync=true max-lateness=20000000
 * in ONE pipeline of one process. The description is gst-launch-1.0's, parsed by Gst.parse_launch from
 * python3-gi (what gst-launch does), because gst-launch cannot print a sink's counters: GStreamer 1.22's
 * basesink `stats` property (rendered, dropped) is read here, on request, at the edges of the measuring
 * window — nothing runs per buffer (fakesink -v last-message would print a line a frame). fakesink's own
 * max-lateness is -1 (never late); 20 ms is GStreamer's video sinks' default and glass2glass's live
 * profile's, so a frame later than that is dropped and counted on both sides alike.
 *
 * Protocol on the pipes: the script prints {"started": N}; each line "snap" on its stdin is answered
 * with {"sinks": [[rendered, dropped], …], "latency": the pipeline's min latency, ns}; an error on the bus prints {"error": …, "stream": i}; "quit"
 * (or stdin closing) stops the pipeline.
 */

export const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, os, re, sys
import gi
gi.require_version('Gst', '1.0')
from gi.repository import Gst, GLib
Gst.init(None)
desc, n = sys.argv[1], int(sys.argv[2])
pipeline = Gst.parse_launch(desc)
sinks = [pipeline.get_by_name('sink%d' % i) for i in range(n)]
loop = GLib.MainLoop()
def say(o):
    sys.stdout.write(json.dumps(o) + '\n')
    sys.stdout.flush()
def on_error(bus, msg):
    err, _ = msg.parse_error()
    m = re.search(r'src(\d+)', msg.src.get_path_string())
    say({'error': '%s: %s' % (msg.src.get_name(), err.message), 'stream': int(m.group(1)) if m else None})
bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect('message::error', on_error)
pending = [b'']
def on_stdin(fd, cond):
    data = os.read(fd, 4096)
    if not data:
        loop.quit()
        return False
    pending[0] += data
    while b'\n' in pending[0]:
        line, pending[0] = pending[0].split(b'\n', 1)
        if line.strip() == b'quit':
            loop.quit()
            return False
        out = []
        for s in sinks:
            st = s.get_property('stats')
            out.append([st.get_value('rendered'), st.get_value('dropped')])
        q = Gst.Query.new_latency()
        say({'sinks': out, 'latency': q.parse_latency()[1] if pipeline.query(q) else None})
    return True
GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP, on_stdin)
pipeline.set_state(Gst.State.PLAYING)
say({'started': n})
loop.run()
pipeline.set_state(Gst.State.NULL)
`;

/** The gst-launch-1.0 description of N branches, sinks named sink0…, sources src0…. */
export function gstDescription(url: string, n: number, protocols: 'tcp' | 'udp'): string {
  return Array.from(
    { length: n },
    (_, i) =>
      `rtspsrc name=src${i} location=${url} latency=0 protocols=${protocols} ! rtph264depay ! avdec_h264 ! fakesink name=sink${i} sync=true max-lateness=20000000`
  ).join('  ');
}

/** One line of the script's output, read. */
export type GstLine =
  | { kind: 'started'; n: number }
  | { kind: 'sinks'; sinks: { rendered: number; dropped: number }[]; latency: number | undefined }
  | { kind: 'error'; message: string; stream: number | undefined };

/** Reads one line the script printed; undefined for anything else (GStreamer's own warnings on stdout). */
export function parseGstLine(line: string): GstLine | undefined {
  let j: unknown;
  try {
    j = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof j !== 'object' || j === null) return undefined;
  const o = j as Record<string, unknown>;
  if (typeof o.started === 'number') return { kind: 'started', n: o.started };
  if (typeof o.error === 'string') return { kind: 'error', message: o.error, stream: typeof o.stream === 'number' ? o.stream : undefined };
  if (Array.isArray(o.sinks)) {
    const sinks = o.sinks.map((s) =>
      Array.isArray(s) && s.length === 2 && s.every((v) => Number.isInteger(v)) ? { rendered: s[0] as number, dropped: s[1] as number } : undefined
    );
    if (sinks.every((s) => s !== undefined))
      return { kind: 'sinks', sinks: sinks as { rendered: number; dropped: number }[], latency: typeof o.latency === 'number' ? o.latency : undefined };
  }
  return undefined;
}

/** Says why GStreamer's side cannot run here, or undefined. */
export function gstMissing(): string | undefined {
  return existsSync(PYTHON) ? undefined : `${PYTHON} not found (apt install python3-gi gir1.2-gstreamer-1.0 gstreamer1.0-plugins-good gstreamer1.0-libav)`;
}

/** Starts N branches in one process; resolves once the script has set the pipeline playing. */
export async function startGstStreams(url: string, n: number, protocols: 'tcp' | 'udp'): Promise<StreamsSide> {
  const child: ChildProcess = spawn(PYTHON, ['-c', SCRIPT, gstDescription(url, n, protocols), String(n)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const errors: (string | undefined)[] = new Array(n).fill(undefined);
  let stderr = '';
  let pendingText = '';
  const waiters: ((l: GstLine | Error) => void)[] = [];
  let ended: Error | undefined;
  const fail = (e: Error) => {
    ended ??= e;
    for (const w of waiters.splice(0)) w(e);
  };
  // A write after the process died is reported by 'exit'; the pipe's own EPIPE must not throw.
  child.stdin!.on('error', () => undefined);
  child.stderr!.setEncoding('utf8').on('data', (d: string) => void (stderr = (stderr + d).slice(-2000)));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    pendingText += d;
    let i: number;
    while ((i = pendingText.indexOf('\n')) >= 0) {
      const line = parseGstLine(pendingText.slice(0, i));
      pendingText = pendingText.slice(i + 1);
      if (!line) continue;
      if (line.kind === 'error') {
        // An error of one branch marks that stream; one that names none marks every stream.
        for (let k = 0; k < n; k++) if (line.stream === undefined || line.stream === k) errors[k] ??= line.message;
      } else waiters.shift()?.(line);
    }
  });
  child.on('error', (e) => fail(e));
  child.on('exit', (code, signal) =>
    fail(new Error(`GStreamer's process ended (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-2).join(' | ') || 'no output'}`))
  );
  const nextLine = (): Promise<GstLine> =>
    ended ? Promise.reject(ended) : new Promise((resolve, reject) => waiters.push((l) => (l instanceof Error ? reject(l) : resolve(l))));
  const first = await nextLine();
  if (first.kind !== 'started') throw new Error('GStreamer side: unexpected first line');
  const pid = child.pid!;
  return {
    name: 'GStreamer',
    async snap(): Promise<SideSnapshot> {
      const answer = nextLine();
      child.stdin!.write('snap\n');
      const cpu = readProcCpu(pid);
      const at = performance.now() * 1e6;
      const line = await answer;
      if (line.kind !== 'sinks' || line.sinks.length !== n) throw new Error("GStreamer side: a snapshot without every sink's stats");
      return {
        at,
        cpu,
        streams: line.sinks.map((s, k) => ({ delivered: s.rendered, late: s.dropped, drops: s.dropped, error: errors[k] })),
        syncLatency: line.latency,
      };
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.stdin!.end('quit\n');
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(kill);
    },
  };
}
