import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Caps, pipe, VirtualClock, type Packet, type Source, type Transform } from '../../src';
import { builtinElements, ElementRegistry, FAKE_SINK, fakeSink, parseLaunch } from '../../operators';
import { nodeElements } from '../../node/elements';
import { aacDec } from '../../node/elements/aac-dec';
import { aacEnc } from '../../node/elements/aac-enc';
import { opusDec } from '../../node/elements/opus-dec';
import { fromAsyncIterable } from '../../src/interop/async-iterable';
import { cpuMemory, type CpuMemory } from '../../src/memory/memory';
import { leasedMemory } from '../../src/memory/release';
import { EMPTY_META, PacketFlags } from '../../src/packet';
import { ticksToNs } from '../../src/time';
import { fromHex, toHex } from '../../src/codecs/h264';
import { parseAdtsHeader, splitAdts } from '../../src/codecs/aac/adts';
import { parseOpusHead } from '../../src/codecs/opus/head';
import { oggPackets } from '../../src/codecs/opus/ogg';
import { requirePeer } from '../peers';

requirePeer('native', 'ffmpeg');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'g2g-codecs-'));
  // ffmpeg's native AAC encoder, ADTS: 2 s of 440 Hz, stereo, 44.1 kHz.
  ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=2:sample_rate=44100', '-ac', '2', '-c:a', 'aac', '-b:a', '128k', '-f', 'adts', '-y', join(dir, 'sine.aac')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ffmpeg = (args: string[]): Buffer => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], { maxBuffer: 1 << 28 });

type P = Packet<CpuMemory>;

function packets(caps: Caps, datas: readonly Uint8Array[], samplesPer: number, rate: number, released?: { n: number }): Source<P> {
  return fromAsyncIterable<P>(
    datas.map((d, i) => ({
      caps,
      pts: ticksToNs(i * samplesPer, rate),
      dts: ticksToNs(i * samplesPer, rate),
      duration: ticksToNs(samplesPer, rate),
      flags: i === 0 ? PacketFlags.DISCONT : 0,
      memory: released ? leasedMemory(d, () => void released.n++) : cpuMemory(d),
      meta: EMPTY_META,
    })),
    { caps }
  );
}

async function collect(src: Source<P>, ...ts: Transform<any, any>[]): Promise<{ out: P[]; drops: number }> {
  const out: P[] = [];
  const sink = fakeSink<P>({ onPacket: (p) => void out.push(p) });
  const stats = (await (pipe as (...ops: unknown[]) => { run(o: object): Promise<unknown> })(src, ...ts, sink).run({ clock: new VirtualClock() })) as {
    elements: { drops: Record<string, number> }[];
  };
  const drops = stats.elements.reduce((n, e) => n + (e.drops.corrupt ?? 0), 0);
  return { out, drops };
}

function joined(ps: readonly P[]): Uint8Array {
  const n = ps.reduce((a, p) => a + p.memory.data.byteLength, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of ps) {
    out.set(p.memory.data, at);
    at += p.memory.data.byteLength;
  }
  return out;
}

/** Dominant frequency by zero crossings, and RMS, of interleaved F32LE (channel 0). */
function toneOf(f32: Float32Array, channels: number, rate: number): { freq: number; rms: number } {
  let crossings = 0;
  let sum = 0;
  const n = Math.floor(f32.length / channels);
  for (let i = 1; i < n; i++) {
    const a = f32[(i - 1) * channels];
    const b = f32[i * channels];
    if (a < 0 && b >= 0) crossings++;
    sum += b * b;
  }
  return { freq: (crossings * rate) / n, rms: Math.sqrt(sum / n) };
}

const f32 = (b: Uint8Array) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

