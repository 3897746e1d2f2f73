import { describe, expect, it } from 'vitest';
import { installNodeFileOpener, nodeFileSrc } from '../../node/drivers/fs';
import { builtinRegistry, parseLaunch } from '../../operators';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Demux } from '../../operators/mp4-demux';
import { typeFind } from '../../operators/type-find';
import { pipe } from '../../src';
import type { Sink } from '../../src/operator';
import type { Packet } from '../../src/packet';
import type { Pipeline } from '../../src/pipeline/pipeline';
import { ElementError } from '../../src/pipeline/errors';
import { findType, UnsupportedTypeError } from '../../src/typefind';
import { requirePeer } from '../peers';
import { MEDIA, readBytes } from './media';

requirePeer('ffmpeg');

const bytesOf = (packets: readonly Packet[]): Uint8Array => {
  const out = new Uint8Array(packets.reduce((n, p) => n + (p.memory.domain === 'cpu' ? p.memory.data.length : 0), 0));
  let off = 0;
  for (const p of packets) {
    if (p.memory.domain !== 'cpu') continue;
    out.set(p.memory.data, off);
    off += p.memory.data.length;
  }
  return out;
};

/** `source ! typeFind ! rest… ! fakeSink`, keeping what reaches the sink and the error, if any. */
async function run(chain: (sink: Sink<Packet>) => Pipeline | Promise<Pipeline>): Promise<{ out: Packet[]; error: unknown }> {
  const out: Packet[] = [];
  try {
    await (await chain(fakeSink({ onPacket: (p) => void out.push(p) }))).run();
    return { out, error: undefined };
  } catch (error) {
    return { out, error };
  }
}

describe.concurrent('typeFind stamps the found caps on the bytes, unchanged', () => {
  for (const media of ['mp4', 'mov', 'h264', 'mpegts', 'matroska', 'webm', 'adts'] as const) {
    it(`${media}: caps as findType, every byte as read`, async () => {
      const path = await MEDIA[media]();
      const file = readBytes(path);
      // 1000-byte reads: the element holds packets until it has enough bytes to decide.
      const { out, error } = await run((sink) => pipe(nodeFileSrc(path, { blocksize: 1000 }), typeFind(), sink));
      expect(error).toBeUndefined();
      expect(out).toHaveLength(Math.ceil(file.length / 1000));
      expect(Buffer.from(bytesOf(out)).equals(Buffer.from(file))).toBe(true);
      expect(out[0].caps.toString()).toBe(findType(file.subarray(0, 4096))!.caps.toString());
      expect(new Set(out.map((p) => p.caps)).size).toBe(1); // one Caps object
      expect(out.map((p) => p.meta.offset)).toEqual(out.map((_, i) => i * 1000));
    });
  }

  it('before h264Parse and mp4Demux: the same access units and samples as without it', async () => {
    for (const [path, parse] of [
      [await MEDIA.h264Aud(), h264Parse],
      [await MEDIA.mp4(), mp4Demux],
    ] as const) {
      const plain = await run((sink) => pipe(nodeFileSrc(path, { blocksize: 333 }), parse(), sink));
      const typed = await run((sink) => pipe(nodeFileSrc(path, { blocksize: 333 }), typeFind(), parse(), sink));
      expect(typed.error).toBeUndefined();
      expect(typed.out.length).toBe(10);
      expect(typed.out.map((p) => [p.pts, p.dts, p.flags, p.memory.domain === 'cpu' && p.memory.data.length])).toEqual(
        plain.out.map((p) => [p.pts, p.dts, p.flags, p.memory.domain === 'cpu' && p.memory.data.length])
      );
    }
  });

  it('a stream shorter than it wants is decided at its end (two TS packets)', async () => {
    const ts = readBytes(await MEDIA.mpegts()).slice(0, 376);
    const { out, error } = await run((sink) => pipe(fileSrc({ source: ts, blocksize: 100 }), typeFind(), sink));
    expect(error).toBeUndefined();
    expect(out).toHaveLength(4);
    expect(out[0].caps.toString()).toBe('video/mpegts, systemstream=(boolean)true, packetsize=(int)188');
  });
});

