/**
 * What the fuzz harness feeds: every parser and protocol state machine that reads bytes from outside.
 * A target's `run` may reject an input only with a G2gError (the library's deliberate errors); anything else
 * thrown — TypeError, RangeError, a stack overflow — or a hang is a finding. Some targets check more than
 * "no crash" (caps print back to what they parse).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinRegistry, parseLaunch } from '../../operators';
import { Caps } from '../../src/caps';
import { AccessUnitAssembler, splitAnnexB } from '../../src/codecs/h264';
import { parseSps } from '../../src/codecs/h264/sps';
import { Mp4Demuxer } from '../../src/formats/mp4';
import { parseLaunchAst } from '../../src/launch/parse';
import { H264Depayloader, H264Payloader, h264Sdp, parseRtcp, parseRtp, parseSdp, sdpStream, type DepayedAccessUnit } from '../../src/rtp';
import { RtspClient, RtspParser, RtspServerConnection } from '../../src/rtsp';
import { SECOND } from '../../src/time';
import { loadNative } from '../../node/native/loader';
import { findType, isoBmffTracks } from '../../src/typefind';

export interface FuzzTarget {
  readonly name: string;
  /** Inputs to start from (plus test/fuzz/regressions/<name>/*, the findings once fixed). */
  seeds(): Uint8Array[];
  /** Tokens the mutator inserts (header names, caps syntax). */
  readonly tokens?: readonly string[];
  /** 'process' runs the target in a child process, so that a crash in native code is a finding, not the end. */
  readonly isolate?: 'process';
  run(input: Uint8Array): void | Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const text = (...xs: string[]) => xs.map((x) => enc.encode(x));
const corpus = (dir: string) => {
  const url = new URL(`./corpus/${dir}/`, import.meta.url);
  return readdirSync(url).map((f) => new Uint8Array(readFileSync(new URL(f, url))));
};

/** Splits an input into chunks whose sizes come from its own bytes: small and large pushes from one file. */
function chunks(input: Uint8Array, small: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, k = 0; i < input.length; k++) {
    const size = small ? 1 + (input[k % input.length] % 7) : 1 + ((input[k % input.length] << 6) | 63);
    out.push(input.subarray(i, i + size));
    i += size;
  }
  return out;
}

function drainMp4(input: Uint8Array, small: boolean, track?: 'all'): void {
  const d = new Mp4Demuxer({ track });
  // Until more input is needed, or the end ('end' is sticky: every later call returns it again).
  const drain = () => {
    for (let e = d.next(); e !== undefined; e = d.next()) if (e.kind === 'end') return;
  };
  for (const c of chunks(input, small)) {
    d.push(c);
    drain();
  }
  d.end();
  drain();
}

const SPS_PPS = (() => {
  const nals = splitAnnexB(corpus('h264')[0]);
  return {
    sps: nals.find((n) => (n[0] & 0x1f) === 7)!,
    pps: nals.find((n) => (n[0] & 0x1f) === 8)!,
  };
})();

const SDP = h264Sdp({
  address: '127.0.0.1',
  port: 5000,
  payloadType: 96,
  ...SPS_PPS,
});

const RTSP_RESPONSES = [
  'RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n',
  `RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://127.0.0.1/s/\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`,
  'RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: 12345678;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n',
  'RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 12345678\r\nRTP-Info: url=rtsp://127.0.0.1/s/trackID=0;seq=1;rtptime=0\r\n\r\n',
  'RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm="cam", nonce="abc123", algorithm=MD5\r\n\r\n',
];

