import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boxSize,
  ByteQueue,
  bytesToHex,
  CHUNK_OVERHEAD,
  h264LevelName,
  h264ProfileName,
  hexToBytes,
  IncrementalBoxReader,
  Mp4Error,
  parseAvcDecoderConfig,
  parseBox,
  parseBoxes,
  parseBoxTolerant,
  readBoxHeader,
  serializeBoxes,
  expandFragment,
  expandSampleTable,
  type Box,
  type ContainerBox,
  type TfhdBox,
} from '../../src/formats/mp4';
import { utf8Decode, utf8Encode } from '../../src/util/utf8';

const AVCC = hexToBytes('0164000dffe100196764000dacd94141fb0110000003001000000303c0f142996001000668ebe3cb22c0')!;

/** One of every box the writer knows, with edge values (64-bit versions, signed offsets, defaults). */
const SAMPLES: Box[] = [
  {
    type: 'ftyp',
    majorBrand: 'iso5',
    minorVersion: 512,
    compatibleBrands: ['iso5', 'iso6', 'mp41'],
  },
  {
    type: 'mvhd',
    version: 0,
    creationTime: 1,
    modificationTime: 2,
    timescale: 15360,
    duration: 30720,
    nextTrackId: 2,
  },
  {
    type: 'mvhd',
    version: 1,
    creationTime: 2 ** 40,
    modificationTime: 2 ** 41,
    timescale: 90000,
    duration: 2 ** 52,
    nextTrackId: 7,
  },
  {
    type: 'tkhd',
    version: 0,
    flags: 3,
    creationTime: 0,
    modificationTime: 0,
    trackId: 1,
    duration: 2000,
    width: 640,
    height: 360,
  },
  {
    type: 'tkhd',
    version: 1,
    flags: 1,
    creationTime: 0,
    modificationTime: 0,
    trackId: 3,
    duration: 2 ** 33,
    width: 853.5,
    height: 480,
  },
  {
    type: 'elst',
    version: 0,
    entries: [
      { segmentDuration: 0, mediaTime: -1, mediaRate: 1 },
      { segmentDuration: 2000, mediaTime: 1024, mediaRate: 1 },
    ],
  },
  {
    type: 'elst',
    version: 1,
    entries: [{ segmentDuration: 2 ** 34, mediaTime: 2 ** 35, mediaRate: 1 }],
  },
  {
    type: 'mdhd',
    version: 0,
    creationTime: 0,
    modificationTime: 0,
    timescale: 15360,
    duration: 30720,
    language: 'und',
  },
  {
    type: 'mdhd',
    version: 1,
    creationTime: 0,
    modificationTime: 0,
    timescale: 30000,
    duration: 2 ** 40,
    language: 'eng',
  },
  { type: 'hdlr', handlerType: 'vide', name: 'VideoHandler' },
  { type: 'vmhd' },
  { type: 'dref', entryCount: 1 },
  {
    type: 'stsd',
    entries: [
      {
        type: 'avc1',
        dataReferenceIndex: 1,
        width: 640,
        height: 360,
        compressorName: 'glass2glass',
        depth: 24,
        children: [
          { type: 'avcC', data: AVCC },
          { type: 'pasp', hSpacing: 4, vSpacing: 3 },
        ],
      },
    ],
  },
  {
    type: 'stts',
    sampleCounts: Uint32Array.of(59, 1),
    sampleDeltas: Uint32Array.of(512, 1024),
  },
  {
    type: 'ctts',
    version: 0,
    sampleCounts: Uint32Array.of(1, 2),
    sampleOffsets: Int32Array.of(1024, 0),
  },
  {
    type: 'ctts',
    version: 1,
    sampleCounts: Uint32Array.of(1, 2),
    sampleOffsets: Int32Array.of(-512, 512),
  },
  { type: 'stss', sampleNumbers: Uint32Array.of(1, 31) },
  {
    type: 'stsz',
    sampleSize: 0,
    sampleCount: 3,
    entrySizes: Uint32Array.of(100, 20, 30),
  },
  { type: 'stsz', sampleSize: 188, sampleCount: 1000 },
  {
    type: 'stsc',
    firstChunk: Uint32Array.of(1, 3),
    samplesPerChunk: Uint32Array.of(30, 29),
    sampleDescriptionIndex: Uint32Array.of(1, 1),
  },
  { type: 'stco', chunkOffsets: Float64Array.of(48, 4096, 0xffffffff) },
  { type: 'co64', chunkOffsets: Float64Array.of(48, 2 ** 40) },
  { type: 'mehd', version: 1, fragmentDuration: 2 ** 33 },
  {
    type: 'trex',
    trackId: 1,
    defaultSampleDescriptionIndex: 1,
    defaultSampleDuration: 512,
    defaultSampleSize: 0,
    defaultSampleFlags: 0x01010000,
  },
  { type: 'mfhd', sequenceNumber: 9 },
  {
    type: 'tfhd',
    trackId: 1,
    defaultBaseIsMoof: true,
    defaultSampleDuration: 512,
    defaultSampleFlags: 0x01010000,
  },
  {
    type: 'tfhd',
    trackId: 2,
    baseDataOffset: 2 ** 33,
    sampleDescriptionIndex: 1,
    defaultSampleSize: 10,
    durationIsEmpty: true,
  },
  { type: 'tfdt', version: 1, baseMediaDecodeTime: 2 ** 40 },
  { type: 'tfdt', version: 0, baseMediaDecodeTime: 15360 },
  {
    type: 'trun',
    version: 1,
    sampleCount: 3,
    dataOffset: 120,
    firstSampleFlags: 0x02000000,
    sizes: Uint32Array.of(5, 6, 7),
    compositionOffsets: Int32Array.of(1024, -512, 0),
  },
  {
    type: 'trun',
    version: 0,
    sampleCount: 2,
    durations: Uint32Array.of(1, 2),
    flags: Uint32Array.of(0, 0x10000),
  },
  {
    type: 'tfra',
    version: 1,
    trackId: 1,
    entries: [
      {
        time: 2 ** 34,
        moofOffset: 2 ** 35,
        trafNumber: 1,
        trunNumber: 1,
        sampleNumber: 1,
      },
    ],
  },
  { type: 'mfro', size: 62 },
  { type: 'raw', fourcc: 'free', data: Uint8Array.of(1, 2, 3) },
  {
    type: 'moov',
    children: [
      {
        type: 'trak',
        children: [
          {
            type: 'edts',
            children: [{ type: 'elst', version: 0, entries: [] }],
          },
        ],
      },
    ],
  },
];

