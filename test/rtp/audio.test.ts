/**
 * Audio over RTP: AAC (RFC 3640 AAC-hbr) and Opus (RFC 7587). Frames come from ffmpeg-made files; ffmpeg's
 * own RTP muxer (which aggregates several AAC frames per packet) is the sender our depayloader must follow.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mp4Demuxer } from '../../src/formats/mp4/mp4-demuxer';
import { AudioDepayloader, type DepayedAudioFrame } from '../../src/rtp/audio-depayloader';
import { AudioPayloader, type AudioRtpCodec } from '../../src/rtp/audio-payloader';
import { audioSdpAttributes, sdpAudioStream } from '../../src/rtp/audio-sdp';
import { parseSdp } from '../../src/rtp/sdp';
import { tsAdd } from '../../src/rtp/seq';
import { requirePeer } from '../peers';
import { tempDir, tool } from '../mp4/helpers';

requirePeer('ffmpeg');

interface Frames {
  frames: Uint8Array[];
  config: Uint8Array;
  rate: number;
  channels: number;
}
const files: Record<AudioRtpCodec, string> = { aac: '', opus: '' };
const frames = {} as Record<AudioRtpCodec, Frames>;
let dir: string;
let cleanup: () => void;

function demuxAudio(file: string): Frames {
  const d = new Mp4Demuxer({ track: 'audio' });
  d.push(readFileSync(file));
  d.end();
  const out: Frames = { frames: [], config: new Uint8Array(), rate: 0, channels: 0 };
  for (let ev = d.next(); ev && ev.kind !== 'end'; ev = d.next()) {
    if (ev.kind === 'track' && ev.track.kind === 'audio') {
      out.config = ev.track.codecPrivate;
      out.rate = ev.track.sampleRate;
      out.channels = ev.track.channels;
    } else if (ev.kind === 'sample') out.frames.push(ev.sample.data.slice());
    else if (ev.kind === 'error') throw ev.error;
  }
  return out;
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  for (const [codec, enc] of [
    ['aac', 'aac'],
    ['opus', 'libopus'],
  ] as const) {
    files[codec] = join(dir, `${codec}.mp4`);
    const r = tool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:sample_rate=48000', '-ac', '2', '-t', '3', '-c:a', enc, files[codec]]);
    if (r.status !== 0) throw new Error(r.stderr);
    frames[codec] = demuxAudio(files[codec]);
  }
}, 60_000);
afterAll(() => cleanup());

function roundTrip(codec: AudioRtpCodec, mtu: number, drop?: (seq: number) => boolean) {
  const pay = new AudioPayloader({ codec, mtu, seqStart: 65530, timestampOffset: 0xffff_f000 });
  const depay = new AudioDepayloader({ codec });
  const out: DepayedAudioFrame[] = [];
  let packets = 0;
  frames[codec].frames.forEach((f, i) => {
    const dgrams: Uint8Array[] = [];
    pay.push(f, tsAdd(pay.timestampOffset, i * 1024), dgrams);
    for (const d of dgrams) if (!(drop ?? (() => false))(packets++)) depay.push(d, out);
  });
  return { out, packets, depay };
}

describe('AudioPayloader → AudioDepayloader', () => {
  for (const codec of ['aac', 'opus'] as const) {
    it(`${codec}: every frame back, byte for byte, timestamps across the 32-bit wrap`, () => {
      const { out, packets } = roundTrip(codec, 1400);
      const src = frames[codec].frames;
      expect(packets).toBe(src.length);
      expect(out.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(src.map((f) => Buffer.from(f).toString('hex')));
      expect(out.map((f) => f.timestamp - out[0].timestamp)).toEqual(src.map((_, i) => i * 1024));
      expect(out.filter((f) => f.discont).length).toBe(1);
    });
  }

  it('aac: frames larger than the MTU are fragmented and put back together; a lost fragment drops its frame only', () => {
    const src = frames.aac.frames;
    const whole = roundTrip('aac', 100);
    expect(whole.packets).toBeGreaterThan(src.length * 2);
    expect(whole.out.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(src.map((f) => Buffer.from(f).toString('hex')));
    const lossy = roundTrip('aac', 100, (n) => n === 7);
    expect(lossy.depay.counters.lost).toBe(1);
    expect(lossy.depay.counters.dropped).toBe(1);
    expect(lossy.out.length).toBe(src.length - 1);
    // Frames after the loss are intact and the first of them says so.
    const firstAfter = lossy.out.findIndex((f, i) => i > 0 && f.discont);
    expect(firstAfter).toBeGreaterThan(0);
    const idx = src.findIndex((f) => Buffer.from(f).equals(Buffer.from(lossy.out[firstAfter].data)));
    expect(idx).toBe(firstAfter + 1);
  });

  it('aac: the SDP says what a receiver needs, and reads back to the same caps', () => {
    const f = frames.aac;
    const sdp = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=t', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 5004 RTP/AVP 97'];
    for (const a of audioSdpAttributes({ codec: 'aac', payloadType: 97, rate: f.rate, channels: f.channels, config: f.config })) sdp.push(`a=${a}`);
    const s = sdpAudioStream(parseSdp(sdp.join('\r\n')).media[0])!;
    expect(s.codec).toBe('aac');
    expect(s.clockRate).toBe(48000);
    expect(s.caps.toString()).toContain(`codec_data=(string)${Buffer.from(f.config).toString('hex')}`);
    expect(s.caps.get('channels')).toBe(2);
  });
});

/** ffmpeg sends the file's audio as RTP to a UDP port of ours; returns its SDP and the datagrams that came. */
async function fromFfmpeg(file: string): Promise<{ sdp: string; packets: Uint8Array[] }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.setRecvBufferSize(8 << 20);
  const port = sock.address().port;
  const packets: Uint8Array[] = [];
  sock.on('message', (m) => packets.push(new Uint8Array(m)));
  const sdpFile = join(dir, 'ffmpeg.sdp');
  const p = spawn('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    file,
    '-vn',
    '-c:a',
    'copy',
    '-sdp_file',
    sdpFile,
    '-f',
    'rtp',
    `rtp://127.0.0.1:${port}?rtcpport=${port}`,
  ]);
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => p.on('close', r));
  await new Promise((r) => setTimeout(r, 200));
  sock.close();
  if (code !== 0) throw new Error(`ffmpeg: ${err}`);
  return { sdp: readFileSync(sdpFile, 'utf8'), packets };
}

