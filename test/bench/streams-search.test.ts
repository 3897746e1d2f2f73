// The pure parts of `g2g bench streams`: the search for the largest sustained count, the sustain rule,
// /proc/PID/stat, the GStreamer script's lines and the report's last line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gstDescription, parseGstLine } from '../../node/bench/streams-gst';
import { machineBusyTicks, MaxSearch, procStatTicks, sustains, SUSTAIN_SHARE } from '../../node/bench/streams-search';
import { formatStreamsReport, parseStreamsArgs, windowOf, type StreamsReport, type Trial } from '../../node/bench/streams';

/** Runs a search against a machine that sustains up to `capacity` streams; returns the counts tried. */
function searchWith(capacity: number, max: number): { tried: number[]; result: number } {
  const s = new MaxSearch(max);
  const tried: number[] = [];
  for (let n = s.next(); n !== undefined; n = s.next()) {
    expect(tried, `tried ${n} twice`).not.toContain(n);
    tried.push(n);
    s.record(n, n <= capacity);
  }
  return { tried, result: s.result };
}

describe('MaxSearch', () => {
  it('doubles until a count fails, then bisects between the last pass and the first fail', () => {
    expect(searchWith(5, 64)).toEqual({ tried: [1, 2, 4, 8, 6, 5], result: 5 });
    expect(searchWith(24, 128)).toEqual({ tried: [1, 2, 4, 8, 16, 32, 24, 28, 26, 25], result: 24 });
  });

  it('finds every capacity from 0 to past max, in at most 2·log2(max) + 2 trials', () => {
    for (const max of [1, 2, 3, 7, 64, 100]) {
      for (let capacity = 0; capacity <= max + 3; capacity++) {
        const { tried, result } = searchWith(capacity, max);
        expect(result, `capacity ${capacity}, max ${max}`).toBe(Math.min(capacity, max));
        expect(tried.every((n) => n >= 1 && n <= max)).toBe(true);
        expect(tried.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(max)) + 2);
      }
    }
  });

  it('stops at once when one stream fails, and at max when everything passes', () => {
    expect(searchWith(0, 64)).toEqual({ tried: [1], result: 0 });
    expect(searchWith(1000, 48)).toEqual({ tried: [1, 2, 4, 8, 16, 32, 48], result: 48 });
  });

  it('refuses a max below 1', () => {
    expect(() => new MaxSearch(0)).toThrow(/max must be a whole number/);
    expect(() => new MaxSearch(2.5)).toThrow(/max must be a whole number/);
  });
});

describe('sustains', () => {
  const ok = { frames: 900, late: 0, drops: 0 };

  it('every stream with its frames and no drop sustains', () => {
    expect(sustains([ok, ok, { ...ok, frames: 901 }], 900)).toEqual({ sustained: true });
  });

  it(`needs ${SUSTAIN_SHARE * 100}% of the expected frames from every stream`, () => {
    expect(sustains([ok, { ...ok, frames: 873 }], 900).sustained).toBe(true);
    expect(sustains([ok, { ...ok, frames: 872 }], 900)).toEqual({ sustained: false, reason: 'stream 2: 872 of 900 frames' });
  });

  it('one late frame anywhere is enough to fail, and drops of any kind count', () => {
    expect(sustains([ok, { ...ok, late: 1, drops: 1 }, { ...ok, late: 3, drops: 3 }], 900)).toEqual({
      sustained: false,
      reason: 'stream 2: 1 late (and 1 more)',
    });
    expect(sustains([{ ...ok, drops: 2 }], 900)).toEqual({ sustained: false, reason: 'stream 1: 2 dropped' });
  });

  it('a failed stream fails the count, and no stream is no count', () => {
    expect(sustains([ok, { ...ok, error: 'connection refused' }], 900)).toEqual({ sustained: false, reason: 'stream 2: connection refused' });
    expect(sustains([], 900).sustained).toBe(false);
  });
});

describe('procStatTicks', () => {
  it("reads this process's utime + stime", () => {
    const ticks = procStatTicks(readFileSync('/proc/self/stat', 'utf8'));
    expect(Number.isInteger(ticks)).toBe(true);
    expect(ticks).toBeGreaterThan(0);
  });

  it('counts fields after the last parenthesis of a command name with spaces and parentheses', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 110 25 0 0 20 0 12 0';
    expect(procStatTicks(`42 (a) b) c) ${rest}`)).toBe(135);
    expect(procStatTicks(`42 (python3) ${rest}`)).toBe(135);
  });

  it('is undefined for text that is not a stat line', () => {
    expect(procStatTicks('')).toBeUndefined();
    expect(procStatTicks('42 (x) S 1 2')).toBeUndefined();
    expect(procStatTicks('42 (x) S 1 2 3 4 5 6 7 8 9 10 a b')).toBeUndefined();
  });
});

describe('machineBusyTicks', () => {
  it('sums the busy fields of the all-cores line, idle and iowait left out', () => {
    expect(machineBusyTicks('cpu  2946622 27608 460669 11539607 11965 0 3479 5159 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n')).toBe(
      2946622 + 27608 + 460669 + 3479 + 5159
    );
    const ticks = machineBusyTicks(readFileSync('/proc/stat', 'utf8'));
    expect(Number.isInteger(ticks) && ticks! > 0).toBe(true);
  });

  it('is undefined without the line', () => {
    expect(machineBusyTicks('cpu0 1 2 3 4 5 6 7 8\n')).toBeUndefined();
    expect(machineBusyTicks('cpu  1 2 3\n')).toBeUndefined();
  });
});

