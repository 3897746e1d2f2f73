import { existsSync } from 'node:fs';
import { ElementRegistry } from '../../operators/registry';
import { LaunchError } from '../../src/launch/errors';
import { parseLaunch } from '../../src/launch/build';
import type { Pipeline } from '../../src/pipeline/pipeline';
import { rtspServerSink, rtspServerSinkEntry } from '../elements/rtsp-server-sink';
import { rtspSrcEntry } from '../elements/rtsp-src';
import { joinPipeline, parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import { cliRegistry } from './registry';
import { EXIT_ERROR, EXIT_OK, runPipeline, type CliRunOptions } from './run-pipeline';

export const SERVE_USAGE = `Usage: g2g serve [options] <FILE.mp4 | FILE.h264 | pipeline>

Serves H.264 over RTSP (RTP over TCP or UDP) at rtsp://ADDRESS:PORT/MOUNT, for example
  g2g serve --port 8554 in.mp4
  g2g serve "videoTestSrc is-live=true ! h264Enc tune=zerolatency ! h264Parse"
A file is sent once, paced in real time, from when the first client plays; a pipeline
must end in H.264 access units. Try it with  ffplay rtsp://127.0.0.1:8554/stream

Options:
  --port N          TCP port (default 8554; 0 picks a free one)
  --address ADDR    address to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --mount PATH      mount path (default /stream)
  -q, --quiet       print errors only
  -h, --help        show this help`;

function quote(path: string): string {
  return /[\s"'!]/.test(path) ? `"${path.replace(/[\\"]/g, (c) => `\\${c}`)}"` : path;
}

/** `g2g serve`: a file or pipeline, then rtspServerSink. */
export async function serve(args: string[], io: CliIo = processIo, extra: Pick<CliRunOptions, 'onInterrupt'> & { onListening?: (url: string) => void } = {}): Promise<number> {
  const a = parseArgs(args, { flags: ['quiet', 'help'], options: ['port', 'address', 'mount'], short: { q: 'quiet', h: 'help' } });
  if (a.flags.has('help')) {
    io.out(SERVE_USAGE);
    return EXIT_OK;
  }
  if (a.positional.length === 0) throw new UsageError('serve needs a file or a pipeline');
  const port = a.options.get('port') ?? '8554';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new UsageError(`--port must be 0..65535, got '${port}'`);
  const mount = a.options.get('mount') ?? '/stream';
  if (!/^\/[\w\-./]*$/.test(mount)) throw new UsageError(`--mount must be a path like /stream, got '${mount}'`);
  const address = a.options.get('address') ?? '127.0.0.1';
  if (!/^[\w.:-]+$/.test(address)) throw new UsageError(`--address must be an address, got '${address}'`);
  let source = joinPipeline(a.positional);
  if (a.positional.length === 1 && existsSync(source)) {
    const file = quote(source);
    source = /\.(mp4|m4v|mov)$/i.test(source) ? `fileSrc location=${file} ! mp4Demux ! h264Parse` : `fileSrc location=${file} ! h264Parse`;
  }
  const say = (line: string) => {
    if (!a.flags.has('quiet')) io.out(line);
  };
  // The CLI's elements, whether or not the RTSP ones are registered there yet.
  const registry = new ElementRegistry(cliRegistry().list().filter((e) => e.name !== rtspServerSinkEntry.name));
  if (!registry.has(rtspSrcEntry.name)) registry.register(rtspSrcEntry);
  // The sink entry, with the URL printed once the server listens.
  registry.register({
    ...rtspServerSinkEntry,
    create: (p) =>
      rtspServerSink({
        name: p.name,
        port: p.port,
        address: p.address,
        mount: p.mount,
        onListening: ({ url }) => {
          say(`Serving ${url}`);
          extra.onListening?.(url);
        },
      }),
  });
  let pipeline: Pipeline;
  try {
    pipeline = parseLaunch(`${source} ! rtspServerSink name=rtsp port=${port} address=${address} mount=${mount}`, registry);
  } catch (e) {
    if (!(e instanceof LaunchError)) throw e;
    io.err(`ERROR: could not parse the pipeline: ${e.message}`);
    return EXIT_ERROR;
  }
  return runPipeline(pipeline, { profile: 'live', quiet: a.flags.has('quiet'), onInterrupt: extra.onInterrupt }, io);
}