describe('depayloading what ffmpeg sends', () => {
  for (const codec of ['aac', 'opus'] as const) {
    it(`${codec}: ffmpeg's RTP muxer and SDP → the file's frames, in order, with their timestamps`, async () => {
      const { sdp, packets } = await fromFfmpeg(files[codec]);
      const media = parseSdp(sdp).media[0];
      const s = sdpAudioStream(media);
      expect(s, sdp).toBeDefined();
      const depay = new AudioDepayloader({ codec: s!.codec, payloadType: s!.payloadType, frameDuration: s!.frameDuration });
      const out: DepayedAudioFrame[] = [];
      for (const d of packets.filter((d) => d[1] < 200 || d[1] > 204)) depay.push(d, out); // RTCP shares the port
      const src = frames[codec].frames;
      expect(depay.counters.lost).toBe(0);
      // ffmpeg's AAC packetiser never sends the frames still waiting to be aggregated when its input ends.
      const sent = codec === 'aac' ? src.slice(0, out.length) : src;
      expect(out.length).toBeGreaterThan(src.length - 8);
      expect(out.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(sent.map((f) => Buffer.from(f).toString('hex')));
      // 1024-sample AAC frames; Opus's 20 ms frames on its 48 kHz clock.
      const step = codec === 'aac' ? 1024 : 960;
      expect(out.map((f) => f.timestamp - out[0].timestamp)).toEqual(sent.map((_, i) => i * step));
      if (codec === 'aac') expect(packets.length).toBeLessThan(src.length); // ffmpeg aggregates AUs
    });
  }
});
