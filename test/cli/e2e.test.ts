import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requirePeer } from '../peers';
import { ensureBuilt, g2g } from './cli-process';

requirePeer('ffmpeg');

beforeAll(() => ensureBuilt(), 120_000);

/** Sends `signal` once stdout contains `marker` (and again `times` - 1 more times, `gapMs` apart). */
function signalOn(marker: string, times = 1, gapMs = 300) {
  let sent = false;
  return (stdout: string, child: { kill(s: NodeJS.Signals): boolean }) => {
    if (sent || !stdout.includes(marker)) return;
    sent = true;
    for (let k = 0; k < times; k++) setTimeout(() => child.kill('SIGINT'), 200 + k * gapMs);
  };
}

describe.concurrent('g2g (a real process)', () => {
  it('prints usage for --help and exits 0', async () => {
    const r = await g2g(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: g2g <command>/);
    expect(r.stdout).toMatch(/launch/);
  });

  it('prints usage for an unknown command and exits 2', async () => {
    const r = await g2g(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(r.stderr).toMatch(/Usage: g2g <command>/);
  });

  it('exits 2 without a command', async () => {
    const r = await g2g([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no command given/);
  });

  it('inspect lists the elements', async () => {
    const r = await g2g(['inspect']);
    expect(r.code).toBe(0);
    for (const name of ['fakeSrc', 'identity', 'queue', 'tee', 'fakeSink', 'capsFilter']) expect(r.stdout).toMatch(new RegExp(`^${name} +(source|transform|sink) +\\S`, 'm'));
  });

  it('inspect fakeSrc prints pad templates and properties', async () => {
    const r = await g2g(['inspect', 'fakeSrc']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SRC template: 'src'\n\s+Availability: Always\n\s+Capabilities:\n\s+ANY/);
    expect(r.stdout).toMatch(/num-buffers\s+: .*\n\s+Integer: an integer ≥ -1\. Default: -1/);
    expect(r.stdout).toMatch(/is-live\s+: .*\n\s+Boolean: true, false, 1 or 0\. Default: false/);
  });

  it('inspect of an unknown element exits 1 with near matches', async () => {
    const r = await g2g(['inspect', 'fakesrc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no element 'fakesrc'; did you mean fakeSrc or fileSrc\?/);
  });

  it('launch runs a pipeline to the end, prints stats and exits 0', async () => {
    const r = await g2g(['launch', 'fakeSrc num-buffers=1000 ! identity ! queue ! fakeSink']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Execution ended after \d+:\d\d:\d\d\.\d{9}/);
    expect(r.stdout).toMatch(/^fakeSink0 +1000 /m);
    expect(r.stdout).toMatch(/delivered 1000 packets/);
  });

  it('launch takes the pipeline as several arguments, as gst-launch', async () => {
    const r = await g2g(['launch', '-q', 'fakeSrc', 'num-buffers=3', 'caps=video/x-raw, format=NV12', '!', 'fakeSink']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('launch -v prints the fixed caps of every link as data flows, not template ranges', async () => {
    const r = await g2g(['launch', '-v', 'fakeSrc num-buffers=1 ! video/x-raw,format={NV12,I420} ! fakeSink']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fakeSrc0\.src → capsFilter0\.sink: caps = video\/x-raw, format=\(string\)NV12$/m);
    expect(r.stdout).toMatch(/^capsFilter0\.src → fakeSink0\.sink: caps = video\/x-raw, format=\(string\)NV12$/m);
    expect(r.stdout).not.toMatch(/caps = .*\{/);
  });

  it('launch -v prints the caps a parser finds in the stream, not its template', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'g2g-v-'));
    try {
      const file = join(dir, 'in.h264');
      execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-frames:v', '3', '-c:v', 'libx264', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', file]);
      const r = await g2g(['launch', '-v', `fileSrc location=${file} ! h264Parse ! fakeSink`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^h264Parse0\.src → fakeSink0\.sink: caps = video\/x-h264, .*width=\(int\)64, height=\(int\)48/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('launch --print prints the pipeline with the properties that differ from their defaults, without running it', async () => {
    const r = await g2g(['launch', '--print', 'videoTestSrc num-buffers=5 pattern=smpte is-live=true ! queue ! identity sleep-time=0.5s ! fakeSink']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('videoTestSrc name=videoTestSrc0 num-buffers=5 is-live=true ! queue name=queue0 ! identity name=identity0 sleep-time=500ms ! fakeSink name=fakeSink0');
    expect(r.stdout).not.toMatch(/Execution ended/);
  });

  it('a negotiation error names both elements and the fields, before anything runs, exit 1', async () => {
    const r = await g2g(['launch', 'fakeSrc caps=video/x-raw ! audio/x-raw ! fakeSink']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/negotiation failed between fakeSrc0 and capsFilter0/);
    expect(r.stderr).toMatch(/video\/x-raw vs audio\/x-raw/);
    expect(r.stdout).not.toMatch(/Running|Execution ended/);
  });

  it('an element error names the element and pts, exit 1', async () => {
    const r = await g2g(['launch', 'fakeSrc num-buffers=100 ! identity error-after=5 ! fakeSink']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERROR: identity0 failed at pts 0:00:00\.166666667: error-after=5 reached/);
    expect(r.stdout).toMatch(/^fakeSink0 +5 /m);
  });

  it('a parse error points at the position, exit 1', async () => {
    const r = await g2g(['launch', 'fakeSrc num-buffers=ten ! fakeSink']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid value 'ten' for fakeSrc num-buffers/);
    expect(r.stderr).toMatch(/\n {2}fakeSrc num-buffers=ten ! fakeSink\n {22}\^/);
  });

  it('a bad option exits 2', async () => {
    const r = await g2g(['launch', '--profile', 'fast', 'fakeSrc ! fakeSink']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--profile must be live or throughput/);
  });

  it('Ctrl-C ends an endless live pipeline with end-of-stream: exit 0, stats printed', async () => {
    const r = await g2g(['launch', '--profile', 'live', 'fakeSrc is-live=true ! fakeSink'], signalOn('Running'));
    expect(r.stderr).toMatch(/Interrupt: ending the stream/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Execution ended after/);
    expect(r.stdout).toMatch(/glass-to-glass latency \(\d+ packets\)/);
    expect(r.stdout).toMatch(/^fakeSink0 +[1-9]\d* /m);
  });

  it('Ctrl-C ends an endless throughput pipeline that never waits', async () => {
    const r = await g2g(['launch', 'fakeSrc ! identity ! fakeSink'], signalOn('Running'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/delivered [1-9]\d* packets/);
  });

  it('a second Ctrl-C aborts a pipeline stuck in an element: exit 130', async () => {
    const r = await g2g(['launch', 'fakeSrc ! identity sleep-time=60s ! fakeSink'], signalOn('Running', 2));
    expect(r.stderr).toMatch(/Interrupt: ending the stream[\s\S]*Interrupt: aborting[\s\S]*Aborted\./);
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(130);
  });

  it('demo runs a live pipeline for --frames and prints its latency', async () => {
    const r = await g2g(['demo', '--simple', '--frames', '10']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fakeSrc is-live=true framerate=30\/1 num-buffers=10 ! identity ! queue ! fakeSink/);
    expect(r.stdout).toMatch(/Running \(profile live\)/);
    expect(r.stdout).toMatch(/glass-to-glass latency \(10 packets\)/);
  });

  it('demo stops on Ctrl-C', async () => {
    const r = await g2g(['demo', '--frames', '0'], signalOn('Running'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/glass-to-glass latency \(\d+ packets\)/);
  });
});
