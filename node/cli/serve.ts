import { existsSync } from 'node:fs';
import { ElementRegistry, launchName } from '../../src/descriptor';
import { LaunchError } from '../../src/launch/errors';
import { parseLaunch } from '../../operators/launch';
import type { Pipeline } from '../../src/pipeline/pipeline';
import { RtspAuthError, RtspServerAuth, type AuthMethod } from '../../src/rtsp/server-auth';
import { RTSP_SERVER_SINK } from '../elements/rtsp-server-sink';
import { joinPipeline, parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import { cliRegistry } from './registry';
import { loopSource } from './serve-loop';
import { installNodeFileOpener, nodeFileSrc } from '../drivers/fs';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Demux } from '../../operators/mp4-demux';
import { pipe } from '../../src/pipeline';
import type { Sink } from '../../src/operator';
import { EXIT_ERROR, EXIT_OK, runPipeline, type CliRunOptions } from './run-pipeline';
import { containerOf, identifyFile, ignoredTracksNote, isInputError, muxableTrackCount, muxableTracks, unreadable, type IdentifiedFile } from './probe';

export const SERVE_USAGE = `Usage: g2g serve [options] <FILE.mp4 | FILE.h264 | --test-pattern | pipeline>

Serves H.264 (and an MP4's AAC and Opus audio, one stream per track) over RTSP (RTP over TCP or UDP) at
rtsp://ADDRESS:PORT/PATH, for example
  g2g serve --test-pattern --port 8554 --path /live
  g2g serve --port 8554 --path /cam --user u --password p in.mp4
  g2g serve "videoTestSrc is-live=true ! h264Enc tune=zerolatency ! h264Parse"
A file is sent once (--loop: again and again), paced in real time, from when the first client plays; --test-pattern
is a live 640x360 30 fps stream (a keyframe every second) that runs with or without
clients; a pipeline must end in H.264 access units. Clients join at the next keyframe.
Try it with  ffplay rtsp://127.0.0.1:8554/stream

Options:
  --port N             TCP port (default 8554; 0 picks a free one)
  --address ADDR       address to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --path PATH          mount path (default /stream; --mount is the same)
  --test-pattern       serve a live test pattern (videoTestSrc ! h264Enc ! h264Parse)
  --loop               play FILE again from its start at its end, timestamps running on, until stopped
  --user U             clients must authenticate as U (with --password)
  --password P         U's password (never printed)
  --auth METHODS       digest, basic or digest,basic (default digest,basic: clients pick Digest)
  --request-timeout T  a request must arrive whole within T (default 20s; 0: no limit), else 408 and close
  --idle-timeout T     close a connection with no session after T without a request (default 60s; 0: never)
  --max-connections N  open client connections at most, more get 503 (default 512; 0: no limit)
  -q, --quiet          print errors only
  -h, --help           show this help`;

/** The live source of --test-pattern: a keyframe a second so that late joiners start within one. */
export const TEST_PATTERN =
  'videoTestSrc is-live=true pattern=smpte overlay=clock width=640 height=360 framerate=30/1 ! h264Enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! h264Parse';

