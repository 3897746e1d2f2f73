import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Caps } from '../../src/caps';
import { findType, isoBmffTracks, Probability, TYPEFIND_BYTES, TYPES, typeNames, unsupportedMessage, type TypeKind } from '../../src/typefind';
import { requirePeer } from '../peers';
import { ffprobe, hasEncoder, MEDIA, readBytes, type MediaName } from './media';

requirePeer('ffmpeg', 'ffprobe');

const dir = mkdtempSync(join(tmpdir(), 'g2g-typefind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const head = (path: string, n = TYPEFIND_BYTES): Uint8Array => readBytes(path).subarray(0, n);
const HEVC = hasEncoder('libx265');

/** Each ffmpeg-made file: what the typefinder must call it, and what ffprobe calls its format. */
const CASES: {
  media: MediaName;
  kind: TypeKind;
  caps: string;
  ffFormat: RegExp;
  ffCodec?: string;
}[] = [
  {
    media: 'mp4',
    kind: 'mp4',
    caps: 'video/quicktime, variant=(string)iso',
    ffFormat: /mp4/,
    ffCodec: 'h264',
  },
  {
    media: 'faststartMp4',
    kind: 'mp4',
    caps: 'video/quicktime, variant=(string)iso',
    ffFormat: /mp4/,
  },
  {
    media: 'fragmentedMp4',
    kind: 'mp4',
    caps: 'video/quicktime, variant=(string)iso',
    ffFormat: /mp4/,
  },
  {
    media: 'mov',
    kind: 'mov',
    caps: 'video/quicktime, variant=(string)apple',
    ffFormat: /mov/,
  },
  {
    media: 'h264',
    kind: 'h264',
    caps: 'video/x-h264, stream-format=(string)byte-stream',
    ffFormat: /^h264$/,
    ffCodec: 'h264',
  },
  {
    media: 'h264Aud',
    kind: 'h264',
    caps: 'video/x-h264, stream-format=(string)byte-stream',
    ffFormat: /^h264$/,
    ffCodec: 'h264',
  },
  {
    media: 'h264TenBit',
    kind: 'h264',
    caps: 'video/x-h264, stream-format=(string)byte-stream',
    ffFormat: /^h264$/,
    ffCodec: 'h264',
  },
  {
    media: 'h264Yuv444',
    kind: 'h264',
    caps: 'video/x-h264, stream-format=(string)byte-stream',
    ffFormat: /^h264$/,
    ffCodec: 'h264',
  },
  ...(HEVC
    ? [
        {
          media: 'h265' as const,
          kind: 'h265' as const,
          caps: 'video/x-h265, stream-format=(string)byte-stream',
          ffFormat: /^hevc$/,
          ffCodec: 'hevc',
        },
      ]
    : []),
  {
    media: 'mpegts',
    kind: 'mpegts',
    caps: 'video/mpegts, systemstream=(boolean)true, packetsize=(int)188',
    ffFormat: /^mpegts$/,
  },
  {
    media: 'm2ts',
    kind: 'mpegts',
    caps: 'video/mpegts, systemstream=(boolean)true, packetsize=(int)192',
    ffFormat: /^mpegts$/,
  },
  {
    media: 'matroska',
    kind: 'matroska',
    caps: 'video/x-matroska',
    ffFormat: /matroska/,
  },
  {
    media: 'webm',
    kind: 'webm',
    caps: 'video/webm',
    ffFormat: /webm/,
    ffCodec: 'vp8',
  },
  {
    media: 'adts',
    kind: 'adts',
    caps: 'audio/mpeg, mpegversion=(int)4, stream-format=(string)adts',
    ffFormat: /^aac$/,
    ffCodec: 'aac',
  },
  {
    media: 'adtsId3',
    kind: 'adts',
    caps: 'audio/mpeg, mpegversion=(int)4, stream-format=(string)adts',
    ffFormat: /^aac$/,
    ffCodec: 'aac',
  },
];

describe.concurrent('findType names what ffmpeg wrote, as ffprobe reads it', () => {
  for (const c of CASES) {
    it(`${c.media}: ${TYPES[c.kind].name}`, async () => {
      const path = await MEDIA[c.media]();
      const found = findType(head(path));
      const ff = await ffprobe(path);
      expect(ff.formatName).toMatch(c.ffFormat);
      if (c.ffCodec) expect(ff.streams[0].codec_name).toBe(c.ffCodec);
      expect(found, c.media).toBeDefined();
      expect(found!.kind).toBe(c.kind);
      expect(found!.caps.toString()).toBe(c.caps);
      expect(found!.name).toBe(TYPES[c.kind].name);
      expect(found!.probability).toBe(Probability.MAXIMUM);
    });
  }

  it('QuickTime without an ftyp (wide, mdat, moov first) is QuickTime/MOV', async () => {
    const mov = readBytes(await MEDIA.mov());
    const ftypSize = new DataView(mov.buffer, mov.byteOffset).getUint32(0);
    const bare = join(dir, 'no-ftyp.mov');
    writeFileSync(bare, mov.subarray(ftypSize));
    expect((await ffprobe(bare)).formatName).toMatch(/mov/);
    const found = findType(head(bare));
    expect(found).toMatchObject({
      kind: 'mov',
      name: 'QuickTime/MOV',
      detail: "starts with a 'wide' box, no ftyp",
    });
    expect(found!.probability).toBe(Probability.LIKELY);
  });

  it('formats it does not know stay unknown: MPEG-PS, MPEG audio layer II (the ADTS sync, another layer), text', async () => {
    for (const media of ['mpegPs', 'mp2'] as const) expect(findType(head(await MEDIA[media]())), media).toBeUndefined();
    expect(findType(new TextEncoder().encode('this is not video\n'.repeat(100)))).toBeUndefined();
    expect(findType(new Uint8Array(0))).toBeUndefined();
    expect(findType(new Uint8Array(4096))).toBeUndefined(); // zeros: no start code
  });

  it('a prefix of any file never names another format: it is either undecided or right', async () => {
    for (const c of CASES) {
      const bytes = readBytes(await MEDIA[c.media]());
      for (const n of [1, 4, 8, 12, 16, 40, 100, 188, 200, 376, 600, 1000, 2000, 4096]) {
        const found = findType(bytes.subarray(0, n));
        if (found) expect(found.kind, `${c.media}, first ${n} bytes`).toBe(c.kind);
      }
    }
  });
});

describe('H.264 and H.265 told apart by NAL unit types', () => {
  const nal = (...bytes: number[]) => [0, 0, 0, 1, ...bytes];

  it('real streams: the parameter sets decide (H.264 SPS 0x67 type 7; H.265 VPS 0x40 0x01 type 32)', async () => {
    const avc = head(await MEDIA.h264());
    expect([avc[4] & 0x1f, avc[4]]).toEqual([7, 0x67]);
    expect(findType(avc)).toMatchObject({
      kind: 'h264',
      detail: 'SPS and PPS',
    });
    if (HEVC) {
      const hevc = head(await MEDIA.h265());
      expect([(hevc[4] >> 1) & 0x3f, hevc[4], hevc[5]]).toEqual([32, 0x40, 0x01]);
      expect(findType(hevc)).toMatchObject({
        kind: 'h265',
        detail: 'VPS, SPS and PPS',
      });
    }
  });

  it('parameter sets without a slice are likely, not certain', async () => {
    // SPS and PPS of the real stream, cut before its SEI and slice.
    const avc = head(await MEDIA.h264());
    const sei = avc.findIndex((b, i) => i > 4 && b === 0x06 && avc[i - 1] === 1 && avc[i - 2] === 0);
    const found = findType(avc.subarray(0, sei - 3));
    expect(found).toMatchObject({
      kind: 'h264',
      probability: Probability.LIKELY,
    });
  });

  it('headers alone, no parameter sets: possible, by which syntax every header fits', () => {
    // An H.264 AUD (type 9, nal_ref_idc 0): to H.265 its second byte 0xf0 is temporal id + 1 = 0, invalid.
    expect(findType(new Uint8Array(nal(0x09, 0xf0)))).toMatchObject({
      kind: 'h264',
      probability: Probability.POSSIBLE,
    });
    // An H.265 AUD (type 35, tid 1): to H.264 0x46 is an SEI with nal_ref_idc 2, which the spec forbids.
    expect(findType(new Uint8Array(nal(0x46, 0x01, 0x50)))).toMatchObject({
      kind: 'h265',
      probability: Probability.POSSIBLE,
    });
    // An H.264 IDR slice (0x65) then a non-IDR one (0x41): to H.265 types 50 and 32 with layer ids.
    expect(findType(new Uint8Array([...nal(0x65, 0x88, 0x84), ...nal(0x41, 0x9a, 0x02)]))).toMatchObject({ kind: 'h264' });
    // Both syntaxes broken (forbidden bit set): nothing.
    expect(findType(new Uint8Array(nal(0x87, 0x01)))).toBeUndefined();
    // One zero byte is no start code.
    expect(findType(new Uint8Array([0, 1, 0x67, 0x64]))).toBeUndefined();
  });

  it('an MP4 whose first box has a 64-bit size (00 00 00 01) is MP4, not a start code', () => {
    const box = new Uint8Array([0, 0, 0, 1, ...new TextEncoder().encode('ftyp'), 0, 0, 0, 0, 0, 0, 0, 0x20, ...new TextEncoder().encode('isom'), 0, 0, 2, 0]);
    expect(findType(box)).toMatchObject({
      kind: 'mp4',
      detail: "brand 'isom'",
    });
  });
});

describe('short streams and the complete flag', () => {
  it('two TS packets are MPEG-TS only when they are the whole stream', async () => {
    const two = readBytes(await MEDIA.mpegts()).subarray(0, 376);
    expect(findType(two)).toBeUndefined();
    expect(findType(two, { complete: true })).toMatchObject({
      kind: 'mpegts',
      probability: Probability.LIKELY,
    });
    // A third packet whose sync byte is wrong breaks the pattern.
    const broken = readBytes(await MEDIA.mpegts()).slice(0, 188 * 5);
    broken[188 * 2] = 0;
    expect(findType(broken)).toBeUndefined();
  });

  it('one ADTS frame is ADTS only when it is the whole stream; a broken chain is not', async () => {
    const adts = readBytes(await MEDIA.adts());
    const len = ((adts[3] & 3) << 11) | (adts[4] << 3) | (adts[5] >> 5);
    expect(findType(adts.subarray(0, len))).toBeUndefined();
    expect(findType(adts.subarray(0, len), { complete: true })).toMatchObject({
      kind: 'adts',
    });
    const broken = adts.slice(0, 4096);
    broken[len] = 0; // the second frame's sync
    expect(findType(broken)).toBeUndefined();
  });

  it('Matroska and WebM by DocType; another EBML DocType is not either', async () => {
    const mkv = head(await MEDIA.matroska());
    expect(findType(mkv)).toMatchObject({
      kind: 'matroska',
      detail: "DocType 'matroska'",
    });
    const other = mkv.slice();
    const at = new TextDecoder('latin1').decode(other).indexOf('matroska');
    other.set(new TextEncoder().encode('mkvfakes'), at);
    expect(findType(other)).toBeUndefined();
  });
});

describe('names and messages', () => {
  it("caps are GStreamer's and parse back", () => {
    for (const t of Object.values(TYPES)) expect(Caps.parse(t.caps.toString()).equals(t.caps)).toBe(true);
    expect(typeNames(['mp4', 'mov', 'h264'])).toBe('MP4/MOV, H.264 Annex B');
    expect(typeNames(['mov'])).toBe('QuickTime/MOV');
  });

  it('say what the input is and what is supported', async () => {
    const ts = findType(head(await MEDIA.mpegts()));
    expect(unsupportedMessage('in.ts', ts, ['mp4', 'mov', 'h264'])).toBe(
      'in.ts is MPEG-TS, which glass2glass cannot demux yet; supported: MP4/MOV, H.264 Annex B'
    );
    const es = findType(head(await MEDIA.h264()));
    expect(unsupportedMessage('in.h264', es, ['mp4', 'mov'])).toBe('in.h264 is H.264 Annex B, which is not accepted here; supported: MP4/MOV');
    expect(unsupportedMessage('x', undefined, ['h264'], new Uint8Array([1, 2, 3]))).toBe(
      'x is not in a format glass2glass recognises (it begins 01 02 03); supported: H.264 Annex B'
    );
  });
});

describe('damaged input is never an exception', () => {
  /** A seeded generator (xorshift32): the same mutations every run. */
  const rng = (seed: number) => () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };

  it('findType over mutated and cut heads of every format; isoBmffTracks over mutated moovs', async () => {
    const next = rng(0x9e3779b9);
    for (const c of CASES) {
      const bytes = head(await MEDIA[c.media]());
      for (let k = 0; k < 200; k++) {
        const m = bytes.slice(0, 1 + Math.floor(next() * bytes.length));
        for (let i = 0; i < 1 + next() * 8; i++) m[Math.floor(next() * m.length)] = Math.floor(next() * 256);
        expect(() => findType(m, { complete: next() < 0.5 })).not.toThrow();
      }
    }
    const mp4 = readBytes(await MEDIA.mp4WithAudio());
    const at = new TextDecoder('latin1').decode(mp4).indexOf('moov') - 4;
    const moov = mp4.subarray(at, at + new DataView(mp4.buffer, mp4.byteOffset + at).getUint32(0));
    expect(isoBmffTracks(moov).map((t) => t.codec)).toEqual(['h264', 'aac']);
    for (let k = 0; k < 500; k++) {
      const m = moov.slice(0, moov.length - Math.floor(next() * 64));
      for (let i = 0; i < 1 + next() * 8; i++) m[Math.floor(next() * m.length)] = Math.floor(next() * 256);
      expect(() => isoBmffTracks(m)).not.toThrow();
    }
  });
});