describe("GStreamer's side: the description and the script's lines", () => {
  it('N branches, sources and sinks named by index, in one description', () => {
    const d = gstDescription('rtsp://127.0.0.1:8554/bench', 2, 'tcp');
    expect(
      d.match(/rtspsrc name=src\d location=rtsp:\/\/127\.0\.0\.1:8554\/bench latency=0 protocols=tcp ! rtph264depay ! avdec_h264 ! fakesink/g)
    ).toHaveLength(2);
    expect(d).toContain('fakesink name=sink0 sync=true max-lateness=20000000');
    expect(d).toContain('fakesink name=sink1 sync=true max-lateness=20000000');
  });

  it('reads started, sinks (with the pipeline latency) and error lines', () => {
    expect(parseGstLine('{"started": 3}')).toEqual({ kind: 'started', n: 3 });
    expect(parseGstLine('{"sinks": [[90, 0], [88, 2]], "latency": 20000000}')).toEqual({
      kind: 'sinks',
      sinks: [
        { rendered: 90, dropped: 0 },
        { rendered: 88, dropped: 2 },
      ],
      latency: 20_000_000,
    });
    expect(parseGstLine('{"sinks": [], "latency": null}')).toEqual({ kind: 'sinks', sinks: [], latency: undefined });
    expect(parseGstLine('{"error": "src1: Could not open resource", "stream": 1}')).toEqual({
      kind: 'error',
      message: 'src1: Could not open resource',
      stream: 1,
    });
    expect(parseGstLine('{"error": "no branch", "stream": null}')).toEqual({ kind: 'error', message: 'no branch', stream: undefined });
  });

  it('ignores what is not one of its lines', () => {
    for (const line of ['', 'Setting pipeline to PLAYING ...', '42', 'null', '{"sinks": [[1]]}', '{"sinks": [[1, "a"]]}', '{"sinks": 3}', '{}'])
      expect(parseGstLine(line), line).toBeUndefined();
  });
});

describe('the command line and the report', () => {
  it('parses the options over the defaults', () => {
    expect(parseStreamsArgs([])).toEqual({ duration: 30, warmup: 3, max: 128, retries: 1, protocols: 'tcp', json: false, help: false });
    expect(parseStreamsArgs(['--duration', '2', '--warmup=0', '--max', '2', '--protocols', 'udp', '--n', '3', '--retries', '0', '--json'])).toEqual({
      duration: 2,
      warmup: 0,
      max: 2,
      n: 3,
      retries: 0,
      protocols: 'udp',
      json: true,
      help: false,
    });
    expect(() => parseStreamsArgs(['--duration', '0'])).toThrow(/--duration must be a whole number ≥ 1/);
    expect(() => parseStreamsArgs(['--protocols', 'http'])).toThrow(/--protocols must be tcp or udp/);
    expect(() => parseStreamsArgs(['--bogus'])).toThrow(/unknown option '--bogus'/);
  });

  it("a window is the difference of each stream's counters", () => {
    const a = { at: 0, cpu: 0, streams: [{ delivered: 10, late: 1, drops: 2 }] };
    const b = { at: 1e9, cpu: 5e7, streams: [{ delivered: 40, late: 1, drops: 3, error: 'gone' }] };
    expect(windowOf(a, b)).toEqual([{ frames: 30, late: 0, drops: 1, error: 'gone' }]);
  });

  it('the text ends with the line tools read, and names why a count failed', () => {
    const t = (side: Trial['side'], n: number, sustained: boolean): Trial => ({
      side,
      n,
      attempt: 1,
      sustained,
      reason: sustained ? undefined : 'stream 2: 3 late',
      seconds: 30,
      expected: 900,
      framesMin: 899,
      framesMean: 900,
      late: sustained ? 0 : 3,
      drops: sustained ? 0 : 3,
      cpuPerStream: 0.02,
      serverCpu: 0.05,
      otherCpu: 0.5,
      g2gP95: side === 'g2g' ? 48.2 : undefined,
      syncLatency: 20,
      load: 1.5,
    });
    const r: StreamsReport = {
      machine: 'AMD EPYC, 2 cores',
      cores: 2,
      options: { duration: 30, warmup: 3, max: 4, retries: 0, protocols: 'tcp' },
      trials: [t('g2g', 1, true), t('GStreamer', 1, true), t('g2g', 2, true), t('GStreamer', 2, false)],
      g2g: 2,
      gst: 1,
      loadStart: 1.2,
      loadEnd: 1.4,
    };
    const lines = formatStreamsReport(r).split('\n');
    expect(lines.at(-1)).toBe('streams: g2g 2, GStreamer 1');
    expect(lines).toContain('GStreamer ×2 (try 1) not sustained: stream 2: 3 late');
    expect(lines).toContain('g2g at N=2: CPU per stream 2.0% of a core, glass-to-glass p95 48.2 ms');
    expect(lines.filter((l) => /^(g2g|GStreamer)\s+\d+\s+1\s+(yes|no)\s/.test(l))).toHaveLength(4);
  });
});