describe('aacDec', () => {
  it('decodes ffmpeg-made ADTS bit-exactly with ffmpeg (S16LE and F32LE), gapless sample-clock pts', async () => {
    const file = join(dir, 'sine.aac');
    const bytes = new Uint8Array(readFileSync(file));
    const frames = splitAdts(bytes);
    expect(frames.length).toBeGreaterThan(80);
    const caps = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string)adts, rate=(int)44100, channels=(int)2');
    for (const [format, ff] of [
      ['S16LE', 's16le'],
      ['F32LE', 'f32le'],
    ] as const) {
      const ref = new Uint8Array(ffmpeg(['-c:a', 'aac', '-i', file, '-f', ff, '-']));
      const { out, drops } = await collect(packets(caps, frames, 1024, 44100), aacDec({ format }));
      expect(drops).toBe(0);
      const ours = joined(out);
      expect(ours.byteLength).toBe(ref.byteLength);
      expect(Buffer.compare(Buffer.from(ours), Buffer.from(ref))).toBe(0);
      expect(out[0].caps.toString()).toContain(`format=(string)${format}`);
      let samples = 0;
      for (const p of out) {
        expect(p.pts).toBe(ticksToNs(samples, 44100));
        samples += p.memory.data.byteLength / (format === 'S16LE' ? 4 : 8);
      }
    }
  });

  it('re-frames ADTS split across packets at arbitrary byte boundaries', async () => {
    const file = join(dir, 'sine.aac');
    const bytes = new Uint8Array(readFileSync(file));
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += 777) chunks.push(bytes.subarray(at, at + 777));
    const caps = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string)adts');
    const { out } = await collect(packets(caps, chunks, 1024, 44100), aacDec({ format: 'S16LE' }));
    const ref = new Uint8Array(ffmpeg(['-c:a', 'aac', '-i', file, '-f', 's16le', '-']));
    expect(Buffer.compare(Buffer.from(joined(out)), Buffer.from(ref))).toBe(0);
  });

  it('a corrupt packet is a counted drop, never a crash; decoding goes on', async () => {
    const file = join(dir, 'sine.aac');
    const frames = splitAdts(new Uint8Array(readFileSync(file))).map((f) => f.slice());
    // Raw AAC with a codec_data, and one frame replaced by garbage (headers stripped).
    const raw = frames.map((f) => f.subarray(parseAdtsHeader(f)!.headerBytes));
    raw[10] = Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff);
    const caps = Caps.parse(`audio/mpeg, mpegversion=(int)4, stream-format=(string)raw, codec_data=(string)${toHex(Uint8Array.of(0x12, 0x10))}`);
    const { out, drops } = await collect(packets(caps, raw, 1024, 44100), aacDec({ format: 'S16LE' }));
    expect(drops).toBeGreaterThanOrEqual(1);
    expect(out.length).toBeGreaterThan(raw.length - 5);
  });

  it('bytes that are not ADTS are skipped and counted; frames after them decode', async () => {
    const frames = splitAdts(new Uint8Array(readFileSync(join(dir, 'sine.aac'))));
    const junk = Uint8Array.from({ length: 100 }, (_, i) => i & 0x7f);
    const caps = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string)adts');
    const { out, drops } = await collect(packets(caps, [junk, ...frames.slice(0, 10)], 1024, 44100), aacDec({}));
    expect(drops).toBe(1);
    expect(out.reduce((n, p) => n + p.memory.data.byteLength, 0)).toBe(10 * 1024 * 2 * 4);
  });

  it('raw AAC without codec_data fails naming the element', async () => {
    const caps = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string)raw');
    await expect(collect(packets(caps, [new Uint8Array(10)], 1024, 44100), aacDec({}))).rejects.toThrow(/aacDec.*codec_data/);
  });
});

describe('release discipline', () => {
  it('every input packet is released once: decoded, refused as corrupt, failed, and encoded', async () => {
    const file = join(dir, 'sine.aac');
    const frames = splitAdts(new Uint8Array(readFileSync(file))).map((f) => f.slice());
    frames[5] = Uint8Array.from({ length: 200 }, (_, i) => (i * 31 + 7) & 0xff);
    const adts = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string)adts');
    const dec = { n: 0 };
    await collect(packets(adts, frames.slice(0, 40), 1024, 44100, dec), aacDec({}));
    expect(dec.n).toBe(40);
    const failed = { n: 0 };
    const raw = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string)raw');
    await expect(collect(packets(raw, [new Uint8Array(10)], 1024, 44100, failed), aacDec({}))).rejects.toThrow();
    expect(failed.n).toBe(1);
    const enc = { n: 0 };
    const pcm = Caps.parse('audio/x-raw, format=(string)S16LE, layout=(string)interleaved, rate=(int)48000, channels=(int)1');
    const { out } = await collect(packets(pcm, Array.from({ length: 30 }, () => new Uint8Array(2 * 700)), 700, 48000, enc), aacEnc({}));
    expect(enc.n).toBe(30);
    expect(out.length).toBe(Math.ceil((30 * 700 + 1024) / 1024));
  });
});

describe('opusDec', () => {
  it('decodes libopus packets (Ogg, demuxed here) bit-exactly with ffmpeg, trimming OpusHead pre-skip', async () => {
    const file = join(dir, 'sine.opus');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=2:sample_rate=48000', '-ac', '2', '-c:a', 'libopus', '-b:a', '96k', '-f', 'ogg', '-y', file]);
    const [head, , ...pkts] = oggPackets(new Uint8Array(readFileSync(file)))!;
    const h = parseOpusHead(head)!;
    expect(h.channels).toBe(2);
    expect(h.preSkip).toBeGreaterThan(0);
    const caps = Caps.parse(`audio/x-opus, channel-mapping-family=(int)0, rate=(int)48000, channels=(int)2, codec_data=(string)${toHex(head)}`);
    for (const [format, ff] of [
      ['S16LE', 's16le'],
      ['F32LE', 'f32le'],
    ] as const) {
      const ref = new Uint8Array(ffmpeg(['-c:a', 'opus', '-i', file, '-f', ff, '-']));
      const { out, drops } = await collect(packets(caps, pkts, 960, 48000), opusDec({ format }));
      expect(drops).toBe(0);
      const ours = joined(out);
      // ffmpeg also trims the end to the last page's granule position, which raw packets do not carry.
      expect(ours.byteLength).toBeGreaterThanOrEqual(ref.byteLength);
      expect(ours.byteLength - ref.byteLength).toBeLessThan(960 * 2 * (format === 'S16LE' ? 2 : 4));
      expect(Buffer.compare(Buffer.from(ours.subarray(0, ref.byteLength)), Buffer.from(ref))).toBe(0);
      expect(out[0].pts).toBe(0);
    }
  });
});

