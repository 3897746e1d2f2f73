import { G2gError } from '../../errors';
import { ByteQueue } from './byte-queue';
import { Mp4Error } from './errors';
import {
  CONTAINER_TYPES,
  type AvcSampleEntry,
  type Box,
  type ContainerBox,
  type ContainerType,
  type EditEntry,
  type TfhdBox,
  type TfraEntry,
  type TrunBox,
  TFHD_BASE_DATA_OFFSET,
  TFHD_DEFAULT_BASE_IS_MOOF,
  TFHD_DEFAULT_DURATION,
  TFHD_DEFAULT_FLAGS,
  TFHD_DEFAULT_SIZE,
  TFHD_DURATION_IS_EMPTY,
  TFHD_SAMPLE_DESCRIPTION_INDEX,
  TRUN_COMPOSITION_OFFSET,
  TRUN_DATA_OFFSET,
  TRUN_DURATION,
  TRUN_FIRST_SAMPLE_FLAGS,
  TRUN_FLAGS,
  TRUN_SIZE,
} from './isobmff-boxes';
import { utf8Decode } from '../../util/utf8';

/** Thrown inside the parser only; every public entry point turns it into a returned Mp4Error. */
class ParseError extends G2gError {
  constructor(readonly offset: number, message: string) {
    super('MP4_PARSE', message);
  }
}

/** Bounds-checked big-endian reads over [pos, end) of one buffer. */
export class ByteReader {
  private readonly view: DataView;
  constructor(
    readonly data: Uint8Array,
    public pos: number,
    readonly end: number,
    /** Absolute file offset of data[0], for error messages. */
    readonly base = 0
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) throw new ParseError(this.base + this.pos, `${what}: ${n} bytes needed, ${this.end - this.pos} left in the box`);
  }
  u8(): number {
    this.need(1, 'u8');
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    this.need(2, 'u16');
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3, 'u24');
    const v = (this.view.getUint8(this.pos) << 16) | this.view.getUint16(this.pos + 1);
    this.pos += 3;
    return v;
  }
  u32(): number {
    this.need(4, 'u32');
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4, 'i32');
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  /** Unsigned 64-bit; values past 2^53 are refused rather than rounded. */
  u64(): number {
    this.need(8, 'u64');
    const hi = this.view.getUint32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    if (hi >= 0x200000) throw new ParseError(this.base + this.pos, '64-bit value past 2^53');
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }
  i64(): number {
    this.need(8, 'i64');
    const v = this.view.getBigInt64(this.pos);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new ParseError(this.base + this.pos, '64-bit value past 2^53');
    this.pos += 8;
    return Number(v);
  }
  fourcc(): string {
    this.need(4, 'fourcc');
    const d = this.data;
    const p = this.pos;
    this.pos += 4;
    return String.fromCharCode(d[p], d[p + 1], d[p + 2], d[p + 3]);
  }
  bytes(n: number): Uint8Array {
    this.need(n, 'bytes');
    const v = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  skip(n: number): void {
    this.need(n, 'skip');
    this.pos += n;
  }
  fixed16(): number {
    return this.u32() / 65536;
  }
  fail(message: string): never {
    throw new ParseError(this.base + this.pos, message);
  }
  /** Checks a table's entry count against the bytes left, before anything is allocated for it. */
  count(entrySize: number, what: string): number {
    const n = this.u32();
    if (n * entrySize > this.remaining) this.fail(`${what}: ${n} entries do not fit in ${this.remaining} bytes`);
    return n;
  }
}

export interface BoxHeader {
  readonly type: string;
  /** Absolute offset of the box's first byte. */
  readonly start: number;
  /** Header bytes: 8, 16 with a 64-bit size, +16 for `uuid`. */
  readonly headerSize: number;
  /** Whole box size; Infinity when the box runs to the end of the file (size 0). */
  readonly size: number;
}