describe('ISO BMFF writer and reader', () => {
  it.each(SAMPLES.map((b) => [b.type === 'raw' ? b.fourcc : b.type, b] as const))('%s round-trips through write → parse', (_name, box) => {
    const { bytes } = serializeBoxes([box]);
    expect(bytes.length).toBe(boxSize(box));
    const parsed = parseBox(bytes);
    expect(parsed).not.toBeInstanceOf(Mp4Error);
    expect(parsed).toEqual(box);
  });

  it('every truncation of every box is an error value, never an exception', () => {
    for (const box of SAMPLES) {
      const { bytes } = serializeBoxes([box]);
      for (let cut = 0; cut < bytes.length; cut++) {
        // Keep the declared size: the box claims more bytes than the buffer has.
        const r = parseBox(bytes.subarray(0, cut));
        expect(r).toBeInstanceOf(Mp4Error);
      }
    }
  });

  it('reads box headers: 64-bit sizes, size 0, uuid, and refuses impossible ones', () => {
    expect(readBoxHeader(Uint8Array.of(0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65), 0, 8)).toEqual({ type: 'free', start: 0, headerSize: 8, size: 8 });
    expect(readBoxHeader(Uint8Array.of(0, 0, 0, 0, 0x6d, 0x64, 0x61, 0x74), 0, 8, 100)).toEqual({ type: 'mdat', start: 100, headerSize: 8, size: Infinity });
    const big = Uint8Array.of(0, 0, 0, 1, 0x6d, 0x64, 0x61, 0x74, 0, 0, 0, 1, 0, 0, 0, 16);
    expect(readBoxHeader(big, 0, 16)).toEqual({
      type: 'mdat',
      start: 0,
      headerSize: 16,
      size: 2 ** 32 + 16,
    });
    expect(readBoxHeader(big, 0, 12)).toBe('more');
    const tiny = readBoxHeader(Uint8Array.of(0, 0, 0, 4, 0x66, 0x72, 0x65, 0x65), 0, 8);
    expect(tiny).toBeInstanceOf(Mp4Error);
    expect((tiny as Mp4Error).message).toMatch(/smaller than its header/);
    const garbage = readBoxHeader(Uint8Array.of(0, 0, 0, 16, 0, 1, 2, 3), 0, 8, 40);
    expect(garbage).toMatchObject({ code: 'invalid-data', offset: 40 });
  });

  it('refuses tables whose counts cannot fit their box before allocating them', () => {
    // An stsz claiming 2^32 - 1 entries in 20 bytes.
    const r = parseBox(Uint8Array.of(0, 0, 0, 20, 0x73, 0x74, 0x73, 0x7a, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff));
    expect(r).toMatchObject({ code: 'invalid-data' });
    expect((r as Mp4Error).message).toMatch(/do not fit/);
  });

  it('parses random bytes without throwing', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('moov', 'moof', 'trak', 'stbl', 'trun', 'stsd', 'avc1', 'elst', 'tfra'),
        (payload, type) => {
          const bytes = new Uint8Array(8 + payload.length);
          new DataView(bytes.buffer).setUint32(0, bytes.length);
          for (let i = 0; i < 4; i++) bytes[4 + i] = type.charCodeAt(i);
          bytes.set(payload, 8);
          const r = parseBox(bytes);
          expect(r === undefined).toBe(false);
          expect(parseBoxes(payload)).toBeDefined();
        }
      ),
      { numRuns: 2000 }
    );
  });
});