const RTSP_REQUESTS = [
  'OPTIONS rtsp://127.0.0.1:8554/s RTSP/1.0\r\nCSeq: 1\r\n\r\n',
  'DESCRIBE rtsp://127.0.0.1:8554/s RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n',
  'SETUP rtsp://127.0.0.1:8554/s/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n',
  'PLAY rtsp://127.0.0.1:8554/s RTSP/1.0\r\nCSeq: 4\r\nSession: SESSION\r\nRange: npt=0.000-\r\n\r\n',
  'GET_PARAMETER rtsp://127.0.0.1:8554/s RTSP/1.0\r\nCSeq: 5\r\nSession: SESSION\r\n\r\n',
  'TEARDOWN rtsp://127.0.0.1:8554/s RTSP/1.0\r\nCSeq: 6\r\nSession: SESSION\r\n\r\n',
];

const RTSP_TOKENS = [
  '\r\n',
  '\r\n\r\n',
  'Content-Length: ',
  'CSeq: ',
  'Session: ',
  'Transport: ',
  'RTSP/1.0 200 OK',
  '$',
  ';timeout=',
  'interleaved=',
  'Content-Base: ',
  'WWW-Authenticate: Digest realm="',
  'nonce="',
  '\u0000',
  '99999999999999999999',
];

function rtpSeeds(): Uint8Array[] {
  const p = new H264Payloader({ mtu: 200, pt: 96, ssrc: 1 });
  const out: Uint8Array[] = [];
  p.push(splitAnnexB(corpus('h264')[0]), 0, undefined, out);
  return out.slice(0, 12);
}

