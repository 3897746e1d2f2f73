/**
 * Re-streams an RTSP camera: pulls it once (rtspSrc) and serves it again (rtspServerSink) to any number of
 * clients, at another port and path: one connection to the camera however many watch.
 *
 *   node restream.js <rtsp-url> [--port 8555] [--path /restream] [--address 127.0.0.1]
 *
 * Prints the URL it serves, runs until Ctrl-C (or the camera ends the stream), then prints what it relayed;
 * exits 0 on a clean stop, 1 when the camera failed, 2 on a bad command line.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pipe, type CpuPacket, type PipelineStats } from 'glass2glass';
import { rtspServerSink, rtspSrc } from 'glass2glass/node';
import { identity } from 'glass2glass/operators';

export interface RestreamOptions {
  /** TCP port to serve on (0 picks a free one). Default 8555. */
  port?: number;
  /** Mount path. Default /restream. */
  path?: string;
  /** Address to listen on (0.0.0.0: every interface). Default 127.0.0.1. */
  address?: string;
  /** Reconnection attempts when the camera connection drops. Default 0. */
  retry?: number;
}

export interface Restream {
  /** rtsp://address:port/path, where clients play the stream. */
  readonly url: string;
  /** Settles when the relay ends: stop(), the camera's end of stream, or a failure (rejects). */
  readonly done: Promise<PipelineStats>;
  /** Ends the relay cleanly: the camera session is torn down, clients get an RTCP BYE. */
  stop(): Promise<PipelineStats>;
}

/** Starts the relay; resolves once the server listens and the camera's first frame came (rejects if the relay fails first). */
export async function restream(source: string, options: RestreamOptions = {}): Promise<Restream> {
  let listening!: (url: string) => void;
  let flowing!: () => void;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const firstFrame = new Promise<void>((resolve) => (flowing = resolve));
  const running = pipe(
    rtspSrc({ location: source, retry: options.retry ?? 0 }),
    // A probe for the first frame: a camera that is not there fails restream() itself, not a later client.
    identity<CpuPacket>({ handoff: () => flowing() }),
    rtspServerSink({
      port: options.port ?? 8555,
      path: options.path ?? '/restream',
      address: options.address ?? '127.0.0.1',
      // A camera runs whether or not anyone watches: relay it from the start rather than hold it back
      // (late clients join at the next keyframe).
      waitForClient: false,
      onListening: (info) => listening(info.url),
    })
  ).start({ profile: 'live' });
  const stop = () => {
    running.eos();
    return running.done;
  };
  const ended = running.done.then(() => Promise.reject(new Error(`the relay of ${source} ended before it could serve`)));
  ended.catch(() => undefined); // once serving, `done` tells how the relay ends
  try {
    const [served] = await Promise.race([Promise.all([url, firstFrame]), ended]);
    return { url: served, done: running.done, stop };
  } catch (e) {
    running.abort(e);
    await running.done.catch(() => undefined);
    throw e;
  }
}

const USAGE = 'usage: node restream.js <rtsp-url> [--port 8555] [--path /restream] [--address 127.0.0.1]';

function parseCommandLine(args: readonly string[]): { source: string; options: RestreamOptions } {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { port: { type: 'string', default: '8555' }, path: { type: 'string', default: '/restream' }, address: { type: 'string', default: '127.0.0.1' } },
    allowPositionals: true,
  });
  const [source, ...extra] = positionals;
  if (source === undefined || extra.length > 0) throw new Error('expected one rtsp:// URL');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got '${values.port}'`);
  return { source, options: { port, path: values.path, address: values.address } };
}

/** The command line; resolves with the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let cli: ReturnType<typeof parseCommandLine>;
  try {
    cli = parseCommandLine(args);
  } catch (e) {
    console.error(`restream: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { source, options } = cli;
  // The first Ctrl-C stops cleanly; a second one kills as usual.
  let stop: (() => unknown) | undefined;
  const onSigint = () => stop?.();
  process.once('SIGINT', onSigint);
  try {
    const relay = await restream(source, options);
    stop = relay.stop;
    console.log(`restreaming ${source.replace(/\/\/[^@/]*@/, '//')} at ${relay.url} (Ctrl-C stops)`);
    const stats = await relay.done;
    console.log(`relayed ${stats.delivered} frames`);
    return 0;
  } catch (e) {
    console.error(`restream: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

// Only when run as a program: tests import restream() and main().
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
