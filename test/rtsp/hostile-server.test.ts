/**
 * rtspSrc against hostile RTSP servers (issue 15: a bad peer must never take the process down). Each case is
 * a scripted raw TCP server (node:net, no RTSP code of ours on that side) answering OPTIONS, DESCRIBE, SETUP
 * and PLAY with one bad response. The pipeline must reject promptly with a G2gError naming the element and
 * the problem; nothing may escape as an uncaught exception (a listener installed for the whole file must
 * never fire, and the file running to its end shows the process survived); and the failed session must
 * leave nothing open: the server sees its connection closed, and no socket or timer of ours remains.
 */
import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rtspSrc, type RtspSrcOptions } from '../../node/elements/rtsp-src';
import { fakeSink } from '../../operators/fake-sink';
import { G2gError } from '../../src/errors';
import type { Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { MILLISECOND } from '../../src/time';

interface Request {
  readonly method: string;
  readonly uri: string;
  readonly cseq: string;
  readonly head: string;
}

interface Conn {
  readonly socket: Socket;
  closed: boolean;
  readonly requests: Request[];
  /** Runs `fn` when the connection closes (a script's timers stop there). */
  onClose(fn: () => void): void;
}

type Handler = (req: Request, c: Conn) => void;
type Script = Partial<Record<'OPTIONS' | 'DESCRIBE' | 'SETUP' | 'PLAY' | 'TEARDOWN', Handler>>;

const SDP = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=hostile', 't=0 0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=control:track1', ''].join('\r\n');

function respond(c: Conn, req: Request, status: string, headers: string[] = [], body = ''): void {
  const length = body.length ? [`Content-Length: ${Buffer.byteLength(body, 'latin1')}`] : [];
  c.socket.write(Buffer.from([`RTSP/1.0 ${status}`, `CSeq: ${req.cseq}`, ...headers, ...length, '', body].join('\r\n'), 'latin1'));
}

/** A well-behaved server's answers; each case replaces one. */
const GOOD: Required<Script> = {
  OPTIONS: (r, c) => respond(c, r, '200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']),
  DESCRIBE: (r, c) => respond(c, r, '200 OK', [`Content-Base: ${r.uri}/`, 'Content-Type: application/sdp'], SDP),
  SETUP: (r, c) => respond(c, r, '200 OK', ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1', 'Session: 12345678;timeout=60']),
  PLAY: (r, c) => respond(c, r, '200 OK', ['Session: 12345678']),
  TEARDOWN: (r, c) => respond(c, r, '200 OK', ['Session: 12345678']),
};

/** A raw TCP server that parses requests just enough to run a script against them. */
class ScriptedServer {
  readonly conns: Conn[] = [];
  private readonly server: Server;
  port = 0;

  constructor(script: Script) {
    const handlers = { ...GOOD, ...script };
    this.server = createServer((socket) => {
      const closers: (() => void)[] = [];
      const c: Conn = {
        socket,
        closed: false,
        requests: [],
        onClose: (fn) => void closers.push(fn),
      };
      this.conns.push(c);
      // The client resets or half-closes as it fails: neither is news here.
      socket.on('error', () => undefined);
      socket.on('close', () => {
        c.closed = true;
        for (const fn of closers) fn();
      });
      let buf = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          if (buf[0] === 0x24) {
            // Interleaved RTCP from the client ('$', channel, length, data).
            if (buf.length < 4 || buf.length < 4 + buf.readUInt16BE(2)) return;
            buf = buf.subarray(4 + buf.readUInt16BE(2));
            continue;
          }
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.subarray(0, end).toString('latin1');
          buf = buf.subarray(end + 4);
          const [method = '', uri = ''] = head.split(/\s+/);
          const req: Request = {
            method,
            uri,
            cseq: /^CSeq:\s*(\d+)/im.exec(head)?.[1] ?? '0',
            head,
          };
          c.requests.push(req);
          handlers[method as keyof Script]?.(req, c);
        }
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  url(path = '/live', userinfo = ''): string {
    return `rtsp://${userinfo}127.0.0.1:${this.port}${path}`;
  }

  /** Resolves once every connection the client made has closed; false if one is still open after `ms`. */
  async allClosed(ms = 2000): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (this.conns.some((c) => !c.closed)) {
      if (performance.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Writes `chunk` again and again, as the socket drains, until `total` bytes or the connection closes. */
function flood(c: Conn, chunk: Buffer, total = Infinity): void {
  let sent = 0;
  const more = (): void => {
    while (!c.closed && sent < total) {
      sent += chunk.length;
      if (!c.socket.write(chunk)) return void c.socket.once('drain', more);
    }
  };
  more();
}

/** RTP (PT 96) of one H.264 keyframe: SPS, PPS and IDR as single NAL unit packets, the marker on the last. */
function keyframe(unit: number): Buffer[] {
  const nals = [
    [0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8],
    [0x68, 0xce, 0x3c, 0x80],
    [0x65, 0x88, 0x84, 0x00, 0x33, 0xff],
  ];
  return nals.map((nal, i) => {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = 96 | (i === nals.length - 1 ? 0x80 : 0);
    h.writeUInt16BE((unit * nals.length + i) & 0xffff, 2);
    h.writeUInt32BE((unit * 3600) >>> 0, 4);
    h.writeUInt32BE(0x1234abcd, 8);
    return Buffer.concat([h, Buffer.from(nal)]);
  });
}

const interleaved = (channel: number, data: Buffer): Buffer => Buffer.concat([Buffer.from([0x24, channel, data.length >> 8, data.length & 0xff]), data]);

const uncaught: unknown[] = [];
const onUncaught = (e: unknown): void => void uncaught.push(e);
let servers: ScriptedServer[] = [];

beforeAll(() => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
afterAll(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  expect(uncaught).toEqual([]);
});

/** Open handles of this process of the kinds a session uses: TCP sockets and timers. */
function handles(): { sockets: number; timers: number } {
  const r = process.getActiveResourcesInfo();
  return {
    sockets: r.filter((x) => x === 'TCPSocketWrap').length,
    timers: r.filter((x) => x === 'Timeout').length,
  };
}

const TIMEOUT = 400 * MILLISECOND;

/**
 * Plays from a server running `script` and expects a prompt G2gError naming rtspSrc and matching `problem`;
 * then checks that no uncaught exception happened and that nothing of the session is left open.
 */
async function expectFailure(script: Script, problem: RegExp, options: Partial<RtspSrcOptions> & { userinfo?: string; within?: number } = {}) {
  const server = await new ScriptedServer(script).listen();
  servers.push(server);
  const before = handles();
  const { userinfo, within = 1500, ...rest } = options;
  const t0 = performance.now();
  const packets: Packet[] = [];
  const logs: string[] = [];
  const src = rtspSrc({
    location: server.url('/live', userinfo),
    timeout: TIMEOUT,
    ...rest,
  });
  const error = await pipe(src, fakeSink({ onPacket: (p) => void packets.push(p) }))
    .run({ log: (level, _element, m) => void logs.push(`${level} ${m}`) })
    .then(
      () => undefined,
      (e: unknown) => e
    );
  const ms = performance.now() - t0;
  expect(error).toBeInstanceOf(G2gError);
  const message = (error as Error).message;
  expect(message).toMatch(/^rtspSrc\S* failed: /);
  expect(message).toMatch(problem);
  expect(ms).toBeLessThan(within);
  expect(uncaught).toEqual([]);
  expect(packets).toEqual([]);
  // The client closed its side: the server sees every connection end.
  expect(await server.allClosed()).toBe(true);
  const after = handles();
  expect(after.sockets).toBeLessThanOrEqual(before.sockets);
  expect(after.timers).toBeLessThanOrEqual(before.timers);
  return { server, message, ms, logs, counters: src.counters };
}

describe('rtspSrc against a hostile server: a prompt pipeline error, the process alive, nothing left open', () => {
  it('garbage instead of a status line', async () => {
    await expectFailure(
      { OPTIONS: (_r, c) => c.socket.write('SSH-2.0-OpenSSH_9.2\r\n\r\n') },
      /bad data from rtsp:\/\/127\.0\.0\.1:\d+\/live: malformed start line 'SSH-2\.0-OpenSSH_9\.2'/
    );
  });

  it('binary garbage instead of a response', async () => {
    await expectFailure(
      {
        OPTIONS: (_r, c) => c.socket.write(Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a])),
      },
      /bad data from .*: malformed start line/
    );
  });

  it('a DESCRIBE body that is not SDP', async () => {
    await expectFailure(
      {
        DESCRIBE: (r, c) => respond(c, r, '200 OK', ['Content-Type: application/sdp'], '<html><body>It works!</body></html>'),
      },
      /DESCRIBE rtsp:\/\/127\.0\.0\.1:\d+\/live: not an SDP: the first line must be v=0/
    );
  });

  it('an SDP clock rate of hundreds of digits', async () => {
    const sdp = SDP.replace('H264/90000', `H264/${'9'.repeat(400)}`);
    await expectFailure(
      { DESCRIBE: (r, c) => respond(c, r, '200 OK', [], sdp) },
      /payload type 96: RTP clock rate Infinity is not an integer from 1 to 999999999/
    );
  });

  it('an SDP clock rate of 0', async () => {
    await expectFailure(
      {
        DESCRIBE: (r, c) => respond(c, r, '200 OK', [], SDP.replace('H264/90000', 'H264/0')),
      },
      /RTP clock rate 0 is not an integer/
    );
  });

  it('a Content-Base containing a space', async () => {
    await expectFailure(
      {
        DESCRIBE: (r, c) => respond(c, r, '200 OK', [`Content-Base: ${r.uri}/a b/`], SDP),
      },
      /DESCRIBE rtsp:\/\/127\.0\.0\.1:\d+\/live: bad Content-Base 'rtsp:\/\/127\.0\.0\.1:\d+\/live\/a b\/'/
    );
  });

  it('a media control URL containing a space', async () => {
    await expectFailure(
      {
        DESCRIBE: (r, c) => respond(c, r, '200 OK', [], SDP.replace('a=control:track1', 'a=control:track 1')),
      },
      /bad control URL '.*track 1'/
    );
  });

  it('a Session id containing NUL', async () => {
    await expectFailure(
      {
        SETUP: (r, c) => respond(c, r, '200 OK', ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1', 'Session: 1234\u00005678;timeout=60']),
      },
      /SETUP rtsp:\/\/127\.0\.0\.1:\d+\/live: bad Session id '1234\\u00005678'/
    );
  });

  const digest =
    (params: string): Handler =>
    (r, c) => {
      if (/^Authorization:/im.test(r.head)) return GOOD.DESCRIBE(r, c);
      respond(c, r, '401 Unauthorized', [`WWW-Authenticate: Digest ${params}`]);
    };

  it('a NUL in a Digest realm', async () => {
    const { server } = await expectFailure(
      { DESCRIBE: digest('realm="cam\u0000era", nonce="abc"') },
      /401 Unauthorized from .* on DESCRIBE: the server's Digest challenge cannot be answered: its realm contains a control character/,
      {
        userinfo: 'admin:secret@',
      }
    );
    // The bad challenge was never echoed back.
    expect(server.conns[0].requests.map((r) => r.method)).toEqual(['OPTIONS', 'DESCRIBE']);
  });

  it('a NUL in a Digest nonce', async () => {
    await expectFailure(
      { DESCRIBE: digest('realm="camera", nonce="ab\u0000c"') },
      /Digest challenge cannot be answered: its nonce contains a control character/,
      { userinfo: 'admin:secret@' }
    );
  });

  it('a Content-Length larger than what is sent, then close', async () => {
    await expectFailure(
      {
        DESCRIBE: (r, c) => {
          c.socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nContent-Length: 5000\r\n\r\n${SDP}`);
          c.socket.end();
        },
      },
      /the connection to rtsp:\/\/127\.0\.0\.1:\d+\/live closed in the middle of a message \(\d+ bytes of it received\)/
    );
  });

  it('an endless header', async () => {
    await expectFailure(
      {
        OPTIONS: (r, c) => {
          c.socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nX-Endless: `);
          flood(c, Buffer.alloc(4096, 'a'));
        },
      },
      /bad data from .*: message head exceeds 16384 bytes/
    );
  });

  it('a 10 MB body', async () => {
    const MB10 = 10 * 1024 * 1024;
    await expectFailure(
      {
        DESCRIBE: (r, c) => {
          c.socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nContent-Type: application/sdp\r\nContent-Length: ${MB10}\r\n\r\n`);
          flood(c, Buffer.alloc(64 * 1024, 'v'), MB10);
        },
      },
      /bad data from .*: body of 10485760 bytes exceeds 1048576/
    );
  });

  it('interleaved data on a channel SETUP did not give: discarded, counted, and named when the session times out', async () => {
    const { ms, logs, counters } = await expectFailure(
      {
        PLAY: (r, c) => {
          GOOD.PLAY(r, c);
          // RTP-looking frames, endlessly, on channel 7 (SETUP said 0-1).
          const frame = Buffer.concat([Buffer.from([0x24, 7, 0, 12]), Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])]);
          const t = setInterval(() => c.socket.write(frame), 20);
          c.onClose(() => clearInterval(t));
        },
      },
      /no media from rtsp:\/\/127\.0\.0\.1:\d+\/live for 400 ms \(\d+ interleaved frames on channel 7, not 0-1, discarded\)/,
      { within: 2500 }
    );
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT / MILLISECOND - 50);
    expect(counters.discarded).toBeGreaterThan(0);
    expect(logs.filter((l) => /^warn interleaved data on channel 7, which SETUP did not give \(0-1\): discarded$/.test(l))).toHaveLength(1);
  });

  it('a server that accepts and never answers', async () => {
    const { ms } = await expectFailure({ OPTIONS: () => undefined }, /no response to OPTIONS within 400 ms from rtsp:\/\/127\.0\.0\.1:\d+\/live/, {
      within: 2000,
    });
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT / MILLISECOND - 50);
  });

  it('a server that closes mid-response', async () => {
    await expectFailure(
      {
        SETUP: (r, c) => {
          c.socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nTransport: RTP/AVP/TCP;unic`);
          c.socket.end();
        },
      },
      /the connection to .* closed in the middle of a message/
    );
  });

  it('a stream that ends (RTCP BYE) before its first keyframe: an error saying so, not an empty success', async () => {
    const BYE = interleaved(1, Buffer.from([0x81, 203, 0x00, 0x01, 0x12, 0x34, 0xab, 0xcd]));
    const pFrames = [0, 1, 2].map((i) => {
      const h = Buffer.alloc(12);
      h[0] = 0x80;
      h[1] = 96 | 0x80; // one NAL unit per access unit: the marker on each
      h.writeUInt16BE(i, 2);
      h.writeUInt32BE(i * 3600, 4);
      h.writeUInt32BE(0x1234abcd, 8);
      return interleaved(0, Buffer.concat([h, Buffer.from([0x41, 0x9a, 0x00, 0x11])]));
    });
    await expectFailure(
      {
        PLAY: (r, c) => {
          GOOD.PLAY(r, c);
          c.socket.write(Buffer.concat([...pFrames, BYE]));
        },
      },
      /the server ended the stream before its first keyframe: 3 access units dropped waiting for one \(3 RTP packets\)$/
    );
    await expectFailure(
      {
        PLAY: (r, c) => {
          GOOD.PLAY(r, c);
          c.socket.write(BYE);
        },
      },
      /the server ended the stream without sending any media \(no RTP packet came\)$/
    );
  });

  it('a server that closes before answering', async () => {
    await expectFailure({ PLAY: (_r, c) => c.socket.destroy() }, /the connection to rtsp:\/\/127\.0\.0\.1:\d+\/live closed$/);
  });
});

describe('rtspSrc against a hostile server: what the protocol lets it discard, it discards and plays on', () => {
  it('a packet on the RTP channel that is not RTP: counted, logged once, dropped as corrupt; the stream plays', async () => {
    const server = await new ScriptedServer({
      PLAY: (r, c) => {
        GOOD.PLAY(r, c);
        c.socket.write(
          Buffer.concat([interleaved(0, Buffer.from([1, 2, 3])), interleaved(0, Buffer.alloc(20, 0xff)), ...keyframe(0).map((p) => interleaved(0, p))])
        );
      },
    }).listen();
    servers.push(server);
    const packets: Packet[] = [];
    const logs: string[] = [];
    const src = rtspSrc({
      location: server.url(),
      timeout: TIMEOUT,
      numBuffers: 1,
    });
    const stats = await pipe(src, fakeSink({ onPacket: (p) => void packets.push(p) })).run({ log: (level, _e, m) => void logs.push(`${level} ${m}`) });
    expect(packets).toHaveLength(1);
    expect(src.counters.discarded).toBe(2);
    expect(stats.elements.find((e) => e.name.startsWith('rtspSrc'))?.drops.corrupt).toBe(2);
    expect(logs.filter((l) => /^warn a packet of \d+ bytes on the RTP channel is not RTP: discarded$/.test(l))).toHaveLength(1);
    expect(uncaught).toEqual([]);
    expect(await server.allClosed()).toBe(true);
  });

  it('UDP: a Transport with server_port=0-0 (no port to send reports to): the receiver reports are skipped, not thrown', async () => {
    // The process would die at the first receiver report (≤ 3.1 s after the first RTP): dgram's send()
    // throws at once for port 0, in a timer callback.
    const rtp = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
    let timer: ReturnType<typeof setInterval> | undefined;
    const server = await new ScriptedServer({
      SETUP: (r, c) => {
        const ports = /client_port=(\d+)-(\d+)/.exec(r.head)!;
        respond(c, r, '200 OK', [`Transport: RTP/AVP;unicast;client_port=${ports[1]}-${ports[2]};server_port=0-0`, 'Session: 12345678;timeout=60']);
        c.onClose(() => clearInterval(timer));
        let unit = 0;
        timer = setInterval(() => {
          for (const p of keyframe(unit++)) rtp.send(p, Number(ports[1]), '127.0.0.1');
        }, 25);
      },
    }).listen();
    servers.push(server);
    const src = rtspSrc({
      location: server.url(),
      protocols: 'udp',
      timeout: 2000 * MILLISECOND,
      numBuffers: 150,
    });
    try {
      await pipe(src, fakeSink()).run();
    } finally {
      clearInterval(timer);
      await new Promise<void>((r) => rtp.close(() => r()));
    }
    expect(src.counters.units).toBe(150);
    // A report (and the BYE at the end) was due and went nowhere.
    expect(src.counters.receiverReports).toBeGreaterThanOrEqual(1);
    expect(uncaught).toEqual([]);
    expect(await server.allClosed()).toBe(true);
  }, 15_000);
});
