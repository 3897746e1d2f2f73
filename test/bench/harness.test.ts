import { describe, expect, it } from 'vitest';
import { bufferIo, UsageError } from '../../node/cli/io';
import { bench } from '../../node/cli/bench';
import { benchArgs, fmtTimes, parseFileBenchArgs, percentile, runBenchCommand, table, type BenchCommand } from '../../node/bench/harness';
import { USAGE } from '../../node/bench/format';
import { REMUX_BENCH_USAGE } from '../../node/bench/remux';
import { RTP_BENCH_USAGE } from '../../node/bench/rtp';

describe('bench harness: command line', () => {
  it('reads --x=v and --x v, and only takes a value when asked', () => {
    const seen: string[] = [];
    for (const a of benchArgs(['--runs=3', '--json', '--input', 'a.h264', 'x'])) seen.push(a.name === '--runs' || a.name === '--input' ? `${a.name}:${a.value()}` : a.arg);
    expect(seen).toEqual(['--runs:3', '--json', '--input:a.h264', 'x']);
  });

  it('says which option lacks a value or a valid count, as a UsageError', () => {
    const first = (args: string[]) => benchArgs(args).next().value!;
    expect(() => first(['--runs']).value()).toThrow(new UsageError('--runs needs a value'));
    expect(() => first(['--runs', 'x']).count(1)).toThrow("--runs must be a whole number ≥ 1, got 'x'");
    expect(() => first(['--warmup=-1']).count(0)).toThrow("--warmup must be a whole number ≥ 0, got '-1'");
    expect(first(['--warmup', '0']).count(0)).toBe(0);
  });

  it('parses the file benches\' options over their defaults', () => {
    expect(parseFileBenchArgs([], { runs: 7, json: false, help: false })).toEqual({ runs: 7, json: false, help: false });
    expect(parseFileBenchArgs(['--warmup', '2', '-h'], { runs: 7, warmup: 5, json: false, help: false })).toEqual({ runs: 7, warmup: 2, json: false, help: true });
    expect(() => parseFileBenchArgs(['--fast'], { runs: 7, json: false, help: false })).toThrow(new UsageError("unknown option '--fast'"));
  });
});

describe('bench harness: statistics and formats', () => {
  it('takes a measured value for a percentile (no interpolation)', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([4, 1, 3, 2], 50)).toBe(3);
    expect(percentile([1, 2, 3], 95)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
  });

  it('formats ratios and aligns tables', () => {
    expect(fmtTimes(1.234)).toBe('1.23×');
    expect(fmtTimes(undefined)).toBe('-');
    expect(table([['a', 'bb', 'c'], ['ccc', 'd', 'ee']], 2)).toEqual(['a    bb   c', 'ccc  d   ee']);
  });
});

describe('bench harness: runner', () => {
  interface O {
    help: boolean;
    json: boolean;
    fail?: boolean;
  }
  const cmd: BenchCommand<O, { n: number }> = {
    name: 'g2g bench test',
    usage: 'usage: test',
    parse: (args) => {
      if (args.includes('--bad')) throw new UsageError("unknown option '--bad'");
      return { help: args.includes('-h'), json: args.includes('--json'), fail: args.includes('--fail') };
    },
    run: async (o, progress) => {
      progress('running');
      if (o.fail) throw new Error('boom');
      return { n: 1 };
    },
    text: (r) => `n = ${r.n}`,
  };

  it('prints the report, or its JSON, through the CLI output', async () => {
    const io = bufferIo();
    expect(await runBenchCommand(cmd, [], io, undefined)).toBe(0);
    expect(await runBenchCommand(cmd, ['--json'], io, undefined)).toBe(0);
    expect(io.stdout).toEqual(['n = 1', '{\n  "n": 1\n}']);
    expect(io.stderr).toEqual([]);
  });

  it('exits 2 with the usage for a bad command line, 0 for --help, 1 when the bench fails', async () => {
    const io = bufferIo();
    expect(await runBenchCommand(cmd, ['--bad'], io, undefined)).toBe(2);
    expect(io.stderr).toEqual(["g2g bench test: unknown option '--bad'\nusage: test"]);
    expect(await runBenchCommand(cmd, ['-h'], io, undefined)).toBe(0);
    expect(io.stdout).toEqual(['usage: test']);
    expect(await runBenchCommand(cmd, ['--fail'], io, undefined)).toBe(1);
    expect(io.stderr[1]).toBe('g2g bench test: boom');
  });

  it('draws progress on a terminal and erases it before the report', async () => {
    const drawn: string[] = [];
    expect(await runBenchCommand(cmd, [], bufferIo(), { write: (t: string) => drawn.push(t) })).toBe(0);
    expect(drawn).toEqual(['\r\x1b[Krunning', '\r\x1b[K']);
  });
});

describe('g2g bench through the CLI output', () => {
  it('prints each bench\'s usage and usage errors through the io it is given', async () => {
    const io = bufferIo();
    expect(await bench(['--help'], io)).toBe(0);
    expect(await bench(['remux', '-h'], io)).toBe(0);
    expect(await bench(['rtp', '--help'], io)).toBe(0);
    expect(io.stdout).toEqual([USAGE, REMUX_BENCH_USAGE, RTP_BENCH_USAGE]);
    expect(await bench(['--frobnicate'], io)).toBe(2);
    expect(await bench(['rtp', '--runs', '0'], io)).toBe(2);
    expect(io.stderr).toEqual([`g2g bench: unknown option '--frobnicate'\n${USAGE}`, `g2g bench rtp: --runs must be a whole number ≥ 1, got '0'\n${RTP_BENCH_USAGE}`]);
  });
});
