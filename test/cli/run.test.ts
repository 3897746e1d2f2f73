// `g2g run FILE.json`: N pipelines in one process; one failing (or restarting) never stalls the others.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../node/cli/run';
import { parseRunConfig } from '../../node/cli/run-config';

const dir = mkdtempSync(join(tmpdir(), 'g2g-run-'));
const file = (name: string, config: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, typeof config === 'string' ? config : JSON.stringify(config));
  return p;
};
const go = async (args: string[], onErr?: (line: string) => void) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (t) => void out.push(t), err: (t) => void (err.push(t), onErr?.(t)) }, { onInterrupt: () => () => undefined });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

describe('g2g run', () => {
  it('runs every pipeline of the file side by side, each named in the output', async () => {
    const r = await go([
      file('two.json', {
        profile: 'throughput',
        pipelines: [
          { name: 'cam1', launch: 'videoTestSrc num-buffers=20 ! fakeSink' },
          { name: 'cam2', launch: 'fakeSrc num-buffers=7 ! identity ! fakeSink' },
        ],
      }),
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\[cam1\] ended: 20 delivered/);
    expect(r.out).toMatch(/\[cam2\] ended: 7 delivered/);
    expect(r.out).toMatch(/\[cam2\] stats:\n.*element/);
  });

  it('one pipeline failing does not stop the others; the exit says it failed', async () => {
    const r = await go([
      file('fail.json', {
        pipelines: [
          { name: 'good', launch: 'videoTestSrc is-live=true num-buffers=15 framerate=30/1 ! fakeSink' },
          { name: 'bad', launch: `fileSrc location=${join(dir, 'missing.h264')} ! fakeSink` },
        ],
      }),
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\[bad\] ERROR: .*missing\.h264/);
    expect(r.out).toMatch(/\[good\] ended: 15 delivered/);
  });

  it('restart: true starts a failed pipeline again after restartDelay, the others untouched', async () => {
    // The input appears once the first run failed, as a camera coming back.
    const input = join(dir, 'late.bin');
    const p = file('restart.json', {
      restartDelay: '200ms',
      pipelines: [
        { name: 'steady', launch: 'videoTestSrc is-live=true num-buffers=20 framerate=30/1 ! fakeSink' },
        { name: 'flaky', launch: `fileSrc location=${input} ! fakeSink`, restart: true },
      ],
    });
    const r = await go([p], (line) => line.startsWith('[flaky] ERROR') && writeFileSync(input, Buffer.alloc(1000)));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/\[flaky\] ERROR/);
    expect(r.out).toMatch(/\[flaky\] running \(profile live\), restart 1/);
    expect(r.out).toMatch(/\[flaky\] ended/);
    expect(r.out).toMatch(/\[steady\] ended: 20 delivered/);
    expect(r.out).toMatch(/\[flaky\] failed 1×, restarted 1×; last run:/);
  });

  it('a mistake in the file or in any pipeline is reported before anything runs', async () => {
    const bad = await go([
      file('badel.json', {
        pipelines: [
          { name: 'a', launch: 'fakeSrc num-buffers=1 ! fakeSink' },
          { name: 'b', launch: 'fakeSrc ! nosuch ! fakeSink' },
        ],
      }),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/ERROR: b: could not build the pipeline: .*no element 'nosuch'/);
    expect(bad.out).not.toMatch(/running/);
    expect((await go([join(dir, 'nope.json')])).err).toMatch(/cannot read .*nope\.json: no such file/);
    expect(() => parseRunConfig('{"pipelines": [{"name": "a", "lanch": "x"}]}')).toThrow(
      "pipelines[0]: unknown key 'lanch' (keys: name, launch, profile, restart)"
    );
    expect(() => parseRunConfig('{"pipelines": [{"name": "a", "launch": "x"}, {"name": "a", "launch": "y"}]}')).toThrow("pipelines[1].name: 'a' is used twice");
    expect(() => parseRunConfig('[1,')).toThrow(/is not JSON/);
    expect(() => parseRunConfig('{"pipelines": []}')).toThrow(/non-empty array/);
    expect(parseRunConfig('{"restartDelay": "2s", "pipelines": [{"name": "a", "launch": "x", "profile": "throughput"}]}')).toEqual({
      restartDelay: 2e9,
      pipelines: [{ name: 'a', launch: 'x', profile: 'throughput', restart: false }],
    });
  });
});
