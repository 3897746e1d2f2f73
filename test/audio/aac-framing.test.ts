import { describe, expect, it } from 'vitest';
import { adtsHeader, audioSpecificConfig, parseAdtsHeader, parseAudioSpecificConfig, splitAdts } from '../../src/codecs/aac/adts';
import { opusHead, parseOpusHead } from '../../src/codecs/opus/head';
import { oggPackets } from '../../src/codecs/opus/ogg';

describe('AAC framing', () => {
  it('AudioSpecificConfig: builds and reads LC 44.1 kHz stereo (0x1210), FFmpeg’s 5-byte form, escapes', () => {
    expect(Array.from(audioSpecificConfig(2, 44100, 2))).toEqual([0x12, 0x10]);
    expect(parseAudioSpecificConfig(Uint8Array.of(0x12, 0x10))).toEqual({ objectType: 2, rate: 44100, channelConfig: 2 });
    // FFmpeg's aac encoder appends a sync extension: the leading fields read the same.
    expect(parseAudioSpecificConfig(Uint8Array.of(0x11, 0x90, 0x56, 0xe5, 0x00))).toEqual({ objectType: 2, rate: 48000, channelConfig: 2 });
    // Explicit 24-bit rate (index 15).
    expect(parseAudioSpecificConfig(Uint8Array.of(0x17, 0x80, 0x3e, 0x80, 0x08))?.rate).toBe(32000);
    expect(parseAudioSpecificConfig(Uint8Array.of(0x12))).toBeNull();
    expect(() => audioSpecificConfig(2, 44000, 2)).toThrow(RangeError);
  });

  it('ADTS: a header round-trips; split keeps whole frames only; garbage is not a header', () => {
    const asc = { objectType: 2, rate: 48000, channelConfig: 2 };
    const frame = (n: number) => {
      const h = adtsHeader(asc, n);
      const f = new Uint8Array(h.length + n);
      f.set(h);
      return f;
    };
    const a = frame(100);
    expect(parseAdtsHeader(a)).toEqual({ config: asc, headerBytes: 7, frameBytes: 107 });
    const stream = new Uint8Array(107 + 57 + 30);
    stream.set(a);
    stream.set(frame(50), 107);
    stream.set(frame(50).subarray(0, 30), 164);
    expect(splitAdts(stream).map((f) => f.length)).toEqual([107, 57]);
    expect(parseAdtsHeader(Uint8Array.of(0xff, 0xf1, 0x3c, 0, 0, 0, 0))).toBeNull(); // frame shorter than its header
    expect(parseAdtsHeader(new Uint8Array(7))).toBeNull();
    for (let i = 0; i < 7; i++) expect(parseAdtsHeader(a.subarray(0, i))).toBeNull();
  });

  it('OpusHead: builds and reads family 0; refuses bad magic, version, family-0 surround', () => {
    const h = opusHead(2, 312);
    expect(parseOpusHead(h)).toEqual({ channels: 2, preSkip: 312, inputRate: 48000, outputGain: 0, mappingFamily: 0 });
    const bad = h.slice();
    bad[0] = 0;
    expect(parseOpusHead(bad)).toBeNull();
    const v = h.slice();
    v[8] = 0x10;
    expect(parseOpusHead(v)).toBeNull();
    const six = h.slice();
    six[9] = 6;
    expect(parseOpusHead(six)).toBeNull();
    expect(parseOpusHead(h.subarray(0, 18))).toBeNull();
  });

  it('Ogg: packets continued across lacing values and pages; other streams left out; bad pages refused', () => {
    const page = (serial: number, segs: number[], body: Uint8Array): Uint8Array => {
      const h = new Uint8Array(27 + segs.length);
      h.set([0x4f, 0x67, 0x67, 0x53]);
      new DataView(h.buffer).setUint32(14, serial, true);
      h[26] = segs.length;
      h.set(segs, 27);
      const p = new Uint8Array(h.length + body.length);
      p.set(h);
      p.set(body, h.length);
      return p;
    };
    const big = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    // 300 bytes: 255 on page 1, 45 on page 2; then a 3-byte packet; a page of stream 9 between.
    const file = [page(1, [255], big.subarray(0, 255)), page(9, [2], Uint8Array.of(7, 7)), page(1, [45, 3], Uint8Array.from([...big.subarray(255), 1, 2, 3]))];
    const all = new Uint8Array(file.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of file) {
      all.set(p, at);
      at += p.length;
    }
    const pkts = oggPackets(all)!;
    expect(pkts.map((p) => p.length)).toEqual([300, 3]);
    expect(Array.from(pkts[0])).toEqual(Array.from(big));
    const bad = all.slice();
    bad[file[0].length] = 0;
    expect(oggPackets(bad)).toBeNull();
    expect(oggPackets(all.subarray(0, all.length - 1))).toBeNull();
  });
});
