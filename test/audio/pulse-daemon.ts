/**
 * A private PulseAudio daemon for the audio device tests (../shared/peers.md's recipe): a temporary
 * XDG_RUNTIME_DIR, the native protocol on a unix socket there, one null sink (`g2g`, 48 kHz stereo). The elements
 * reach it through their `server` property; parec/paplay through PULSE_SERVER in `env`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PulseDaemon {
  readonly proc: ChildProcess;
  readonly dir: string;
  /** The server string (`unix:/…/native`) for `server=` and PULSE_SERVER. */
  readonly server: string;
  /** The null sink's name; its monitor is `${sink}.monitor`. */
  readonly sink: string;
  /** process.env with PULSE_SERVER and XDG_RUNTIME_DIR set to this daemon's. */
  readonly env: NodeJS.ProcessEnv;
  log(): string;
}

export const daemons: PulseDaemon[] = [];

export async function startPulse(sink = 'g2g'): Promise<PulseDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'g2g-pulse-'));
  chmodSync(dir, 0o700);
  const socket = join(dir, 'native');
  const env = { ...process.env, XDG_RUNTIME_DIR: dir, PULSE_SERVER: `unix:${socket}`, HOME: dir };
  let out = '';
  const proc = spawn(
    'pulseaudio',
    [
      '-n',
      '--daemonize=no',
      '--exit-idle-time=-1',
      '--log-target=stderr',
      '--use-pid-file=no',
      '--system=no',
      '-L',
      `module-native-protocol-unix socket=${socket} auth-anonymous=1`,
      '-L',
      `module-null-sink sink_name=${sink} rate=48000 channels=2`,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  proc.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
  const d: PulseDaemon = { proc, dir, server: `unix:${socket}`, sink, env, log: () => out };
  daemons.push(d);
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`pulseaudio did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return d;
}

/** Kills the daemon (SIGKILL: a server that dies, not one that says goodbye) and removes its directory. */
export async function stopPulse(d: PulseDaemon): Promise<void> {
  if (d.proc.exitCode === null && d.proc.signalCode === null) {
    const gone = new Promise((r) => d.proc.once('exit', r));
    d.proc.kill('SIGKILL');
    await gone;
  }
  rmSync(d.dir, { recursive: true, force: true });
}

/** A RIFF WAVE file's PCM (16-bit) as one Float64Array per channel. */
export function readWav(file: string): { rate: number; channels: number; planes: Float64Array[] } {
  const b = readFileSync(file);
  if (b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`${file} is not a WAVE file`);
  let pos = 12;
  let rate = 0;
  let channels = 0;
  let bits = 0;
  while (pos + 8 <= b.length) {
    const id = b.toString('latin1', pos, pos + 4);
    let size = b.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      channels = b.readUInt16LE(body + 2);
      rate = b.readUInt32LE(body + 4);
      bits = b.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16) throw new Error(`${file}: ${bits}-bit WAVE, expected 16`);
      // parec, stopped by a signal, leaves the size fields unwritten (0 or 0xffffffff): read to the end.
      if (size === 0 || body + size > b.length) size = b.length - body;
      const frames = Math.floor(size / (2 * channels));
      const planes = Array.from({ length: channels }, () => new Float64Array(frames));
      for (let f = 0; f < frames; f++) for (let c = 0; c < channels; c++) planes[c][f] = b.readInt16LE(body + (f * channels + c) * 2) / 32768;
      return { rate, channels, planes };
    }
    pos = body + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

/** The part of `x` from the first to the last sample above `threshold` (the tone without parec's silence). */
export function trimSilence(x: Float64Array, threshold = 0.01): Float64Array {
  let a = 0;
  while (a < x.length && Math.abs(x[a]) < threshold) a++;
  let b = x.length;
  while (b > a && Math.abs(x[b - 1]) < threshold) b--;
  return x.subarray(a, b);
}
