import { describe, expect, it } from 'vitest';
import { adtsHeader, audioSpecificConfig, parseAdtsHeader, parseAudioSpecificConfig, splitAdts } from '../../src/codecs/aac/adts';
import { opusHead, parseOpusHead } from '../../src/codecs/opus/head';

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
});