/** Box types are four printable characters; anything else is garbage, not a box. */
export function isPrintableFourcc(d: Uint8Array, p: number): boolean {
  for (let i = 0; i < 4; i++) {
    const c = d[p + i];
    if (c < 0x20 || c > 0x7e) {
      // '©' (0xa9) starts iTunes metadata box names.
      if (c !== 0xa9) return false;
    }
  }
  return true;
}

/**
 * Reads a box header at `pos` of `data` (which represents file offset `base`). Answers 'more' when the
 * bytes end first, and an error for sizes that cannot be (smaller than the header).
 */
export function readBoxHeader(data: Uint8Array, pos: number, end: number, base = 0): BoxHeader | 'more' | Mp4Error {
  if (end - pos < 8) return 'more';
  const size32 = ((data[pos] << 24) >>> 0) + (data[pos + 1] << 16) + (data[pos + 2] << 8) + data[pos + 3];
  if (!isPrintableFourcc(data, pos + 4)) return new Mp4Error('invalid-data', `not a box: type bytes ${hex4(data, pos + 4)}`, base + pos);
  const type = String.fromCharCode(data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]);
  let headerSize = 8;
  let size: number;
  if (size32 === 1) {
    if (end - pos < 16) return 'more';
    const hi = ((data[pos + 8] << 24) >>> 0) + (data[pos + 9] << 16) + (data[pos + 10] << 8) + data[pos + 11];
    const lo = ((data[pos + 12] << 24) >>> 0) + (data[pos + 13] << 16) + (data[pos + 14] << 8) + data[pos + 15];
    if (hi >= 0x200000) return new Mp4Error('invalid-data', `'${type}' box size past 2^53`, base + pos);
    size = hi * 0x100000000 + lo;
    headerSize = 16;
  } else if (size32 === 0) {
    size = Infinity;
  } else {
    size = size32;
  }
  if (type === 'uuid') headerSize += 16;
  if (size < headerSize) return new Mp4Error('invalid-data', `'${type}' box of ${size} bytes is smaller than its header`, base + pos);
  if (end - pos < headerSize) return 'more';
  return { type, start: base + pos, headerSize, size };
}

