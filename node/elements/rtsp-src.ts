import { hostname } from 'node:os';
import { defineElement, prop, type ElementOptions, type SettingsOf } from '../../src/descriptor';
import { Caps } from '../../src/caps';
import type { ElementContext, Reader } from '../../src/element';
import { defineSource, type Source } from '../../src/operator';
import type { CpuPacket } from '../../src/packet';
import { BoundedBuffer } from '../../src/pipeline/bounded-buffer';
import { parseRtspUrl, withoutPassword } from '../../src/rtsp/url';
import { MILLISECOND, SECOND } from '../../src/time';
import { newCounters, resetCounters, type RtspSrcCounters } from './rtsp-src/counters';
import { RtspOutput } from './rtsp-src/output';
import { ReconnectPolicy, SessionSupervisor } from './rtsp-src/reconnect';
import { RtspSession } from './rtsp-src/session';
import { SharedTimeline } from './rtsp-src/timestamps';
import { RtspError } from '../../src/rtsp/client';
import type { RtspProtocols } from './rtsp-src/transport';

export type { RtspProtocols } from './rtsp-src/transport';
export type { RtspSrcCounters } from './rtsp-src/counters';

export type RtspSrc = Source<CpuPacket> & {
  readonly counters: Readonly<RtspSrcCounters>;
};

const SRC_CAPS = Caps.parse('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au');
/** media=audio: AAC frames (AudioSpecificConfig from the SDP as codec_data) or Opus packets. */
const AUDIO_CAPS = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string)raw; audio/x-opus');

export const RTSP_SRC = defineElement({
  name: 'rtspSrc',
  kind: 'source',
  description:
    'Plays the H.264 (or, media=audio, the AAC or Opus) stream of an RTSP session (RTP over TCP or UDP, Basic/Digest auth, reconnection) as access units or frames (GStreamer rtspsrc ! rtph264depay / rtpmp4gdepay / rtpopusdepay)',
  caps: { src: SRC_CAPS.union(AUDIO_CAPS) },
  notes:
    "Capture time from the RTCP sender reports (the server's wall clock) where it sends them, else when the bytes reached us. A lost session is set up again after a backoff (retry): the stream resumes at the next keyframe, DISCONT, pts going on. Units beyond max-buffers while the pipeline lags drop the oldest ('overflow'). The protocol is the sans-IO RtspClient.",
  properties: {
    location: prop.string({
      required: true,
      pattern: /^rtsps?:\/\/./i,
      accepts: 'an rtsp:// URL',
      redact: withoutPassword, // the user name kept (it parses back to the same user); user-pw is never printed
      doc: 'rtsp://[user:password@]host[:port]/path (the password is never printed)',
    }),
    media: prop.enum(['video', 'audio', 'all'], {
      default: 'video',
      doc: "The session's streams to play: its H.264 video, its AAC (RFC 3640) or Opus (RFC 7587) audio, or all of them as one stream of packets, each with its stream's caps (mp4Mux takes it), on one timeline from the sender reports (lip sync); all plays over TCP",
    }),
    protocols: prop.enum(['tcp', 'udp', 'udp+tcp'], {
      default: 'tcp',
      doc: 'Lower transport: RTP interleaved on the RTSP connection, UDP, or UDP then TCP when UDP SETUP fails or no RTP arrives',
    }),
    latency: prop.duration({
      unit: 'ms',
      default: 200 * MILLISECOND,
      doc: 'Reorder budget for UDP (TCP delivers in order and needs none)',
    }),
    userId: prop.string({ doc: 'User name for authentication' }),
    userPw: prop.string({
      secret: true,
      doc: 'Password for authentication (never printed)',
    }),
    timeout: prop.duration({
      unit: 'ms',
      default: 5 * SECOND,
      min: MILLISECOND,
      doc: 'Without a response or media this long, the session fails',
    }),
    udpTimeout: prop.duration({
      unit: 'ms',
      min: MILLISECOND,
      defaultDoc: 'timeout',
      doc: 'With udp+tcp: no RTP this long after PLAY plays over TCP instead',
    }),
    retry: prop.uint({
      default: 0,
      doc: 'Reconnection attempts after the connection fails while or before playing',
    }),
    backoff: prop.duration({
      unit: 'ms',
      default: 250 * MILLISECOND,
      doc: 'First wait before reconnecting, doubled per failed attempt up to 8×',
    }),
    numBuffers: prop.int({
      default: -1,
      min: -1,
      doc: 'Access units before end-of-stream (-1 = until the server ends it)',
    }),
    maxBuffers: prop.uint({
      default: 256,
      min: 1,
      doc: 'Access units held when the pipeline lags (the oldest is dropped beyond)',
    }),
  },
});

