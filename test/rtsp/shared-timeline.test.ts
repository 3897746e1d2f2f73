/**
 * rtspSrc media=all: the streams of a session share one timeline from the sender reports. Two Opus streams
 * whose frames the reports say were captured at the same instant get the same pts even when one stream's
 * first packet arrives 200 ms after the other's; each on its own timeline (a stream's first arrival) they
 * would be 200 ms apart — what lip sync from arrival order would get wrong.
 */
import { describe, expect, it } from 'vitest';
import { Caps } from '../../src/caps';
import { SystemClock } from '../../src/clock/system-clock';
import { EOS, type ElementReporter } from '../../src/element';
import type { CpuPacket } from '../../src/packet';
import { BoundedBuffer } from '../../src/pipeline/bounded-buffer';
import { AudioPayloader } from '../../src/rtp/audio-payloader';
import { ntpFromUnixMs } from '../../src/rtp/rtcp';
import { parseSdp, sdpStream } from '../../src/rtp/sdp';
import { newCounters } from '../../node/elements/rtsp-src/counters';
import { RtspOutput } from '../../node/elements/rtsp-src/output';
import { SharedTimeline } from '../../node/elements/rtsp-src/timestamps';

const SDP = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=t', 't=0 0', 'm=audio 0 RTP/AVP 97', 'a=rtpmap:97 opus/48000/2', 'a=fmtp:97 sprop-stereo=0'].join('\r\n');
const report: ElementReporter = { drop: () => undefined, queueDepth: () => undefined } as unknown as ElementReporter;

function outputs(shared: SharedTimeline | undefined) {
  const clock = new SystemClock();
  const base = clock.now();
  const buffer = new BoundedBuffer<CpuPacket>(16, 'drop-oldest');
  const make = () =>
    new RtspOutput({
      buffer,
      caps: Caps.parse('audio/x-opus'),
      clock,
      runningTime: () => clock.now() - base,
      numBuffers: -1,
      counters: newCounters(),
      report,
      onLimit: () => undefined,
      shared,
    });
  const pair = [make(), make()];
  for (const o of pair) o.described(sdpStream(parseSdp(SDP), 'audio'));
  return { pair, buffer };
}

/** One stream's first frame: its sender report says RTP `ts` was captured at wall time `wall`; then the frame arrives. */
function play(o: RtspOutput, ssrc: number, ts: number, wall: number): void {
  const ntp = ntpFromUnixMs(wall);
  o.sender.senderReport({
    type: 'sr',
    ssrc,
    ntpSeconds: ntp.seconds,
    ntpFraction: ntp.fraction,
    rtpTimestamp: ts,
    packetCount: 0,
    octetCount: 0,
    reports: [],
  } as never);
  o.sender.rtpFrom(ssrc);
  const pay = new AudioPayloader({ codec: 'opus', ssrc });
  const out: Uint8Array[] = [];
  pay.push(new Uint8Array([0xfc, 1, 2, 3]), ts, out);
  for (const d of out) o.push(d);
}

async function ptsApart(shared: SharedTimeline | undefined): Promise<number> {
  const { pair, buffer } = outputs(shared);
  const captured = performance.timeOrigin + performance.now();
  play(pair[0], 0x1111, 1000, captured);
  await new Promise((r) => setTimeout(r, 200));
  play(pair[1], 0x2222, 900_000, captured);
  const ac = new AbortController();
  const a = (await buffer.pull(ac.signal)) as CpuPacket;
  const b = (await buffer.pull(ac.signal)) as CpuPacket;
  expect(a).not.toBe(EOS);
  return (b.pts! - a.pts!) / 1e6;
}

describe('SharedTimeline', () => {
  it('frames captured together get one pts, however late one stream arrives; each on its own timeline they are as far apart as their arrivals', async () => {
    expect(Math.abs(await ptsApart(new SharedTimeline()))).toBeLessThan(2);
    expect(await ptsApart(undefined)).toBeGreaterThan(190);
  });
});
