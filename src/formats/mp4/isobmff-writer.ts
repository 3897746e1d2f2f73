import {
  fourccOf,
  isContainer,
  type Box,
  type TfhdBox,
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
import { utf8Encode } from '../../util/utf8';

/** Big-endian writer over one pre-sized buffer: sizes are computed first, so nothing is ever re-allocated. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(v: number): void {
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }
  u16(v: number): void {
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }
  i16(v: number): void {
    this.view.setInt16(this.pos, v);
    this.pos += 2;
  }
  u24(v: number): void {
    this.view.setUint8(this.pos, (v >>> 16) & 0xff);
    this.view.setUint16(this.pos + 1, v & 0xffff);
    this.pos += 3;
  }
  u32(v: number): void {
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
  }
  i32(v: number): void {
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }
  /** Non-negative integers up to 2^53. */
  u64(v: number): void {
    const hi = Math.floor(v / 0x100000000);
    this.view.setUint32(this.pos, hi);
    this.view.setUint32(this.pos + 4, v - hi * 0x100000000);
    this.pos += 8;
  }
  /** Signed integers of magnitude below 2^53 (elst v1 media_time may be -1). */
  i64(v: number): void {
    this.view.setBigInt64(this.pos, BigInt(v));
    this.pos += 8;
  }
  fourcc(s: string): void {
    for (let i = 0; i < 4; i++) this.u8(s.charCodeAt(i) & 0xff);
  }
  bytes_(data: Uint8Array): void {
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }
  zeros(n: number): void {
    this.pos += n; // the buffer starts zeroed
  }
  /** 16.16 fixed point. */
  fixed16(v: number): void {
    this.u32(Math.round(v * 65536));
  }
}

const UNITY_MATRIX = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000];

function tfhdFlags(b: TfhdBox): number {
  return (
    (b.baseDataOffset !== undefined ? TFHD_BASE_DATA_OFFSET : 0) |
    (b.sampleDescriptionIndex !== undefined ? TFHD_SAMPLE_DESCRIPTION_INDEX : 0) |
    (b.defaultSampleDuration !== undefined ? TFHD_DEFAULT_DURATION : 0) |
    (b.defaultSampleSize !== undefined ? TFHD_DEFAULT_SIZE : 0) |
    (b.defaultSampleFlags !== undefined ? TFHD_DEFAULT_FLAGS : 0) |
    (b.durationIsEmpty ? TFHD_DURATION_IS_EMPTY : 0) |
    (b.defaultBaseIsMoof ? TFHD_DEFAULT_BASE_IS_MOOF : 0)
  );
}