export type RtspSrcOptions = ElementOptions<typeof RTSP_SRC>;
type RtspSrcSettings = SettingsOf<typeof RTSP_SRC.properties>;

/**
 * An RTSP client source (GStreamer's rtspsrc ! rtph264depay): plays one H.264 stream over RTP interleaved
 * on the RTSP connection (TCP) or over UDP, with Basic/Digest authentication and keep-alives, and outputs
 * access units (Annex B, alignment=au) with pts from the RTP timestamps and `meta.captureTime` from the
 * sender's RTCP SR clock when it sent one (else the arrival time), and `meta.receiveTime`, the clock time
 * the bytes completing the unit reached us (network vs pipeline latency). With `retry`, a lost session is
 * set up again after a backoff: the stream resumes at the next keyframe, its first unit DISCONT, and pts
 * go on.
 * The protocol is the sans-IO RtspClient; rtsp-src/session.ts only moves bytes and arms timers.
 */
export const rtspSrc = RTSP_SRC.implement((options): RtspSrc => {
  const { protocols, numBuffers, retry } = options;
  parseRtspUrl(options.location); // a bad URL fails where the element is made (its error never shows the password)
  if (options.media === 'all' && protocols !== 'tcp')
    throw new RtspError(
      'unsupported',
      `rtspSrc media=all plays over TCP (protocols=tcp): one UDP port pair per stream is not supported yet, got protocols=${protocols}`
    );
  const counters = newCounters();
  const src = defineSource<CpuPacket>({
    srcCaps: options.media === 'audio' ? AUDIO_CAPS : options.media === 'all' ? SRC_CAPS.union(AUDIO_CAPS) : SRC_CAPS,
    fixate: (allowed) => allowed.fixate(),
    open: (ctx) => openRtspSrc(ctx, options, protocols, numBuffers, retry, counters),
  });
  return Object.assign(src, { counters });
});

/**
 * The element at run time, composed of its parts (rtsp-src/): the output (depayloader and timestamps)
 * outlives sessions, each RtspSession runs one connection, and the supervisor runs them one after another
 * (UDP to TCP fallback, reconnection with backoff).
 */
function openRtspSrc(
  ctx: ElementContext,
  options: RtspSrcSettings,
  protocols: RtspProtocols,
  numBuffers: number,
  retry: number,
  counters: RtspSrcCounters
): Reader<CpuPacket> {
  const buffer = new BoundedBuffer<CpuPacket>(options.maxBuffers, 'drop-oldest', ctx.report, 'overflow');
  const { timeout } = options;
  let session: RtspSession | undefined;
  let stopping = false;
  // Audio frames carry the caps the SDP describes (codec_data, rate, channels), known once described.
  const caps = ctx.outputCaps.isFixed() ? ctx.outputCaps : SRC_CAPS;
  const runningTime = () => ctx.clock.now() - ctx.baseTime;
  // media=all: an output per stream (video, audio), one buffer, one timeline from the sender reports.
  const shared = options.media === 'all' ? new SharedTimeline() : undefined;
  const outputs = Array.from(
    { length: shared ? 2 : 1 },
    () =>
      new RtspOutput({
        buffer,
        caps,
        clock: ctx.clock,
        runningTime,
        numBuffers,
        counters,
        report: ctx.report,
        onLimit: () => session?.stop({ kind: 'eos' }),
        shared,
      })
  );
  const output = outputs[0];
  resetCounters(counters);
  const cname = `glass2glass@${hostname()}`;
  const supervisor = new SessionSupervisor({
    protocols,
    policy: new ReconnectPolicy(retry, options.backoff),
    ctx,
    counters,
    buffer,
    stopping: () => stopping,
    reconnecting: () => outputs.forEach((o) => (o.discontNext = true)),
    session: (transport) => {
      const { location, userId: user, userPw: password, udpTimeout } = options;
      session = new RtspSession({
        location,
        user,
        password,
        transport,
        protocols,
        media: options.media,
        timeout,
        udpTimeout,
        latency: options.latency,
        cname,
        ctx,
        counters,
        output,
        outputs,
      });
      return session.outcome;
    },
  });
  const running = supervisor.run().catch((e) => buffer.fail(e));

  return {
    pull: (signal) => {
      if (ctx.eosRequested && !stopping) {
        stopping = true;
        session?.stop({ kind: 'eos' });
      }
      return buffer.pull(signal);
    },
    async close() {
      stopping = true;
      session?.stop({ kind: 'stopped' });
      supervisor.wake();
      buffer.end();
      await running;
    },
  };
}