function quote(path: string): string {
  return /[\s"'!]/.test(path) ? `"${path.replace(/[\\"]/g, (c) => `\\${c}`)}"` : path;
}

/** `g2g serve`: a file, the test pattern or a pipeline, then rtspServerSink. */
export async function serve(
  args: string[],
  io: CliIo = processIo,
  extra: Pick<CliRunOptions, 'onInterrupt'> & {
    onListening?: (url: string) => void;
  } = {}
): Promise<number> {
  const a = parseArgs(args, {
    flags: ['quiet', 'help', 'test-pattern', 'loop'],
    options: ['port', 'address', 'mount', 'path', 'user', 'password', 'auth', 'request-timeout', 'idle-timeout', 'max-connections'],
    short: { q: 'quiet', h: 'help' },
  });
  if (a.flags.has('help')) {
    io.out(SERVE_USAGE);
    return EXIT_OK;
  }
  const testPattern = a.flags.has('test-pattern');
  if (testPattern && a.positional.length) throw new UsageError('serve takes --test-pattern or a file/pipeline, not both');
  if (!testPattern && a.positional.length === 0) throw new UsageError('serve needs a file, --test-pattern or a pipeline');
  const port = a.options.get('port') ?? '8554';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new UsageError(`--port must be 0..65535, got '${port}'`);
  const mountOpt = a.options.get('mount');
  const pathOpt = a.options.get('path');
  if (mountOpt !== undefined && pathOpt !== undefined && mountOpt !== pathOpt) throw new UsageError('give --path or --mount, not both');
  const path = pathOpt ?? mountOpt ?? '/stream';
  if (!/^\/[\w\-./]*$/.test(path) || /\/stream=\d+$/.test(path)) throw new UsageError(`--path must be a path like /stream, got '${path}'`);
  const address = a.options.get('address') ?? '127.0.0.1';
  if (!/^[\w.:-]+$/.test(address)) throw new UsageError(`--address must be an address, got '${address}'`);
  // The server's limits, checked and written back as the sink's properties check and print them (20s, 500ms).
  const limits: Record<string, number> = {};
  for (const option of ['requestTimeout', 'idleTimeout', 'maxConnections']) {
    const text = a.options.get(launchName(option));
    if (text === undefined) continue;
    try {
      limits[option] = RTSP_SERVER_SINK.parse(launchName(option), text) as number;
    } catch (e) {
      throw new UsageError(`--${launchName(option)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const limitsText = Object.entries(RTSP_SERVER_SINK.print(limits))
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');
  const user = a.options.get('user');
  const password = a.options.get('password');
  if ((user === undefined) !== (password === undefined)) throw new UsageError('--user and --password go together');
  const methodsText = a.options.get('auth');
  if (methodsText !== undefined && user === undefined) throw new UsageError('--auth needs --user and --password');
  const methods = (methodsText ?? 'digest,basic').split(',').map((m) => m.trim().toLowerCase());
  if (methods.some((m) => m !== 'digest' && m !== 'basic') || new Set(methods).size !== methods.length)
    throw new UsageError(`--auth must be digest, basic or digest,basic, got '${methodsText}'`);
  let auth: RtspServerAuth | undefined;
  if (user !== undefined) {
    try {
      auth = new RtspServerAuth({
        users: { user, password: password! },
        methods: methods as AuthMethod[],
      });
    } catch (e) {
      if (!(e instanceof RtspAuthError)) throw e;
      throw new UsageError(`--user/--password: ${e.message}`);
    }
  }
  let source = testPattern ? TEST_PATTERN : joinPipeline(a.positional);
  const isFile = !testPattern && a.positional.length === 1 && existsSync(source);
  const loopFile = a.flags.has('loop') ? source : undefined;
  if (loopFile !== undefined && !isFile) throw new UsageError('--loop plays a FILE (.mp4 or .h264) again and again; give one that exists');
  // One word with a dot or slash and no launch syntax (`!`, `=`) is a file that is not there, not an element.
  if (!testPattern && !isFile && a.positional.length === 1 && /[./]/.test(source) && !/[!=\s]/.test(source)) {
    io.err(`ERROR: '${source}': no such file`);
    return EXIT_ERROR;
  }
  let isMp4 = false;
  /** Streams of the session: every H.264, AAC and Opus track of an MP4. */
  let tracks = 1;
  if (isFile) {
    // Identified by content before the server starts: a format glass2glass cannot read fails here.
    let found: IdentifiedFile;
    try {
      found = await identifyFile(source);
    } catch (e) {
      if (!isInputError(e)) throw e;
      io.err(`ERROR: ${e.message}`);
      return EXIT_ERROR;
    }
    const refused = unreadable(source, found);
    if (refused) {
      io.err(`ERROR: ${refused.message}`);
      return EXIT_ERROR;
    }
    isMp4 = containerOf(found.found) === 'mp4';
    if (isMp4) tracks = (await muxableTrackCount(source)) ?? 1;
    const ignored = isMp4 && !a.flags.has('quiet') ? await ignoredTracksNote(source, 'serving', muxableTracks) : undefined;
    if (ignored) io.err(ignored);
    const file = quote(source);
    source = !isMp4
      ? `fileSrc location=${file} ! h264Parse`
      : tracks > 1
      ? `fileSrc location=${file} ! mp4Demux track=all`
      : `fileSrc location=${file} ! mp4Demux ! h264Parse`;
  }
  const say = (line: string) => {
    if (!a.flags.has('quiet')) io.out(line);
  };
  // The sink with the URL printed once the server listens and the credentials from here, never through the
  // pipeline text (which is printed).
  const sinkElement = RTSP_SERVER_SINK.withExtras({
    auth,
    onListening: ({ url }: { url: string }) => {
      say(`Serving ${url}${auth ? ` (${auth.methods.map((m) => (m === 'digest' ? 'Digest' : 'Basic')).join('/')} auth, user ${user})` : ''}`);
      extra.onListening?.(url);
    },
  });
  const registry = new ElementRegistry([
    ...cliRegistry()
      .list()
      .filter((e) => e.name !== RTSP_SERVER_SINK.name),
    sinkElement,
  ]);
  let pipeline: Pipeline;
  if (loopFile !== undefined) {
    installNodeFileOpener();
    const once = () =>
      !isMp4
        ? pipe(nodeFileSrc(loopFile), h264Parse())
        : tracks > 1
        ? pipe(nodeFileSrc(loopFile), mp4Demux({ track: 'all' }))
        : pipe(nodeFileSrc(loopFile), mp4Demux(), h264Parse());
    const sink = sinkElement.create({
      name: 'rtsp',
      ...(tracks > 1 ? { tracks } : {}),
      port: Number(port),
      address,
      path,
      ...limits,
    }) as Sink;
    return runPipeline(
      pipe(loopSource(once, { name: 'loop' }), sink),
      {
        profile: 'live',
        quiet: a.flags.has('quiet'),
        onInterrupt: extra.onInterrupt,
      },
      io
    );
  }
  try {
    // A live test pattern flows whether or not anyone watches, as a camera does.
    pipeline = parseLaunch(
      `${source} ! rtspServerSink name=rtsp port=${port} address=${address} path=${path}${tracks > 1 ? ` tracks=${tracks}` : ''}${limitsText}${
        testPattern ? ' wait-for-client=false' : ''
      }`,
      registry
    );
  } catch (e) {
    if (!(e instanceof LaunchError)) throw e;
    io.err(`ERROR: could not ${e.cause === undefined ? 'parse' : 'build'} the pipeline: ${e.message}`);
    return EXIT_ERROR;
  }
  return runPipeline(
    pipeline,
    {
      profile: 'live',
      quiet: a.flags.has('quiet'),
      onInterrupt: extra.onInterrupt,
    },
    io
  );
}