function hex4(d: Uint8Array, p: number): string {
  return Array.from(d.subarray(p, p + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** A box that could not be parsed and was left out of its parent (tolerant parsing only). */
export interface BoxDamage {
  /** The damaged box's type ('?' when even its header is unreadable). */
  readonly type: string;
  readonly error: Mp4Error;
  /** The trak or traf it lies in, if any: that box is in the result, less the damaged part. */
  readonly unit?: ContainerBox;
}

/** Where tolerant parsing notes damage; `unit` is the trak or traf being parsed. */
interface DamageLog {
  readonly list: BoxDamage[];
  unit?: ContainerBox;
}

function parseChildren(r: ByteReader, end: number, depth: number, damage?: DamageLog, out: Box[] = []): Box[] {
  while (r.pos < end) {
    // Some writers pad containers with a zero 32-bit terminator (QuickTime udta); stop there.
    if (end - r.pos < 8) {
      if (end - r.pos === 4 && r.data[r.pos] === 0 && r.data[r.pos + 1] === 0 && r.data[r.pos + 2] === 0 && r.data[r.pos + 3] === 0) {
        r.pos = end;
        break;
      }
      if (!damage) r.fail(`${end - r.pos} stray bytes at the end of a container`);
      damage.list.push({
        type: '?',
        error: new Mp4Error('invalid-data', `${end - r.pos} stray bytes at the end of a container`, r.base + r.pos),
        unit: damage.unit,
      });
      r.pos = end;
      break;
    }
    if (!damage) {
      out.push(parseBoxAt(r, end, depth));
      continue;
    }
    const at = r.pos;
    try {
      out.push(parseBoxAt(r, end, depth, damage));
    } catch (e) {
      const h = readBoxHeader(r.data, at, end, r.base);
      const header = h === 'more' || h instanceof Mp4Error ? undefined : h;
      damage.list.push({
        type: header?.type ?? '?',
        error: toMp4Error(e),
        unit: damage.unit,
      });
      // Skip the damaged box when its size can be trusted; otherwise the rest of the parent is lost too.
      r.pos = header && header.size !== Infinity && at + header.size <= end ? at + header.size : end;
    }
  }
  return out;
}

function parseBoxAt(r: ByteReader, end: number, depth: number, damage?: DamageLog): Box {
  const h = readBoxHeader(r.data, r.pos, end, r.base);
  if (h === 'more') r.fail('box header past the end of its parent');
  if (h instanceof Mp4Error) throw new ParseError(h.offset ?? r.base + r.pos, h.message.replace(/ \(at byte \d+\)$/, ''));
  const boxEnd = h.size === Infinity ? end : r.pos + h.size;
  if (boxEnd > end) r.fail(`'${h.type}' box (${h.size} bytes) overruns its parent by ${boxEnd - end} bytes`);
  if (depth > 16) r.fail('boxes nested deeper than 16');
  r.pos += h.headerSize;
  const box = parseBody(h.type, r, boxEnd, depth, damage);
  r.pos = boxEnd; // tolerate trailing bytes inside a box (newer versions may append fields)
  return box;
}

function fullBox(r: ByteReader): { version: number; flags: number } {
  const version = r.u8();
  return { version, flags: r.u24() };
}

function v01(r: ByteReader, version: number, what: string): 0 | 1 {
  if (version > 1) r.fail(`${what} version ${version} is unknown`);
  return version as 0 | 1;
}

/** The start shared by mvhd and mdhd: creation and modification times, timescale and duration (64-bit in v1). */
function timesAndScale(r: ByteReader, version: number) {
  const wide = version === 1;
  const creationTime = wide ? r.u64() : r.u32();
  const modificationTime = wide ? r.u64() : r.u32();
  const timescale = r.u32();
  const duration = wide ? r.u64() : r.u32();
  return { creationTime, modificationTime, timescale, duration };
}

function parseBody(type: string, r: ByteReader, end: number, depth: number, damage?: DamageLog): Box {
  if (CONTAINER_TYPES.has(type)) {
    const children: Box[] = [];
    const box: ContainerBox = { type: type as ContainerType, children };
    if (damage && (type === 'trak' || type === 'traf')) {
      const outer = damage.unit;
      damage.unit = box;
      try {
        parseChildren(r, end, depth + 1, damage, children);
      } finally {
        damage.unit = outer;
      }
    } else {
      parseChildren(r, end, depth + 1, damage, children);
    }
    return box;
  }
  switch (type) {
    case 'ftyp':
    case 'styp': {
      const majorBrand = r.fourcc();
      const minorVersion = r.u32();
      const compatibleBrands: string[] = [];
      while (end - r.pos >= 4) compatibleBrands.push(r.fourcc());
      return { type, majorBrand, minorVersion, compatibleBrands };
    }
    case 'mvhd': {
      const version = v01(r, fullBox(r).version, 'mvhd');
      const head = timesAndScale(r, version);
      r.skip(76);
      return { type, version, ...head, nextTrackId: r.u32() };
    }
    case 'tkhd': {
      const { version: v, flags } = fullBox(r);
      const version = v01(r, v, 'tkhd');
      const wide = version === 1;
      const creationTime = wide ? r.u64() : r.u32();
      const modificationTime = wide ? r.u64() : r.u32();
      const trackId = r.u32();
      r.skip(4);
      const duration = wide ? r.u64() : r.u32();
      r.skip(12);
      const volume = r.u16();
      r.skip(38);
      const width = r.fixed16();
      return {
        type,
        version,
        flags,
        creationTime,
        modificationTime,
        trackId,
        duration,
        width,
        height: r.fixed16(),
        ...(volume ? { volume: volume / 256 } : {}),
      };
    }
    case 'elst': {
      const version = v01(r, fullBox(r).version, 'elst');
      const n = r.count(version === 1 ? 20 : 12, 'elst');
      const entries: EditEntry[] = [];
      for (let i = 0; i < n; i++) {
        const segmentDuration = version === 1 ? r.u64() : r.u32();
        const mediaTime = version === 1 ? r.i64() : r.i32();
        const rate = r.i32();
        entries.push({ segmentDuration, mediaTime, mediaRate: rate / 65536 });
      }
      return { type, version, entries };
    }
    case 'mdhd': {
      const version = v01(r, fullBox(r).version, 'mdhd');
      const head = timesAndScale(r, version);
      const l = r.u16();
      const language = String.fromCharCode(((l >> 10) & 31) + 0x60, ((l >> 5) & 31) + 0x60, (l & 31) + 0x60);
      return { type, version, ...head, language };
    }
    case 'hdlr': {
      fullBox(r);
      r.skip(4);
      const handlerType = r.fourcc();
      r.skip(Math.min(12, r.remaining));
      const rest = r.bytes(Math.max(0, end - r.pos));
      const nul = rest.indexOf(0);
      return {
        type,
        handlerType,
        name: utf8Decode(nul >= 0 ? rest.subarray(0, nul) : rest),
      };
    }
    case 'vmhd':
    case 'smhd':
      return { type };
    case 'mp4a':
    case 'Opus': {
      r.skip(6);
      const dataReferenceIndex = r.u16();
      const version = r.u16();
      r.skip(6);
      let channelCount = r.u16();
      const sampleSize = r.u16();
      r.skip(4);
      let sampleRate = r.u32() >>> 16;
      // QuickTime sound description v1 adds 16 bytes; v2 moves rate and channels into its own fields.
      if (version === 1) r.skip(16);
      else if (version === 2) {
        r.skip(4);
        const hi = r.u32();
        const lo = r.u32();
        const f = new DataView(new Uint32Array([lo, hi]).buffer).getFloat64(0, true);
        sampleRate = Number.isFinite(f) && f > 0 && f < 2 ** 32 ? Math.round(f) : 0;
        channelCount = r.u32();
        r.skip(20);
      }
      return { type, dataReferenceIndex, channelCount, sampleSize, sampleRate, children: parseChildren(r, end, depth + 1, damage) };
    }
    case 'dref':
      fullBox(r);
      return { type, entryCount: r.u32() };
    case 'stsd': {
      fullBox(r);
      const n = r.count(8, 'stsd');
      const entries: Box[] = [];
      for (let i = 0; i < n && r.pos < end; i++) entries.push(parseBoxAt(r, end, depth + 1, damage));
      return { type, entries };
    }
    case 'avc1':
    case 'avc3': {
      r.skip(6);
      const dataReferenceIndex = r.u16();
      r.skip(16);
      const width = r.u16();
      const height = r.u16();
      r.skip(14);
      const nameLen = Math.min(r.u8(), 31);
      const compressorName = utf8Decode(r.bytes(31).subarray(0, nameLen));
      const depthBits = r.u16();
      r.skip(2);
      const entry: AvcSampleEntry = {
        type,
        dataReferenceIndex,
        width,
        height,
        compressorName,
        depth: depthBits,
        children: parseChildren(r, end, depth + 1, damage),
      };
      return entry;
    }
    case 'avcC':
      return { type, data: r.bytes(end - r.pos) };
    case 'pasp':
      return { type, hSpacing: r.u32(), vSpacing: r.u32() };
    case 'stts': {
      fullBox(r);
      const n = r.count(8, 'stts');
      const sampleCounts = new Uint32Array(n);
      const sampleDeltas = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        sampleCounts[i] = r.u32();
        sampleDeltas[i] = r.u32();
      }
      return { type, sampleCounts, sampleDeltas };
    }
    case 'ctts': {
      const version = v01(r, fullBox(r).version, 'ctts');
      const n = r.count(8, 'ctts');
      const sampleCounts = new Uint32Array(n);
      const sampleOffsets = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        sampleCounts[i] = r.u32();
        sampleOffsets[i] = r.i32();
      }
      return { type, version, sampleCounts, sampleOffsets };
    }
    case 'stss': {
      fullBox(r);
      const n = r.count(4, 'stss');
      const sampleNumbers = new Uint32Array(n);
      for (let i = 0; i < n; i++) sampleNumbers[i] = r.u32();
      return { type, sampleNumbers };
    }
    case 'stsz': {
      fullBox(r);
      const sampleSize = r.u32();
      if (sampleSize !== 0) return { type, sampleSize, sampleCount: r.u32() };
      const n = r.count(4, 'stsz');
      const entrySizes = new Uint32Array(n);
      for (let i = 0; i < n; i++) entrySizes[i] = r.u32();
      return { type, sampleSize, sampleCount: n, entrySizes };
    }
    case 'stz2': {
      fullBox(r);
      r.skip(3);
      const field = r.u8();
      if (field !== 4 && field !== 8 && field !== 16) r.fail(`stz2 field size ${field}`);
      const n = r.u32();
      if (Math.ceil((n * field) / 8) > r.remaining) r.fail(`stz2: ${n} entries do not fit`);
      const entrySizes = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        if (field === 16) entrySizes[i] = r.u16();
        else if (field === 8) entrySizes[i] = r.u8();
        else {
          const b = r.data[r.pos + (i >> 1)];
          entrySizes[i] = i & 1 ? b & 15 : b >> 4;
        }
      }
      if (field === 4) r.skip(Math.ceil(n / 2));
      return { type, sampleSize: 0, sampleCount: n, entrySizes };
    }
    case 'stsc': {
      fullBox(r);
      const n = r.count(12, 'stsc');
      const firstChunk = new Uint32Array(n);
      const samplesPerChunk = new Uint32Array(n);
      const sampleDescriptionIndex = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        firstChunk[i] = r.u32();
        samplesPerChunk[i] = r.u32();
        sampleDescriptionIndex[i] = r.u32();
      }
      return { type, firstChunk, samplesPerChunk, sampleDescriptionIndex };
    }
    case 'stco':
    case 'co64': {
      fullBox(r);
      const wide = type === 'co64';
      const n = r.count(wide ? 8 : 4, type);
      const chunkOffsets = new Float64Array(n);
      for (let i = 0; i < n; i++) chunkOffsets[i] = wide ? r.u64() : r.u32();
      return { type, chunkOffsets };
    }
    case 'mehd': {
      const version = v01(r, fullBox(r).version, 'mehd');
      return {
        type,
        version,
        fragmentDuration: version === 1 ? r.u64() : r.u32(),
      };
    }
    case 'trex':
      fullBox(r);
      return {
        type,
        trackId: r.u32(),
        defaultSampleDescriptionIndex: r.u32(),
        defaultSampleDuration: r.u32(),
        defaultSampleSize: r.u32(),
        defaultSampleFlags: r.u32(),
      };
    case 'mfhd':
      fullBox(r);
      return { type, sequenceNumber: r.u32() };
    case 'tfhd': {
      const { flags } = fullBox(r);
      const box: { -readonly [K in keyof TfhdBox]: TfhdBox[K] } = {
        type,
        trackId: r.u32(),
      };
      if (flags & TFHD_BASE_DATA_OFFSET) box.baseDataOffset = r.u64();
      if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) box.sampleDescriptionIndex = r.u32();
      if (flags & TFHD_DEFAULT_DURATION) box.defaultSampleDuration = r.u32();
      if (flags & TFHD_DEFAULT_SIZE) box.defaultSampleSize = r.u32();
      if (flags & TFHD_DEFAULT_FLAGS) box.defaultSampleFlags = r.u32();
      if (flags & TFHD_DURATION_IS_EMPTY) box.durationIsEmpty = true;
      if (flags & TFHD_DEFAULT_BASE_IS_MOOF) box.defaultBaseIsMoof = true;
      return box;
    }
    case 'tfdt': {
      const version = v01(r, fullBox(r).version, 'tfdt');
      return {
        type,
        version,
        baseMediaDecodeTime: version === 1 ? r.u64() : r.u32(),
      };
    }
    case 'trun': {
      const { version: v, flags } = fullBox(r);
      const version = v01(r, v, 'trun');
      const perSample =
        4 * ((flags & TRUN_DURATION ? 1 : 0) + (flags & TRUN_SIZE ? 1 : 0) + (flags & TRUN_FLAGS ? 1 : 0) + (flags & TRUN_COMPOSITION_OFFSET ? 1 : 0));
      const sampleCount = r.u32();
      const box: { -readonly [K in keyof TrunBox]: TrunBox[K] } = {
        type,
        version,
        sampleCount,
      };
      if (flags & TRUN_DATA_OFFSET) box.dataOffset = r.i32();
      if (flags & TRUN_FIRST_SAMPLE_FLAGS) box.firstSampleFlags = r.u32();
      if (sampleCount * perSample > r.remaining) r.fail(`trun: ${sampleCount} samples do not fit in ${r.remaining} bytes`);
      // Without per-sample fields a huge count costs nothing to read but could still mean garbage.
      if (perSample === 0 && sampleCount > 1 << 24) r.fail(`trun: ${sampleCount} samples`);
      const durations = flags & TRUN_DURATION ? new Uint32Array(sampleCount) : undefined;
      const sizes = flags & TRUN_SIZE ? new Uint32Array(sampleCount) : undefined;
      const sflags = flags & TRUN_FLAGS ? new Uint32Array(sampleCount) : undefined;
      const cto = flags & TRUN_COMPOSITION_OFFSET ? new Int32Array(sampleCount) : undefined;
      for (let i = 0; i < sampleCount; i++) {
        if (durations) durations[i] = r.u32();
        if (sizes) sizes[i] = r.u32();
        if (sflags) sflags[i] = r.u32();
        // Version 0 offsets are unsigned in the spec; like every demuxer we read them as signed.
        if (cto) cto[i] = r.i32();
      }
      if (durations) box.durations = durations;
      if (sizes) box.sizes = sizes;
      if (sflags) box.flags = sflags;
      if (cto) box.compositionOffsets = cto;
      return box;
    }
    case 'tfra': {
      const version = v01(r, fullBox(r).version, 'tfra');
      const trackId = r.u32();
      const lengths = r.u32();
      const sizes = [((lengths >> 4) & 3) + 1, ((lengths >> 2) & 3) + 1, (lengths & 3) + 1];
      const n = r.count((version === 1 ? 16 : 8) + sizes[0] + sizes[1] + sizes[2], 'tfra');
      const readN = (k: number): number => (k === 1 ? r.u8() : k === 2 ? r.u16() : k === 3 ? r.u24() : r.u32());
      const entries: TfraEntry[] = [];
      for (let i = 0; i < n; i++) {
        const time = version === 1 ? r.u64() : r.u32();
        const moofOffset = version === 1 ? r.u64() : r.u32();
        entries.push({
          time,
          moofOffset,
          trafNumber: readN(sizes[0]),
          trunNumber: readN(sizes[1]),
          sampleNumber: readN(sizes[2]),
        });
      }
      return { type, version, trackId, entries };
    }
    case 'mfro':
      fullBox(r);
      return { type, size: r.u32() };
    default:
      return { type: 'raw', fourcc: type, data: r.bytes(end - r.pos) };
  }
}