describe.concurrent('typeFind refuses what downstream cannot take, before any output', () => {
  const refusal = (error: unknown): UnsupportedTypeError => {
    expect(error).toBeInstanceOf(ElementError);
    const cause = (error as ElementError).cause;
    expect(cause).toBeInstanceOf(UnsupportedTypeError);
    return cause as UnsupportedTypeError;
  };

  it('MPEG-TS into h264Parse: names the format and what h264Parse takes; h264Parse sees nothing', async () => {
    const { out, error } = await run(async (sink) => pipe(nodeFileSrc(await MEDIA.mpegts(), { blocksize: 500 }), typeFind(), h264Parse(), sink));
    const e = refusal(error);
    expect((error as Error).message).toBe('typeFind0 failed: the input is MPEG-TS, which glass2glass cannot demux yet; supported: H.264 Annex B');
    expect(e.found?.kind).toBe('mpegts');
    expect(out).toEqual([]);
  });

  it('H.264 Annex B into mp4Demux: readable, but not there', async () => {
    const { out, error } = await run(async (sink) => pipe(nodeFileSrc(await MEDIA.h264()), typeFind(), mp4Demux(), sink));
    refusal(error);
    expect((error as Error).message).toBe('typeFind0 failed: the input is H.264 Annex B, which is not accepted here; supported: MP4/MOV');
    expect(out).toEqual([]);
  });

  it('HEVC into h264Parse (the bytes h264Parse used to take as H.264 and drop as garbage)', async () => {
    const { out, error } = await run(async (sink) => pipe(nodeFileSrc(await MEDIA.h265()), typeFind(), h264Parse(), sink));
    expect(refusal(error).message).toBe('the input is H.265/HEVC Annex B, which glass2glass cannot parse yet; supported: H.264 Annex B');
    expect(out).toEqual([]);
  });

  it('nothing recognised, an empty stream, a finding below minimum', async () => {
    const text = new TextEncoder().encode('this is not video\n'.repeat(300));
    let r = await run((sink) => pipe(fileSrc({ source: text }), typeFind(), sink));
    // fakeSink takes anything: every format is supported there.
    expect(refusal(r.error).message).toBe(
      'the input is not in a format glass2glass recognises (it begins 74 68 69 73 20 69 73 20 …); supported: MP4/MOV, H.264 Annex B, H.265/HEVC Annex B, MPEG-TS, Matroska, WebM, AAC (ADTS)'
    );
    r = await run((sink) => pipe(fileSrc({ source: new Uint8Array(0) }), typeFind(), sink));
    expect(refusal(r.error).message).toMatch(/^the input is not in a format glass2glass recognises \(it is empty\)/);
    // An H.264 AUD and filler only: possible (50), below minimum=60, so unrecognised.
    const aud = new Uint8Array([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x0c, 0xff, 0xff, 0x80]);
    r = await run((sink) => pipe(fileSrc({ source: aud }), typeFind({ minimum: 60 }), sink));
    expect(refusal(r.error).found).toBeUndefined();
    r = await run((sink) => pipe(fileSrc({ source: aud }), typeFind(), sink));
    expect(r.out[0].caps.toString()).toBe('video/x-h264, stream-format=(string)byte-stream');
  });

  it('force-caps stamps without looking', async () => {
    const mp4 = readBytes(await MEDIA.mp4());
    const { out, error } = await run((sink) => pipe(fileSrc({ source: mp4 }), typeFind({ forceCaps: 'video/x-h264, stream-format=byte-stream' }), sink));
    expect(error).toBeUndefined();
    expect(out[0].caps.toString()).toBe('video/x-h264, stream-format=(string)byte-stream');
  });
});

describe.concurrent('h264Parse after a bare fileSrc looks at the first bytes itself', () => {
  for (const [media, kind, name] of [
    ['mpegts', 'mpegts', 'MPEG-TS'],
    ['h265', 'h265', 'H.265/HEVC Annex B'],
    ['mp4', 'mp4', 'MP4'],
  ] as const) {
    it(`${media}: refused naming the format, nothing out (start codes inside it are no H.264 stream)`, async () => {
      const { out, error } = await run(async (sink) => pipe(nodeFileSrc(await MEDIA[media]()), h264Parse(), sink));
      expect(error).toBeInstanceOf(ElementError);
      const cause = (error as ElementError).cause as UnsupportedTypeError;
      expect(cause).toBeInstanceOf(UnsupportedTypeError);
      expect(cause.found?.kind).toBe(kind);
      expect((error as Error).message).toMatch(new RegExp(`^h264Parse0 failed: the input is ${name.replace(/[.()/]/g, '\\$&')}`));
      expect(out).toEqual([]);
    });
  }

  it('H.264 and bytes nothing recognises still go through (leading junk is skipped with a warning)', async () => {
    const h264 = readBytes(await MEDIA.h264());
    const junk = new Uint8Array([...new TextEncoder().encode('junk'), ...h264]);
    for (const source of [h264, junk]) {
      const { out, error } = await run((sink) => pipe(fileSrc({ source, blocksize: 1000 }), h264Parse(), sink));
      expect(error).toBeUndefined();
      expect(out.length).toBe(10);
    }
  });
});

describe('typeFind in launch syntax', () => {
  it('is a builtin element: fileSrc ! typeFind ! mp4Demux ! fakeSink', async () => {
    installNodeFileOpener();
    expect(builtinRegistry.lookup('typeFind')?.name).toBe('typeFind');
    const p = parseLaunch(`fileSrc location=${await MEDIA.mov()} ! typeFind minimum=80 ! mp4Demux ! fakeSink`);
    expect(p.toString()).toMatch(/ ! typeFind name=typeFind0 minimum=80 ! mp4Demux /);
    const stats = await p.run();
    expect(stats.elements.find((e) => e.factory === 'fakeSink')?.packets).toBe(10);
  });
});
