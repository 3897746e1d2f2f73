/** RtspClient's udp-timeout, sans-IO: a scripted server, a fake clock, byte-level requests. */
import { describe, expect, it } from 'vitest';
import { RtspClient, type RtspClientEvent, type RtspClientOptions } from '../../src/rtsp/client';
import { RtspParser, serializeResponse, type RtspRequest } from '../../src/rtsp/message';
import { MILLISECOND, SECOND } from '../../src/time';

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:stream=0\r\n';

function playUdp(options: Partial<RtspClientOptions>) {
  const client = new RtspClient({ url: 'rtsp://127.0.0.1:8554/live', transport: 'udp', clientPorts: [5000, 5001], ...options });
  const parser = new RtspParser();
  const events: RtspClientEvent[] = [];
  const requests = (): RtspRequest[] => {
    for (let b = client.pollTransmit(); b; b = client.pollTransmit()) parser.push(b);
    const out: RtspRequest[] = [];
    for (let m = parser.next(); m; m = parser.next()) out.push(m as RtspRequest);
    return out;
  };
  const drain = () => {
    for (let e = client.nextEvent(); e; e = client.nextEvent()) events.push(e);
  };
  const answer = (r: RtspRequest, headers: [string, string][] = [], body?: string, now = 0) => {
    client.receive(serializeResponse(200, 'OK', [['CSeq', r.headers.get('cseq')!], ...headers], body), now);
    drain();
  };
  client.start(0);
  answer(requests()[0], [['Public', 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER']]);
  answer(requests()[0], [['Content-Type', 'application/sdp']], SDP);
  answer(requests()[0], [
    ['Session', 'abc'],
    ['Transport', 'RTP/AVP;unicast;client_port=5000-5001;server_port=7000-7001'],
  ]);
  const play = requests()[0];
  expect(play.method).toBe('PLAY');
  answer(play, [['Session', 'abc']], undefined, SECOND);
  expect(client.state).toBe('playing');
  return { client, events, requests, answer, drain };
}

describe('RtspClient udpTimeout', () => {
  it('no RTP within udpTimeout of PLAY (RTCP does not count): udp-timeout, then TEARDOWN, then closed', () => {
    const { client, events, requests, answer, drain } = playUdp({ udpTimeout: 700 * MILLISECOND, dataTimeout: 5 * SECOND });
    expect(client.pollTimeout()).toBe(SECOND + 700 * MILLISECOND);
    client.receiveDatagram('rtcp', new Uint8Array([0x80, 200, 0, 0]), SECOND + 100 * MILLISECOND);
    client.handleTimeout(SECOND + 699 * MILLISECOND);
    drain();
    expect(events.map((e) => e.type)).toEqual(['described', 'playing', 'rtcp']);
    client.handleTimeout(SECOND + 700 * MILLISECOND);
    drain();
    expect(events.at(-1)).toEqual({ type: 'udp-timeout', after: 700 * MILLISECOND });
    expect(client.state).toBe('teardown');
    const [td] = requests();
    expect(td).toMatchObject({ method: 'TEARDOWN', uri: 'rtsp://127.0.0.1:8554/live' });
    expect(td.headers.get('session')).toBe('abc');
    answer(td);
    expect(events.at(-1)).toEqual({ type: 'closed' });
  });

  it('one RTP datagram (even before the PLAY answer) disarms it; the data timeout still applies', () => {
    const { client, events } = playUdp({ udpTimeout: 700 * MILLISECOND, dataTimeout: 5 * SECOND });
    client.receiveDatagram('rtp', new Uint8Array([0x80, 96, 0, 1]), SECOND + 10 * MILLISECOND);
    expect(client.pollTimeout()).toBe(SECOND + 10 * MILLISECOND + 5 * SECOND);
    client.handleTimeout(3 * SECOND);
    expect(client.state).toBe('playing');
    client.handleTimeout(SECOND + 10 * MILLISECOND + 5 * SECOND);
    for (let e = client.nextEvent(); e; e = client.nextEvent()) events.push(e);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { kind: 'timeout' } });
  });

  it('absent or over TCP: never armed', () => {
    const { client } = playUdp({ dataTimeout: 0 });
    expect(client.pollTimeout()).toBe(SECOND + 30 * SECOND); // only the keep-alive (half of 60 s)
    const tcp = new RtspClient({ url: 'rtsp://h/x', transport: 'tcp', udpTimeout: SECOND });
    tcp.start(0);
    expect(tcp.pollTimeout()).toBe(10 * SECOND); // the OPTIONS response timeout only
  });
});