describe('avcC', () => {
  it('parses the record and names the profile and level as h264parse does', () => {
    const c = parseAvcDecoderConfig(AVCC);
    if (c instanceof Mp4Error) throw c;
    expect(c).toMatchObject({
      profileIdc: 100,
      levelIdc: 13,
      nalLengthSize: 4,
    });
    expect(c.sps).toHaveLength(1);
    expect(c.pps).toHaveLength(1);
    expect(c.sps[0][0] & 0x1f).toBe(7);
    expect(c.pps[0][0] & 0x1f).toBe(8);
    expect(h264ProfileName(c)).toBe('high');
    expect(h264LevelName(c)).toBe('1.3');
    expect(h264ProfileName({ profileIdc: 66, profileCompatibility: 0xc0 })).toBe('constrained-baseline');
    expect(
      h264LevelName({
        profileIdc: 66,
        profileCompatibility: 0x10,
        levelIdc: 11,
      })
    ).toBe('1b');
    expect(h264LevelName({ profileIdc: 100, profileCompatibility: 0, levelIdc: 40 })).toBe('4');
  });

  it('answers errors for malformed records', () => {
    expect(parseAvcDecoderConfig(new Uint8Array(3))).toBeInstanceOf(Mp4Error);
    expect(parseAvcDecoderConfig(AVCC.subarray(0, 20))).toBeInstanceOf(Mp4Error);
    const v2 = AVCC.slice();
    v2[0] = 2;
    expect(parseAvcDecoderConfig(v2)).toBeInstanceOf(Mp4Error);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (d) => void parseAvcDecoderConfig(d)));
  });

  it('hex round-trips', () => {
    expect(bytesToHex(hexToBytes('00ff10Ab')!)).toBe('00ff10ab');
    expect(hexToBytes('abc')).toBeUndefined();
    expect(hexToBytes('zz')).toBeUndefined();
  });
});

