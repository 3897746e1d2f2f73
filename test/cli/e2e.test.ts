import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, g2g } from './cli-process';

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
    expect(r.stdout).toMatch(/num-buffers\s+: .*\n\s+Integer\. Default: -1/);
    expect(r.stdout).toMatch(/is-live\s+: .*\n\s+Boolean\. Default: false/);
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

  it('launch -v prints the negotiated caps', async () => {
    const r = await g2g(['launch', '-v', 'fakeSrc num-buffers=1 ! video/x-raw,format={NV12,I420} ! fakeSink']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/capsFilter0\.src: caps = video\/x-raw, format=\(string\)NV12/);
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