/**
 * Parses one complete box from `data` (at file offset `base`). Never throws: malformed input answers an
 * Mp4Error with the offset of the problem.
 */
export function parseBox(data: Uint8Array, base = 0): Box | Mp4Error {
  try {
    const r = new ByteReader(data, 0, data.length, base);
    const box = parseBoxAt(r, data.length, 0);
    return box;
  } catch (e) {
    return toMp4Error(e);
  }
}

/**
 * Parses one complete box as `parseBox` does, but a damaged box inside a container is left out and noted
 * instead of failing the whole box (a broken audio stsd must not make the video track unreadable). Only
 * damage to the box's own header is an error.
 */
export function parseBoxTolerant(data: Uint8Array, base = 0): { readonly box: Box; readonly damage: readonly BoxDamage[] } | Mp4Error {
  const log: DamageLog = { list: [] };
  try {
    const r = new ByteReader(data, 0, data.length, base);
    return { box: parseBoxAt(r, data.length, 0, log), damage: log.list };
  } catch (e) {
    return toMp4Error(e);
  }
}

/** Parses boxes back to back, as a whole file held in memory. */
export function parseBoxes(data: Uint8Array, base = 0): Box[] | Mp4Error {
  try {
    const r = new ByteReader(data, 0, data.length, base);
    return parseChildren(r, data.length, 0);
  } catch (e) {
    return toMp4Error(e);
  }
}