describe('ByteQueue', () => {
  it('hands out views within a chunk and one copy across chunks; drops released bytes, even future ones', () => {
    const q = new ByteQueue();
    const a = Uint8Array.of(0, 1, 2, 3);
    q.push(a);
    q.push(Uint8Array.of(4, 5, 6, 7));
    const v = q.read(1, 2);
    expect(v.copied).toBe(false);
    expect(v.data.buffer).toBe(a.buffer);
    expect(Array.from(q.read(2, 4).data)).toEqual([2, 3, 4, 5]);
    expect(q.read(2, 4).copied).toBe(true);
    q.release(5);
    expect(q.start).toBe(5);
    expect(q.held).toBe(3);
    expect(q.has(4, 1)).toBe(false);
    q.release(12);
    q.push(Uint8Array.of(8, 9, 10, 11, 12, 13));
    expect(q.held).toBe(2);
    expect(q.has(12, 2)).toBe(true);
    expect(Array.from(q.read(12, 2).data)).toEqual([12, 13]);
  });

  it('matches a flat buffer under random chunking and releases', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1 }),
        fc.integer({ min: 0, max: 1000 }),
        (flat, sizes, seed) => {
          const q = new ByteQueue();
          let pos = 0;
          let released = 0;
          let k = 0;
          let s = seed;
          while (pos < flat.length) {
            const n = Math.min(sizes[k++ % sizes.length], flat.length - pos);
            q.push(flat.subarray(pos, pos + n));
            pos += n;
            s = (s * 1103515245 + 12345) >>> 0;
            released = Math.min(pos, released + (s % 5));
            q.release(released);
            for (let off = released; off < pos; off++) {
              const len = Math.min(pos - off, 1 + (s % 7));
              expect(q.has(off, len)).toBe(true);
              expect(Array.from(q.read(off, len).data)).toEqual(Array.from(flat.subarray(off, off + len)));
            }
            expect(q.held).toBe(pos - released);
          }
        }
      )
    );
  });

  it('coalesces chunks below coalesceBelow: the same bytes under random chunking, slabs read as copies', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1 }),
        fc.integer({ min: 0, max: 1000 }),
        (flat, sizes, seed) => {
          const q = new ByteQueue({ coalesceBelow: 16 });
          let pos = 0;
          let released = 0;
          let k = 0;
          let s = seed;
          while (pos < flat.length) {
            const n = Math.min(sizes[k++ % sizes.length], flat.length - pos);
            const chunk = flat.slice(pos, pos + n);
            q.push(chunk);
            // A chunk kept as it came is handed out as a view of it; a coalesced one from a slab, as a copy.
            if (n >= 16 && pos >= released) {
              const v = q.read(pos, n);
              expect(v.copied).toBe(false);
              expect(v.data.buffer).toBe(chunk.buffer);
            } else if (pos >= released) {
              expect(q.read(pos, n).copied).toBe(true);
            }
            pos += n;
            s = (s * 1103515245 + 12345) >>> 0;
            released = Math.min(pos, released + (s % 23));
            q.release(released);
            for (let off = released; off < pos; off += 1 + (s % 3)) {
              const len = Math.min(pos - off, 1 + (s % 29));
              expect(Array.from(q.read(off, len).data)).toEqual(Array.from(flat.subarray(off, off + len)));
            }
            expect(q.held).toBe(pos - released);
            expect(q.retained).toBeGreaterThanOrEqual(q.held + q.chunkCount * CHUNK_OVERHEAD);
          }
        }
      )
    );
  });

  it('accounts memory, not bytes: a byte at a time costs one 64 KiB slab per 64 KiB, a chunk each without coalescing', () => {
    const q = new ByteQueue({ coalesceBelow: 4096 });
    const plain = new ByteQueue();
    const bytes = Uint8Array.from({ length: 200_000 }, (_, i) => i * 7);
    for (let i = 0; i < bytes.length; i++) {
      q.push(bytes.subarray(i, i + 1));
      plain.push(bytes.subarray(i, i + 1));
    }
    expect(q.chunkCount).toBe(4);
    expect(q.retained).toBe(4 * (65_536 + CHUNK_OVERHEAD));
    expect(plain.chunkCount).toBe(200_000);
    expect(plain.retained).toBe(200_000 * (1 + CHUNK_OVERHEAD));
    expect(Array.from(q.read(65_530, 12).data)).toEqual(Array.from(bytes.subarray(65_530, 65_542)));
    // A slab stays whole while any of it is held; released slabs go.
    q.release(65_536 * 2 + 10);
    expect(q.chunkCount).toBe(2);
    expect(q.retained).toBe(2 * (65_536 + CHUNK_OVERHEAD));
    q.release(bytes.length);
    expect([q.chunkCount, q.retained, q.held]).toEqual([0, 0, 0]);
    // After a large chunk, small ones start a new slab rather than writing into an old one.
    q.push(new Uint8Array(5000));
    q.push(Uint8Array.of(1));
    expect(q.chunkCount).toBe(2);
    expect(q.retained).toBe(5000 + 65_536 + 2 * CHUNK_OVERHEAD);
  });

  it('the incremental reader waits for wanted boxes, streams others and refuses oversized ones', () => {
    const q = new ByteQueue();
    const r = new IncrementalBoxReader(q, {
      wanted: new Set(['moov']),
      maxBoxSize: 200,
    });
    const { bytes } = serializeBoxes([
      { type: 'raw', fourcc: 'free', data: new Uint8Array(100) },
      {
        type: 'moov',
        children: [
          {
            type: 'mvhd',
            version: 0,
            creationTime: 0,
            modificationTime: 0,
            timescale: 1000,
            duration: 0,
            nextTrackId: 2,
          },
        ],
      },
    ]);
    q.push(bytes.subarray(0, 10));
    expect(r.next()).toMatchObject({ type: 'free', start: 0, size: 108 });
    expect(r.next()).toBe('more');
    q.push(bytes.subarray(10, 120));
    expect(r.next()).toBe('more');
    q.push(bytes.subarray(120));
    const moov = r.next();
    expect(moov).toMatchObject({ type: 'moov', start: 108, size: 116 });
    // 116 > 64: a fresh reader with that limit refuses it.
    const q2 = new ByteQueue();
    q2.push(bytes.subarray(108));
    expect(
      new IncrementalBoxReader(q2, {
        wanted: new Set(['moov']),
        maxBoxSize: 64,
      }).next()
    ).toMatchObject({ code: 'too-large' });
  });
});