describe('aacEnc', () => {
  it('encodes ADTS that ffprobe accepts and ffmpeg decodes to the same tone; pts from sample counts', async () => {
    const packetsOut: P[] = [];
    const registry = new ElementRegistry(
      [...builtinElements, ...nodeElements].map((d) => (d === FAKE_SINK ? FAKE_SINK.withExtras({ onPacket: (p: P) => void packetsOut.push(p) }) : d))
    );
    await parseLaunch('audioTestSrc freq=1000 volume=0.5 num-buffers=100 samplesperbuffer=441 ! audio/x-raw,rate=44100,channels=1 ! aacEnc bitrate=96000 stream-format=adts ! fakeSink', registry).run({
      clock: new VirtualClock(),
    });
    const c = packetsOut[0].caps;
    expect(c.get('stream-format')).toBe('adts');
    expect(c.get('encoder-delay')).toBe(1024);
    packetsOut.forEach((p, i) => expect(p.pts).toBe(ticksToNs(i * 1024, 44100)));
    // 44100 input samples + 1024 priming: 45 frames at least.
    expect(packetsOut.length).toBeGreaterThanOrEqual(Math.ceil((44100 + 1024) / 1024));
    const file = join(dir, 'ours.aac');
    writeFileSync(file, joined(packetsOut));
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file], { encoding: 'utf8' })) as { streams: Record<string, unknown>[] };
    expect(probe.streams[0]).toMatchObject({ codec_name: 'aac', sample_rate: '44100', channels: 1, profile: 'LC' });
    const pcm = f32(new Uint8Array(ffmpeg(['-i', file, '-f', 'f32le', '-'])));
    // Skip the priming and the first few ms of the encoder's ramp.
    const { freq, rms } = toneOf(pcm.subarray(2048, 44100), 1, 44100);
    expect(Math.abs(freq - 1000)).toBeLessThan(5);
    expect(rms).toBeGreaterThan(0.5 / Math.SQRT2 - 0.02);
    expect(rms).toBeLessThan(0.5 / Math.SQRT2 + 0.02);
  });

  it('launch: audioTestSrc ! aacEnc ! aacDec ! fakeSink gives back the input timeline (priming trimmed)', async () => {
    const out: P[] = [];
    const registry = new ElementRegistry(
      [...builtinElements, ...nodeElements].map((d) => (d === FAKE_SINK ? FAKE_SINK.withExtras({ onPacket: (p: P) => void out.push(p) }) : d))
    );
    await parseLaunch('audioTestSrc num-buffers=50 ! aacEnc ! aacDec ! fakeSink', registry).run({ clock: new VirtualClock() });
    expect(out[0].pts).toBe(0);
    expect(out[0].caps.get('format')).toBe('F32LE');
    const pcm = f32(joined(out));
    expect(pcm.length).toBeGreaterThanOrEqual(50 * 1024);
    const { freq, rms } = toneOf(pcm.subarray(1024, 50 * 1024), 1, 44100);
    expect(Math.abs(freq - 440)).toBeLessThan(5);
    expect(Math.abs(rms - 0.8 / Math.SQRT2)).toBeLessThan(0.03);
  });

  it('launch: opusEnc ! opusDec round trip at 48 kHz stereo; OpusHead and encoder-delay in caps', async () => {
    const out: P[] = [];
    const linkCaps = new Map<string, Caps>();
    const registry = new ElementRegistry(
      [...builtinElements, ...nodeElements].map((d) => (d === FAKE_SINK ? FAKE_SINK.withExtras({ onPacket: (p: P) => void out.push(p) }) : d))
    );
    await parseLaunch('audioTestSrc num-buffers=50 samplesperbuffer=960 freq=1000 ! audio/x-raw,rate=48000,channels=2 ! opusEnc bitrate=128000 ! opusDec ! fakeSink', registry).run({
      clock: new VirtualClock(),
      onCaps: (from: string, _to: string, c: Caps) => void linkCaps.set(from, c),
    });
    const encCaps = [...linkCaps].find(([k]) => k.startsWith('opusEnc'))![1];
    expect(encCaps.get('encoder-delay')).toBe(312);
    expect(encCaps.get('frame-size')).toBe(960);
    expect(parseOpusHead(fromHex(encCaps.get('codec_data') as string))).toMatchObject({ channels: 2, preSkip: 312 });
    expect(out[0].pts).toBe(0);
    const pcm = f32(joined(out));
    expect(pcm.length / 2).toBeGreaterThanOrEqual(50 * 960);
    const { freq, rms } = toneOf(pcm.subarray(2 * 960, 2 * 48000), 2, 48000);
    expect(Math.abs(freq - 1000)).toBeLessThan(5);
    expect(Math.abs(rms - 0.8 / Math.SQRT2)).toBeLessThan(0.05);
  });
});