function toMp4Error(e: unknown): Mp4Error {
  if (e instanceof ParseError) return new Mp4Error('invalid-data', e.message, e.offset);
  if (e instanceof Mp4Error) return e;
  // A RangeError from a typed-array allocation (absurd sizes) is bad data too, never a crash.
  return new Mp4Error('invalid-data', e instanceof Error ? e.message : String(e));
}

/** A top-level box as the incremental reader hands it out. */
export interface TopLevelBox extends BoxHeader {
  /** The whole box (header included), for the types asked for in full; undefined for streamed boxes. */
  readonly bytes?: Uint8Array;
  /** Whether `bytes` had to be assembled from several chunks. */
  readonly copied?: boolean;
}

export interface IncrementalReaderOptions {
  /** Types whose whole box is wanted (moov, moof); every other box is streamed past. */
  readonly wanted: ReadonlySet<string>;
  /** Largest wanted box accepted, so that a garbage size cannot make us buffer without end. */
  readonly maxBoxSize: number;
}

/**
 * Incremental top-level box reader over a ByteQueue: hands out each box header as soon as it is in, with
 * the whole box for wanted types once that is in. It never holds bytes itself; the owner of the queue
 * decides what to keep (`cursor` is the first byte it still needs for boxes).
 */
export class IncrementalBoxReader {
  /** Absolute offset of the next top-level box. */
  cursor = 0;
  /** The box being waited on, when its header is in but not its body. */
  pending: BoxHeader | undefined;