describe('tolerant parsing', () => {
  const trak = (id: number, handler: string): ContainerBox => ({
    type: 'trak',
    children: [
      {
        type: 'tkhd',
        version: 0,
        flags: 3,
        creationTime: 0,
        modificationTime: 0,
        trackId: id,
        duration: 0,
        width: 0,
        height: 0,
      },
      {
        type: 'mdia',
        children: [
          { type: 'hdlr', handlerType: handler, name: '' },
          {
            type: 'minf',
            children: [
              {
                type: 'stbl',
                children: [
                  {
                    type: 'stsd',
                    entries: [{ type: 'raw', fourcc: 'mp4a', data: new Uint8Array(20) }],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  });

  it('leaves a damaged box out of its parent and notes which trak it was in; the strict parser fails', () => {
    const { bytes } = serializeBoxes([{ type: 'moov', children: [trak(1, 'vide'), trak(2, 'soun')] }]);
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const stsd = buf.lastIndexOf('stsd') - 4;
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(stsd + 12, 0x7fffffff); // entry_count
    expect(parseBox(bytes)).toBeInstanceOf(Mp4Error);
    const r = parseBoxTolerant(bytes, 1000);
    if (r instanceof Mp4Error) throw r;
    const moov = r.box as ContainerBox;
    expect(moov.children.map((b) => b.type)).toEqual(['trak', 'trak']);
    expect(r.damage).toHaveLength(1);
    expect(r.damage[0].type).toBe('stsd');
    expect(r.damage[0].unit).toBe(moov.children[1]);
    expect(r.damage[0].error.message).toBe(`stsd: 2147483647 entries do not fit in 28 bytes (at byte ${1000 + stsd + 16})`);
    // The damaged trak keeps everything else; the other is whole.
    const stbl = (t: Box) => ((((t as ContainerBox).children[1] as ContainerBox).children[1] as ContainerBox).children[0] as ContainerBox).children;
    expect(stbl(moov.children[1])).toEqual([]);
    expect(stbl(moov.children[0])).toHaveLength(1);
    // A box whose size overruns its parent: it and the rest of the parent are lost, noted once.
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(stsd, 0xffff);
    const r2 = parseBoxTolerant(bytes);
    if (r2 instanceof Mp4Error) throw r2;
    expect(r2.damage.map((d) => [d.type, d.unit === (r2.box as ContainerBox).children[1]])).toEqual([['stsd', true]]);
    // Only damage to the box's own header is an error.
    expect(parseBoxTolerant(bytes.subarray(0, 6))).toBeInstanceOf(Mp4Error);
  });
});

describe('sample tables', () => {
  it('expands stbl: stsc runs, ctts, stss, co64', () => {
    const stbl: ContainerBox = {
      type: 'stbl',
      children: [
        {
          type: 'stts',
          sampleCounts: Uint32Array.of(4, 1),
          sampleDeltas: Uint32Array.of(10, 20),
        },
        {
          type: 'ctts',
          version: 1,
          sampleCounts: Uint32Array.of(1, 4),
          sampleOffsets: Int32Array.of(20, -10),
        },
        { type: 'stss', sampleNumbers: Uint32Array.of(1, 4, 99) },
        {
          type: 'stsc',
          firstChunk: Uint32Array.of(1, 2),
          samplesPerChunk: Uint32Array.of(2, 1),
          sampleDescriptionIndex: Uint32Array.of(1, 1),
        },
        {
          type: 'stsz',
          sampleSize: 0,
          sampleCount: 5,
          entrySizes: Uint32Array.of(1, 2, 3, 4, 5),
        },
        {
          type: 'co64',
          chunkOffsets: Float64Array.of(100, 2 ** 33, 2 ** 34, 2 ** 35),
        },
      ],
    };
    const t = expandSampleTable(stbl);
    if (t instanceof Mp4Error) throw t;
    expect(Array.from(t.offsets)).toEqual([100, 101, 2 ** 33, 2 ** 34, 2 ** 35]);
    expect(Array.from(t.dts)).toEqual([0, 10, 20, 30, 40]);
    expect(Array.from(t.durations)).toEqual([10, 10, 10, 10, 20]);
    expect(Array.from(t.cto)).toEqual([20, -10, -10, -10, -10]);
    expect(Array.from(t.sync)).toEqual([1, 0, 0, 1, 0]);
  });

  it('refuses inconsistent tables with errors', () => {
    const base: Box[] = [
      {
        type: 'stts',
        sampleCounts: Uint32Array.of(2),
        sampleDeltas: Uint32Array.of(10),
      },
      {
        type: 'stsc',
        firstChunk: Uint32Array.of(1),
        samplesPerChunk: Uint32Array.of(1),
        sampleDescriptionIndex: Uint32Array.of(1),
      },
      { type: 'stsz', sampleSize: 7, sampleCount: 3 },
      { type: 'stco', chunkOffsets: Float64Array.of(0, 10) },
    ];
    expect(expandSampleTable({ type: 'stbl', children: base })).toMatchObject({
      code: 'invalid-data',
      message: expect.stringMatching(/stts covers 2 of 3/),
    });
    const huge = base.map((b) => (b.type === 'stsz' ? { ...b, sampleCount: 2 ** 31 } : b));
    expect(expandSampleTable({ type: 'stbl', children: huge })).toMatchObject({
      code: 'too-large',
    });
  });

  it('fragment base offsets: explicit, default-base-is-moof, and else chained from the previous traf', () => {
    const trun = (sizes: number[], dataOffset?: number): Box => ({
      type: 'trun',
      version: 0,
      sampleCount: sizes.length,
      dataOffset,
      sizes: Uint32Array.from(sizes),
      durations: Uint32Array.from(sizes.map(() => 3)),
    });
    const moof = (tfhd1: Partial<TfhdBox>, runs1: Box[]): ContainerBox => ({
      type: 'moof',
      children: [
        { type: 'mfhd', sequenceNumber: 1 },
        {
          type: 'traf',
          children: [{ type: 'tfhd', trackId: 2 }, trun([10, 20], 500)],
        },
        {
          type: 'traf',
          children: [{ type: 'tfhd', trackId: 1, ...tfhd1 }, { type: 'tfdt', version: 0, baseMediaDecodeTime: 90 }, ...runs1],
        },
      ],
    });
    const offsets = (m: ContainerBox): number[] => {
      const r = expandFragment(m, 1000, 1, new Map(), 0);
      if (r instanceof Mp4Error) throw r;
      expect(r.nextDecodeTime).toBe(90 + 3 * 3);
      return r.batches.flatMap((b) => Array.from(b.offsets));
    };
    // Neither flag: the second traf's data follows the first's (1000 + 500 + 30).
    expect(offsets(moof({}, [trun([5, 6]), trun([7])]))).toEqual([1530, 1535, 1541]);
    // With a data offset, relative to that same base.
    expect(offsets(moof({}, [trun([5, 6], 4), trun([7], 100)]))).toEqual([1534, 1539, 1630]);
    expect(offsets(moof({ defaultBaseIsMoof: true }, [trun([5, 6], 4), trun([7])]))).toEqual([1004, 1009, 1015]);
    expect(offsets(moof({ baseDataOffset: 7000 }, [trun([5, 6]), trun([7], 1)]))).toEqual([7000, 7005, 7001]);
  });

  it('fragment defaults: trun, then first-sample flags, then tfhd, then trex', () => {
    const trex = new Map([
      [
        1,
        {
          type: 'trex' as const,
          trackId: 1,
          defaultSampleDescriptionIndex: 1,
          defaultSampleDuration: 512,
          defaultSampleSize: 9,
          defaultSampleFlags: 0x01010000,
        },
      ],
    ]);
    const moof: ContainerBox = {
      type: 'moof',
      children: [
        {
          type: 'traf',
          children: [
            {
              type: 'tfhd',
              trackId: 1,
              defaultBaseIsMoof: true,
              defaultSampleDuration: 256,
            },
            {
              type: 'trun',
              version: 0,
              sampleCount: 3,
              dataOffset: 8,
              firstSampleFlags: 0x02000000,
            },
          ],
        },
      ],
    };
    const r = expandFragment(moof, 0, 1, trex, 1000);
    if (r instanceof Mp4Error) throw r;
    const b = r.batches[0];
    expect(Array.from(b.sizes)).toEqual([9, 9, 9]);
    expect(Array.from(b.durations)).toEqual([256, 256, 256]);
    expect(Array.from(b.dts)).toEqual([1000, 1256, 1512]); // no tfdt: continues from the previous fragment
    expect(Array.from(b.sync)).toEqual([1, 0, 0]);
    expect(Array.from(b.offsets)).toEqual([8, 17, 26]);
  });
});

describe('utf8', () => {
  it('matches TextEncoder/TextDecoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(Array.from(utf8Encode(s))).toEqual(Array.from(new TextEncoder().encode(s)));
        expect(utf8Decode(utf8Encode(s))).toBe(s);
      })
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => void utf8Decode(b)));
    expect(utf8Decode(Uint8Array.of(0x41, 0xc3))).toBe('A\ufffd');
  });
});
