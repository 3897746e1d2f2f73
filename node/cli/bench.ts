import { runBench } from '../bench/core';
import { formatReport, parseBenchArgs, UsageError, USAGE, type BenchOptions } from '../bench/format';

/** `g2g bench`: the core benchmark against GStreamer. Returns the process exit code. */
export async function bench(args: string[]): Promise<number> {
  // Sub-benchmarks of the media elements, each beside its peers in the same run.
  if (args[0] === 'remux') return (await import('../bench/remux')).benchRemux(args.slice(1));
  if (args[0] === 'rtp') return (await import('../bench/rtp')).benchRtp(args.slice(1));
  if (args[0] === 'decode') return (await import('../bench/decode')).benchDecode(args.slice(1));
  if (args[0] === 'rtsp') return (await import('../bench/rtsp-latency')).benchRtspLatency(args.slice(1));
  let o: BenchOptions;
  try {
    o = parseBenchArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`g2g bench: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Progress goes to a terminal's stderr only, so piped and --json output stay clean.
  const tty = process.stderr.isTTY === true;
  const progress = tty ? (m: string) => process.stderr.write(`\r\x1b[K${m}`) : () => undefined;
  try {
    const report = await runBench(o, progress);
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    return 0;
  } catch (e) {
    if (tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`g2g bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