function trunFlags(b: TrunBox): number {
  return (
    (b.dataOffset !== undefined ? TRUN_DATA_OFFSET : 0) |
    (b.firstSampleFlags !== undefined ? TRUN_FIRST_SAMPLE_FLAGS : 0) |
    (b.durations ? TRUN_DURATION : 0) |
    (b.sizes ? TRUN_SIZE : 0) |
    (b.flags ? TRUN_FLAGS : 0) |
    (b.compositionOffsets ? TRUN_COMPOSITION_OFFSET : 0)
  );
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

/** Payload size of a box (everything after the 8-byte header). */
function payloadSize(box: Box): number {
  if (isContainer(box)) return box.children.reduce((n, c) => n + boxSize(c), 0);
  switch (box.type) {
    case 'ftyp':
    case 'styp':
      return 8 + 4 * box.compatibleBrands.length;
    case 'mvhd':
      return box.version === 1 ? 112 : 100;
    case 'tkhd':
      return box.version === 1 ? 96 : 84;
    case 'elst':
      return 8 + box.entries.length * (box.version === 1 ? 20 : 12);
    case 'mdhd':
      return box.version === 1 ? 36 : 24;
    case 'hdlr':
      return 24 + utf8Encode(box.name).length + 1;
    case 'vmhd':
      return 12;
    case 'smhd':
      return 8;
    case 'mp4a':
    case 'Opus':
      return 28 + box.children.reduce((n, c) => n + boxSize(c), 0);
    case 'dref':
      return 8 + 12 * box.entryCount;
    case 'stsd':
      return 8 + box.entries.reduce((n, c) => n + boxSize(c), 0);
    case 'avc1':
    case 'avc3':
      return 78 + box.children.reduce((n, c) => n + boxSize(c), 0);
    case 'avcC':
      return box.data.length;
    case 'pasp':
      return 8;
    case 'stts':
      return 8 + 8 * box.sampleCounts.length;
    case 'ctts':
      return 8 + 8 * box.sampleCounts.length;
    case 'stss':
      return 8 + 4 * box.sampleNumbers.length;
    case 'stsz':
    case 'stz2':
      // stz2 is read only; we always write stsz.
      return 12 + (box.sampleSize === 0 ? 4 * box.sampleCount : 0);
    case 'stsc':
      return 8 + 12 * box.firstChunk.length;
    case 'stco':
      return 8 + 4 * box.chunkOffsets.length;
    case 'co64':
      return 8 + 8 * box.chunkOffsets.length;
    case 'mehd':
      return box.version === 1 ? 12 : 8;
    case 'trex':
      return 24;
    case 'mfhd':
      return 8;
    case 'tfhd':
      return 8 + 4 * popcount(tfhdFlags(box) & 0x3e) + (box.baseDataOffset !== undefined ? 8 : 0);
    case 'tfdt':
      return box.version === 1 ? 12 : 8;
    case 'trun': {
      const f = trunFlags(box);
      return 8 + (f & TRUN_DATA_OFFSET ? 4 : 0) + (f & TRUN_FIRST_SAMPLE_FLAGS ? 4 : 0) + 4 * popcount(f & 0xf00) * box.sampleCount;
    }
    case 'tfra':
      return 16 + box.entries.length * ((box.version === 1 ? 16 : 8) + 12);
    case 'mfro':
      return 8;
    case 'raw':
      return box.data.length;
  }
}

/** Whole size of a box, header included (16-byte header past 4 GiB). */
export function boxSize(box: Box): number {
  const p = payloadSize(box);
  return p + 8 > 0xffffffff ? p + 16 : p + 8;
}

function fullHeader(w: ByteWriter, version: number, flags: number): void {
  w.u8(version);
  w.u24(flags);
}

function writeChildren(w: ByteWriter, boxes: readonly Box[]): void {
  for (const b of boxes) writeBox(w, b);
}

/** mvhd's and mdhd's creation/modification times, timescale and duration: 64-bit fields in version 1. */
function writeTimes(w: ByteWriter, box: { version: number; creationTime: number; modificationTime: number; timescale: number; duration: number }): void {
  const time = box.version === 1 ? (v: number) => w.u64(v) : (v: number) => w.u32(v);
  time(box.creationTime);
  time(box.modificationTime);
  w.u32(box.timescale);
  time(box.duration);
}

export function writeBox(w: ByteWriter, box: Box): void {
  const size = boxSize(box);
  const start = w.pos;
  if (size > 0xffffffff) {
    w.u32(1);
    w.fourcc(fourccOf(box));
    w.u64(size);
  } else {
    w.u32(size);
    w.fourcc(fourccOf(box));
  }
  if (isContainer(box)) writeChildren(w, box.children);
  else switch (box.type) {
    case 'ftyp':
    case 'styp':
      w.fourcc(box.majorBrand);
      w.u32(box.minorVersion);
      for (const b of box.compatibleBrands) w.fourcc(b);
      break;
    case 'mvhd':
      fullHeader(w, box.version, 0);
      writeTimes(w, box);
      w.u32(0x00010000); // rate 1.0
      w.u16(0x0100); // volume 1.0
      w.zeros(10);
      for (const m of UNITY_MATRIX) w.u32(m);
      w.zeros(24);
      w.u32(box.nextTrackId);
      break;
    case 'tkhd':
      fullHeader(w, box.version, box.flags);
      if (box.version === 1) {
        w.u64(box.creationTime);
        w.u64(box.modificationTime);
        w.u32(box.trackId);
        w.zeros(4);
        w.u64(box.duration);
      } else {
        w.u32(box.creationTime);
        w.u32(box.modificationTime);
        w.u32(box.trackId);
        w.zeros(4);
        w.u32(box.duration);
      }
      w.zeros(8);
      w.u16(0); // layer
      w.u16(0); // alternate group
      w.u16(Math.round((box.volume ?? 0) * 256)); // 0 for video
      w.zeros(2);
      for (const m of UNITY_MATRIX) w.u32(m);
      w.fixed16(box.width);
      w.fixed16(box.height);
      break;
    case 'elst':
      fullHeader(w, box.version, 0);
      w.u32(box.entries.length);
      for (const e of box.entries) {
        if (box.version === 1) {
          w.u64(e.segmentDuration);
          w.i64(e.mediaTime);
        } else {
          w.u32(e.segmentDuration);
          w.i32(e.mediaTime);
        }
        w.fixed16(e.mediaRate);
      }
      break;
    case 'mdhd': {
      fullHeader(w, box.version, 0);
      writeTimes(w, box);
      const l = (box.language + 'und').slice(0, 3);
      w.u16((((l.charCodeAt(0) - 0x60) & 31) << 10) | (((l.charCodeAt(1) - 0x60) & 31) << 5) | ((l.charCodeAt(2) - 0x60) & 31));
      w.u16(0);
      break;
    }
    case 'hdlr':
      fullHeader(w, 0, 0);
      w.u32(0);
      w.fourcc(box.handlerType);
      w.zeros(12);
      w.bytes_(utf8Encode(box.name));
      w.u8(0);
      break;
    case 'vmhd':
      fullHeader(w, 0, 1);
      w.zeros(8);
      break;
    case 'smhd':
      fullHeader(w, 0, 0);
      w.zeros(4); // balance, reserved
      break;
    case 'mp4a':
    case 'Opus':
      // Version 0 sound description (what ffmpeg writes for AAC and Opus in MP4).
      w.zeros(6);
      w.u16(box.dataReferenceIndex);
      w.zeros(8);
      w.u16(box.channelCount);
      w.u16(box.sampleSize);
      w.zeros(4);
      w.u32(box.sampleRate > 0xffff ? 0 : box.sampleRate * 0x10000);
      writeChildren(w, box.children);
      break;
    case 'dref':
      fullHeader(w, 0, 0);
      w.u32(box.entryCount);
      for (let i = 0; i < box.entryCount; i++) {
        w.u32(12);
        w.fourcc('url ');
        fullHeader(w, 0, 1); // self-contained: the media is in this file
      }
      break;
    case 'stsd':
      fullHeader(w, 0, 0);
      w.u32(box.entries.length);
      writeChildren(w, box.entries);
      break;
    case 'avc1':
    case 'avc3': {
      w.zeros(6);
      w.u16(box.dataReferenceIndex);
      w.zeros(16);
      w.u16(box.width);
      w.u16(box.height);
      w.u32(0x00480000); // 72 dpi
      w.u32(0x00480000);
      w.zeros(4);
      w.u16(1); // frame_count
      const name = utf8Encode(box.compressorName).subarray(0, 31);
      w.u8(name.length);
      w.bytes_(name);
      w.zeros(31 - name.length);
      w.u16(box.depth);
      w.i16(-1);
      writeChildren(w, box.children);
      break;
    }
    case 'avcC':
      w.bytes_(box.data);
      break;
    case 'pasp':
      w.u32(box.hSpacing);
      w.u32(box.vSpacing);
      break;
    case 'stts':
      fullHeader(w, 0, 0);
      w.u32(box.sampleCounts.length);
      for (let i = 0; i < box.sampleCounts.length; i++) {
        w.u32(box.sampleCounts[i]);
        w.u32(box.sampleDeltas[i]);
      }
      break;
    case 'ctts':
      fullHeader(w, box.version, 0);
      w.u32(box.sampleCounts.length);
      for (let i = 0; i < box.sampleCounts.length; i++) {
        w.u32(box.sampleCounts[i]);
        w.i32(box.sampleOffsets[i]);
      }
      break;
    case 'stss':
      fullHeader(w, 0, 0);
      w.u32(box.sampleNumbers.length);
      for (let i = 0; i < box.sampleNumbers.length; i++) w.u32(box.sampleNumbers[i]);
      break;
    case 'stsz':
    case 'stz2':
      fullHeader(w, 0, 0);
      w.u32(box.sampleSize);
      w.u32(box.sampleCount);
      if (box.sampleSize === 0) for (let i = 0; i < box.sampleCount; i++) w.u32(box.entrySizes![i]);
      break;
    case 'stsc':
      fullHeader(w, 0, 0);
      w.u32(box.firstChunk.length);
      for (let i = 0; i < box.firstChunk.length; i++) {
        w.u32(box.firstChunk[i]);
        w.u32(box.samplesPerChunk[i]);
        w.u32(box.sampleDescriptionIndex[i]);
      }
      break;
    case 'stco':
      fullHeader(w, 0, 0);
      w.u32(box.chunkOffsets.length);
      for (let i = 0; i < box.chunkOffsets.length; i++) w.u32(box.chunkOffsets[i]);
      break;
    case 'co64':
      fullHeader(w, 0, 0);
      w.u32(box.chunkOffsets.length);
      for (let i = 0; i < box.chunkOffsets.length; i++) w.u64(box.chunkOffsets[i]);
      break;
    case 'mehd':
      fullHeader(w, box.version, 0);
      if (box.version === 1) w.u64(box.fragmentDuration);
      else w.u32(box.fragmentDuration);
      break;
    case 'trex':
      fullHeader(w, 0, 0);
      w.u32(box.trackId);
      w.u32(box.defaultSampleDescriptionIndex);
      w.u32(box.defaultSampleDuration);
      w.u32(box.defaultSampleSize);
      w.u32(box.defaultSampleFlags);
      break;
    case 'mfhd':
      fullHeader(w, 0, 0);
      w.u32(box.sequenceNumber);
      break;
    case 'tfhd':
      fullHeader(w, 0, tfhdFlags(box));
      w.u32(box.trackId);
      if (box.baseDataOffset !== undefined) w.u64(box.baseDataOffset);
      if (box.sampleDescriptionIndex !== undefined) w.u32(box.sampleDescriptionIndex);
      if (box.defaultSampleDuration !== undefined) w.u32(box.defaultSampleDuration);
      if (box.defaultSampleSize !== undefined) w.u32(box.defaultSampleSize);
      if (box.defaultSampleFlags !== undefined) w.u32(box.defaultSampleFlags);
      break;
    case 'tfdt':
      fullHeader(w, box.version, 0);
      if (box.version === 1) w.u64(box.baseMediaDecodeTime);
      else w.u32(box.baseMediaDecodeTime);
      break;
    case 'trun': {
      fullHeader(w, box.version, trunFlags(box));
      w.u32(box.sampleCount);
      if (box.dataOffset !== undefined) w.i32(box.dataOffset);
      if (box.firstSampleFlags !== undefined) w.u32(box.firstSampleFlags);
      const { durations, sizes, flags, compositionOffsets } = box;
      for (let i = 0; i < box.sampleCount; i++) {
        if (durations) w.u32(durations[i]);
        if (sizes) w.u32(sizes[i]);
        if (flags) w.u32(flags[i]);
        if (compositionOffsets) w.i32(compositionOffsets[i]);
      }
      break;
    }
    case 'tfra':
      fullHeader(w, box.version, 0);
      w.u32(box.trackId);
      w.u32(0x3f); // 4-byte traf, trun and sample numbers
      w.u32(box.entries.length);
      for (const e of box.entries) {
        if (box.version === 1) {
          w.u64(e.time);
          w.u64(e.moofOffset);
        } else {
          w.u32(e.time);
          w.u32(e.moofOffset);
        }
        w.u32(e.trafNumber);
        w.u32(e.trunNumber);
        w.u32(e.sampleNumber);
      }
      break;
    case 'mfro':
      fullHeader(w, 0, 0);
      w.u32(box.size);
      break;
    case 'raw':
      w.bytes_(box.data);
      break;
  }
  if (w.pos - start !== size) throw new Error(`internal: ${fourccOf(box)} wrote ${w.pos - start} bytes, sized ${size}`);
}

/** Serialises boxes back to back into one new buffer; `extra` bytes of room are left zeroed at the end. */
export function serializeBoxes(boxes: readonly Box[], extra = 0): { bytes: Uint8Array; writer: ByteWriter } {
  const w = new ByteWriter(boxes.reduce((n, b) => n + boxSize(b), 0) + extra);
  for (const b of boxes) writeBox(w, b);
  return { bytes: w.bytes, writer: w };
}

/** Size of an mdat header for `payload` bytes: 8, or 16 with a 64-bit size. */
export function mdatHeaderSize(payload: number): number {
  return payload + 8 > 0xffffffff ? 16 : 8;
}

/** Writes an mdat header for `payload` bytes at the writer's position. */
export function writeMdatHeader(w: ByteWriter, payload: number): void {
  if (payload + 8 > 0xffffffff) {
    w.u32(1);
    w.fourcc('mdat');
    w.u64(payload + 16);
  } else {
    w.u32(payload + 8);
    w.fourcc('mdat');
  }
}
