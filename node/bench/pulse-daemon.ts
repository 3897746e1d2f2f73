/**
 * A private PulseAudio daemon (../shared/peers.md's recipe): a temporary XDG_RUNTIME_DIR, the native protocol
 * on a unix socket there, one null sink (48 kHz stereo). Elements reach it through their `server` property;
 * parec/paplay/gst-launch through PULSE_SERVER in `env`. Used by the audio tests and `g2g bench audio`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
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
