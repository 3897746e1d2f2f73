import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OPTIONS,
  derive,
  formatReport,
  median,
  parseBenchArgs,
  parseCount,
  parseExecutionEnded,
  parseGstVersion,
  UsageError,
  type BenchReport,
} from '../../node/bench/format';
import { gstArgs } from '../../node/bench/gstreamer';
import { cases } from '../../node/bench/core';

describe('parseExecutionEnded', () => {
  it('reads GST_TIME_FORMAT as ns', () => {
    expect(parseExecutionEnded('Execution ended after 0:00:01.234')).toBe(1_234_000_000);
    expect(parseExecutionEnded('Got EOS from element "pipeline0".\nExecution ended after 0:00:00.001351877\nSetting pipeline to NULL ...')).toBe(1_351_877);
    expect(parseExecutionEnded('Execution ended after 1:02:03.000000004')).toBe(((60 + 2) * 60 + 3) * 1e9 + 4);
  });
  it('truncates digits beyond ns and accepts no fraction', () => {
    expect(parseExecutionEnded('Execution ended after 0:00:02.1234567899')).toBe(2_123_456_789);
    expect(parseExecutionEnded('Execution ended after 0:00:02')).toBe(2e9);
  });
  it('is undefined when gst-launch printed no timing (-q)', () => {
    expect(parseExecutionEnded('')).toBeUndefined();
    expect(parseExecutionEnded('Setting pipeline to PLAYING ...')).toBeUndefined();
  });
});

describe('parseGstVersion', () => {
  it('reads the version line', () => {
    expect(parseGstVersion('gst-launch-1.0 version 1.22.0\nGStreamer 1.22.0\nhttps://tracker.debian.org/pkg/gstreamer1.0\n')).toBe('1.22.0');
    expect(parseGstVersion('GStreamer 1.24.2')).toBe('1.24.2');
    expect(parseGstVersion('nonsense')).toBeUndefined();
  });
});

describe('parseBenchArgs', () => {
  it('defaults to 1M packets, hops 0,1,5,10, the queue case, median of 3', () => {
    expect(parseBenchArgs([])).toEqual(DEFAULT_OPTIONS);
    expect(DEFAULT_OPTIONS.packets).toBeGreaterThanOrEqual(1_000_000);
  });
  it('reads every option, in both --x v and --x=v forms', () => {
    const o = parseBenchArgs(['--packets', '2M', '--hops=10,0,3,3', '--no-queue', '--runs=5', '--json', '--no-gst', '--experiments']);
    expect(o).toEqual({ packets: 2_000_000, hops: [0, 3, 10], queue: false, runs: 5, json: true, gst: false, experiments: true, help: false });
    expect(parseBenchArgs(['--no-queue', '--queue']).queue).toBe(true);
    expect(parseBenchArgs(['-h']).help).toBe(true);
  });
  it('rejects bad input with a UsageError', () => {
    for (const bad of [['--packets', '0'], ['--packets', '-5'], ['--packets', 'lots'], ['--packets'], ['--hops', ','], ['--runs', '0'], ['--frobnicate']]) {
      expect(() => parseBenchArgs(bad), bad.join(' ')).toThrow(UsageError);
    }
  });
});

describe('parseCount', () => {
  it('accepts separators, exponents and k/M suffixes', () => {
    expect(parseCount('1_000_000', 'x')).toBe(1e6);
    expect(parseCount('1e6', 'x')).toBe(1e6);
    expect(parseCount('500k', 'x')).toBe(500_000);
    expect(parseCount('1.5M', 'x')).toBe(1_500_000);
    expect(() => parseCount('1.5', 'x')).toThrow(UsageError);
  });
});

describe('statistics', () => {
  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
  it('derives ns/packet after the baseline and ns/hop as a slope from hops 0', () => {
    const zero = derive([1100, 1300, 1200], 200, 10, 0, undefined);
    expect(zero).toEqual({ net: 1000, nsPerPacket: 100, nsPerHop: undefined });
    const five = derive([3200], 200, 10, 5, zero.net);
    expect(five).toEqual({ net: 3000, nsPerPacket: 300, nsPerHop: 40 });
  });
});

describe('cases and gst-launch arguments', () => {
  it('always measures hops 0 (the slope baseline) and adds the queue case', () => {
    expect(cases({ hops: [5, 1], queue: true }).map((c) => c.label)).toEqual(['0', '5', '1', 'queue']);
    expect(cases({ hops: [0, 1], queue: false }).map((c) => c.label)).toEqual(['0', '1']);
  });
  it('builds the equivalent gst-launch pipeline', () => {
    expect(gstArgs(1000, 0, 'identity').join(' ')).toBe('fakesrc num-buffers=1000 ! fakesink');
    expect(gstArgs(7, 2, 'identity').join(' ')).toBe('fakesrc num-buffers=7 ! identity ! identity ! fakesink');
    expect(gstArgs(0, 1, 'queue').join(' ')).toBe('fakesrc num-buffers=0 ! queue ! fakesink');
  });
});

describe('formatReport', () => {
  const timing = (nsPerPacket: number, nsPerHop: number | undefined) => ({ runs: [1], baseline: 0, net: nsPerPacket * 1e6, nsPerPacket, nsPerHop });
  const report: BenchReport = {
    packets: 1_000_000,
    runs: 3,
    statistic: 'median',
    machine: { cpus: 2, cpuModel: 'Test CPU', platform: 'linux-x64', node: 'v20.0.0', gst: '1.22.0', loadAverage: 0.1 },
    cases: [
      { label: '0', kind: 'identity', hops: 0, g2g: timing(200, undefined), gst: { ...timing(800, undefined), baseline: 12e6, selfReported: 801e6 } },
      { label: '10', kind: 'identity', hops: 10, g2g: timing(700, 50), gst: { ...timing(4800, 400), baseline: 12e6 } },
    ],
  };
  it('prints the table with ratios g2g / GStreamer', () => {
    const text = formatReport(report);
    expect(text).toContain('median of 3 runs');
    expect(text).toContain('2 × Test CPU');
    const row = text.split('\n').find((l) => l.startsWith('10 '))!;
    expect(row.split(/\s+/)).toEqual(['10', '700.0', '50.0', '4800.0', '400.0', '0.15×', '0.13×']);
    const zero = text.split('\n').find((l) => l.startsWith('0 '))!;
    expect(zero.split(/\s+/)).toEqual(['0', '200.0', '-', '800.0', '-', '0.25×', '-']);
    expect(text).toContain('0: 12.0/801.0');
  });
  it('says why GStreamer was skipped, and leaves its columns empty', () => {
    const text = formatReport({ ...report, cases: report.cases.map(({ gst: _, ...c }) => c), gstSkipped: 'gst-launch-1.0 is not on PATH' });
    expect(text).toContain('GStreamer skipped: gst-launch-1.0 is not on PATH');
    expect(text.split('\n').find((l) => l.startsWith('10 '))!.split(/\s+/)).toEqual(['10', '700.0', '50.0', '-', '-', '-', '-']);
  });
  it('warns when the machine was busy', () => {
    expect(formatReport(report)).not.toContain('warning');
    expect(formatReport({ ...report, machine: { ...report.machine, loadAverage: 3.5 } })).toContain('warning: load average 3.50');
  });
});