  constructor(private readonly queue: ByteQueue, private readonly options: IncrementalReaderOptions) {}

  /** The next top-level box, 'more' when its bytes have not all arrived, or an error for garbage. */
  next(): TopLevelBox | 'more' | Mp4Error {
    const q = this.queue;
    let h = this.pending;
    if (!h) {
      const avail = Math.min(32, q.end - this.cursor);
      if (avail < 8) return 'more';
      if (!q.has(this.cursor, avail)) return new Mp4Error('invalid-data', 'box header no longer held', this.cursor);
      const { data } = q.read(this.cursor, avail);
      const r = readBoxHeader(data, 0, avail, this.cursor);
      if (r === 'more' || r instanceof Mp4Error) return r;
      h = r;
    }
    if (!this.options.wanted.has(h.type)) {
      this.pending = undefined;
      this.cursor = h.start + h.size;
      return h;
    }
    if (h.size === Infinity) {
      // A wanted box running to the end of the file can only be read once the file has ended.
      this.pending = h;
      return 'more';
    }
    if (h.size > this.options.maxBoxSize) {
      return new Mp4Error('too-large', `'${h.type}' box of ${h.size} bytes passes the limit of ${this.options.maxBoxSize}`, h.start);
    }
    if (!q.has(h.start, h.size)) {
      this.pending = h;
      return 'more';
    }
    this.pending = undefined;
    this.cursor = h.start + h.size;
    const { data, copied } = q.read(h.start, h.size);
    return { ...h, bytes: data, copied };
  }

  /** At end of input: a wanted box that runs to the end of the file can now be read whole. */
  finishOpenEnded(): TopLevelBox | undefined {
    const h = this.pending;
    if (!h || h.size !== Infinity) return undefined;
    const size = this.queue.end - h.start;
    if (size > this.options.maxBoxSize || !this.queue.has(h.start, size)) return undefined;
    this.pending = undefined;
    this.cursor = this.queue.end;
    const { data, copied } = this.queue.read(h.start, size);
    return { ...h, size, bytes: data, copied };
  }
}
