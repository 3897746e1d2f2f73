import { runBench } from '../bench/core';
import { formatReport, parseBenchArgs, USAGE } from '../bench/format';
import { runBenchCommand } from '../bench/harness';
import { processIo, type CliIo } from './io';

type BenchFn = (args: string[], io: CliIo) => Promise<number>;

/** Sub-benchmarks of the media elements, each beside its peers in the same run; loaded only when asked for. */
const SUBCOMMANDS = new Map<string, () => Promise<BenchFn>>([
  ['remux', async () => (await import('../bench/remux')).benchRemux],
  ['rtp', async () => (await import('../bench/rtp')).benchRtp],
  ['decode', async () => (await import('../bench/decode')).benchDecode],
  ['decode-pool', async () => (await import('../bench/decode-pool')).benchDecodePool],
  ['rtsp', async () => (await import('../bench/rtsp-latency')).benchRtspLatency],
  ['display', async () => (await import('../bench/display')).benchDisplay],
  ['audio', async () => (await import('../bench/audio')).benchAudio],
  ['audio-output', async () => (await import('../bench/audio-output')).benchAudioOutput],
  ['bridge', async () => (await import('../bench/bridge')).benchBridge],
  ['streams', async () => (await import('../bench/streams')).benchStreams],
]);

/** `g2g bench`: the core benchmark against GStreamer, or a sub-benchmark. Returns the process exit code. */
export async function bench(args: string[], io: CliIo = processIo): Promise<number> {
  const sub = SUBCOMMANDS.get(args[0]);
  if (sub) return (await sub())(args.slice(1), io);
  return runBenchCommand({ name: 'g2g bench', usage: USAGE, parse: parseBenchArgs, run: runBench, text: formatReport, stack: true }, args, io);
}