export const TARGETS: readonly FuzzTarget[] = [
  {
    name: 'h264',
    seeds: () => corpus('h264'),
    run(input) {
      const a = new AccessUnitAssembler();
      for (const c of chunks(input, input.length % 2 === 0)) a.push(c);
      a.flush();
      for (const nal of splitAnnexB(input)) if ((nal[0] & 0x1f) === 7) parseSps(nal);
    },
  },
  {
    // What every command and typeFind run on a file nobody here made: the finders, and the track reader
    // probe uses on a moov (a whole input is read as one, so that its boxes are all reached).
    name: 'typefind',
    seeds: () => [...corpus('mp4'), ...corpus('h264')],
    run(input) {
      findType(input, { complete: true });
      findType(input.subarray(0, 4096));
      isoBmffTracks(input);
    },
  },
  {
    name: 'mp4-small-chunks',
    seeds: () => corpus('mp4'),
    run: (input) => drainMp4(input, true),
  },
  {
    name: 'mp4-large-chunks',
    seeds: () => corpus('mp4'),
    run: (input) => drainMp4(input, false),
  },
  {
    // Every track: the AAC (esds) and Opus (dOps) sample entries and their interleaving with the video.
    name: 'mp4-all-tracks',
    seeds: () => corpus('mp4'),
    run: (input) => drainMp4(input, true, 'all'),
  },
  {
    name: 'rtsp-message',
    seeds: () => text(...RTSP_RESPONSES, ...RTSP_REQUESTS),
    tokens: RTSP_TOKENS,
    run(input) {
      const p = new RtspParser();
      for (const c of chunks(input, true)) {
        p.push(c);
        for (let m = p.next(); m !== undefined && !(m instanceof Error); m = p.next());
      }
    },
  },
  {
    name: 'rtsp-client',
    seeds: () => [enc.encode(RTSP_RESPONSES.join(''))],
    tokens: RTSP_TOKENS,
    run(input) {
      const c = new RtspClient({
        url: 'rtsp://user:pw@127.0.0.1:8554/s',
        cnonce: () => '0123456789abcdef',
      });
      c.start(0);
      let now = 0;
      for (const chunk of chunks(input, false)) {
        now += 10_000_000;
        c.receive(chunk, now);
        while (c.pollTransmit() !== undefined);
        while (c.nextEvent() !== undefined);
      }
      c.handleTimeout(now + 70 * SECOND);
      while (c.nextEvent() !== undefined);
    },
  },
  {
    name: 'rtsp-server',
    seeds: () => [enc.encode(RTSP_REQUESTS.join(''))],
    tokens: RTSP_TOKENS,
    run(input) {
      const s = new RtspServerConnection({
        path: '/s',
        sdp: () => SDP,
        sessionId: () => 'SESSION',
      });
      let now = 0;
      for (const chunk of chunks(input, false)) {
        now += 10_000_000;
        s.receive(chunk, now);
        while (s.pollTransmit() !== undefined);
        while (s.nextEvent() !== undefined);
      }
      s.handleTimeout(now + 70 * SECOND);
    },
  },
  {
    name: 'sdp',
    seeds: () => text(SDP),
    tokens: [
      '\r\n',
      'm=video 0 RTP/AVP 96\r\n',
      'a=rtpmap:96 H264/',
      '90000',
      'a=fmtp:96 ',
      'sprop-parameter-sets=',
      'a=control:',
      'c=IN IP4 ',
      '1e309',
      '99999999999999999999999',
    ],
    run(input) {
      const sd = parseSdp(dec.decode(input));
      sdpStream(sd);
    },
  },
  {
    name: 'rtp-rtcp',
    seeds: rtpSeeds,
    run(input) {
      parseRtp(input);
      parseRtcp(input);
      const d = new H264Depayloader();
      const out: DepayedAccessUnit[] = [];
      for (const c of chunks(input, false)) {
        const p = parseRtp(c);
        if (!(p instanceof Error)) d.push(c, out);
      }
      d.flush(out);
    },
  },
  {
    name: 'caps',
    seeds: () =>
      text(
        'video/x-raw, format=(string){ NV12, I420 }, width=(int)[ 1, 4096 ], framerate=(fraction)30/1',
        'video/x-h264(memory:CUDAMemory), stream-format=byte-stream; ANY',
        'EMPTY',
        'application/x-rtp, clock-rate=(int)90000, a=(double)1.5e3'
      ),
    tokens: [
      ',',
      ';',
      '=',
      '(',
      ')',
      '{',
      '}',
      '[',
      ']',
      '/',
      '"',
      '\\',
      'ANY',
      'EMPTY',
      '(int)',
      '(fraction)',
      '(string)',
      '(memory:',
      '1e309',
      '-',
      '<',
      '>',
    ],
    run(input) {
      const caps = Caps.parse(dec.decode(input));
      // Printing is what launch syntax and logs show: it must read back as the same caps.
      const printed = caps.toString();
      if (!Caps.parse(printed).equals(caps)) throw new Error(`caps do not print back: ${JSON.stringify(printed)}`);
    },
  },
  {
    name: 'launch',
    seeds: () =>
      text(
        'videoTestSrc num-buffers=10 pattern=ball ! queue max-size-buffers=3 leaky=downstream ! fakeSink sync=true',
        'fileSrc location="a b.h264" ! h264Parse ! mp4Mux fragment-duration=500ms ! fileSink location=out.mp4',
        'fakeSrc ! tee name=t t. ! queue ! fakeSink t. ! queue ! fakeSink',
        'videoTestSrc ! video/x-raw, format=I420, width=320 ! fakeSink'
      ),
    tokens: ['!', ' ', '=', '"', "'", 'name=', 't.', '(', ')', 'video/x-raw', ',', 'queue', '1e+29', '0:00:01.5', 'ms', '-1'],
    run(input) {
      const line = dec.decode(input);
      parseLaunchAst(line);
      parseLaunch(line, builtinRegistry);
    },
  },
  {
    name: 'native-decoder',
    isolate: 'process',
    seeds: () => corpus('h264'),
    async run(input) {
      const { NativeDecoder } = loadNative();
      const decoder = new NativeDecoder({ backend: 'software' });
      try {
        const assembler = new AccessUnitAssembler();
        const units = [...assembler.push(input), ...assembler.flush()];
        let pts = 0;
        for (const au of units) await decoder.decode(au.data, (pts += 40_000_000), undefined, au.keyframe);
        await decoder.finish();
      } finally {
        decoder.close();
      }
    },
  },
];
