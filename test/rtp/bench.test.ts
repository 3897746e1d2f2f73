import { describe, expect, it } from 'vitest';
import { buildRtpRows, formatRtpReport, parseRtpBenchArgs, RtpBenchUsageError, type RtpBenchReport } from '../../node/bench/rtp';

describe('g2g bench rtp', () => {
  it('parses its options, rejecting what it does not know', () => {
    expect(parseRtpBenchArgs([])).toEqual({ runs: 7, warmup: 5, json: false, help: false });
    expect(parseRtpBenchArgs(['--runs', '3', '--warmup=0', '--json', '--input', 'a.h264'])).toEqual({ runs: 3, warmup: 0, json: true, help: false, input: 'a.h264' });
    expect(() => parseRtpBenchArgs(['--runs', '0'])).toThrow(RtpBenchUsageError);
    expect(() => parseRtpBenchArgs(['--runs'])).toThrow(/needs a value/);
    expect(() => parseRtpBenchArgs(['--fast'])).toThrow(/unknown option/);
  });

  it("keeps each side's best run net of start-up and its own packet count; the ratios are of packets per second and per CPU second", () => {
    const ms = 1e6;
    const run = (wall: number, cpu: number) => ({ wall: wall * ms, cpu: cpu * ms });
    const rows = buildRtpRows([
      { impl: 'g2g', label: 'g2g', runs: [run(30, 25), run(20, 22), run(50, 30)], startup: run(0, 0), packets: 10_000 },
      { impl: 'gst', label: 'gst', runs: [run(90, 60), run(70, 70)], startup: run(30, 20), packets: 10_010 },
    ]);
    expect(rows[0]).toMatchObject({ best: 20 * ms, worst: 50 * ms, packetsPerSecond: 500_000, cpu: 22 * ms });
    expect(rows[1]).toMatchObject({ best: 40 * ms, worst: 60 * ms, packetsPerSecond: 250_250, cpu: 40 * ms });
    expect(rows[0].vsGst).toBeCloseTo(500_000 / 250_250, 9);
    expect(rows[0].cpuVsGst).toBeCloseTo(10_000 / 22 / (10_010 / 40), 9);
    expect(rows[1].vsGst).toBeUndefined();
    const report: RtpBenchReport = {
      schema: 'g2g-bench-rtp/1',
      machine: { cpuModel: 'cpu', cpus: 2, node: 'v20', loadAverage: [1, 2, 3] },
      input: 'in.h264',
      runs: 3,
      warmup: 2,
      coldNs: 200 * ms,
      rows,
      skipped: [],
    };
    const text = formatRtpReport(report);
    expect(text).toMatch(/load 1\.00 2\.00 3\.00/);
    expect(text).toMatch(/cold run \(g2g 200\.0 ms\)/);
    expect(text).toMatch(/g2g\s+10000\s+20\.0\s+\(20\.0–50\.0\)\s+500000\s+2\.00×\s+22\.0\s+1\.82×/);
    expect(text).toMatch(/start-up 30\.0 ms \(20\.0 ms CPU\) subtracted/);
  });
});
