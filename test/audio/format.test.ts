import { describe, expect, it } from 'vitest';
import { Caps } from '../../src';
import {
  channelPositions,
  defaultChannelMask,
  fixateRawAudio,
  mixMatrix,
  rawAudioCaps,
  rawAudioInfo,
  rawAudioTemplate,
  readPlanes,
  writePlanes,
  type AudioFormat,
  type AudioLayout,
} from '../../src/audio';

const info = (format: AudioFormat, channels = 1, layout: AudioLayout = 'interleaved') => rawAudioInfo(rawAudioCaps({ format, rate: 48000, channels, layout }));

describe('audio/x-raw caps', () => {
  it('reads fixed caps as GStreamer writes them, channel-mask included', () => {
    const i = rawAudioInfo(Caps.parse('audio/x-raw, format=S24LE, layout=non-interleaved, rate=44100, channels=6, channel-mask=(int)0x3f'));
    expect(i).toMatchObject({ format: 'S24LE', layout: 'non-interleaved', rate: 44100, channels: 6, channelMask: 0x3f, bps: 3, bpf: 18 });
    // Absent layout and mask: interleaved, GStreamer's fallback positions.
    expect(rawAudioInfo(Caps.parse('audio/x-raw, format=F32LE, rate=8000, channels=2')).channelMask).toBe(3);
  });

  it('names the field that is missing or wrong', () => {
    expect(() => rawAudioInfo(Caps.parse('audio/x-raw, format=S8, rate=8000, channels=1'))).toThrow(/format=S16LE\|S32LE\|F32LE\|S24LE\|U8/);
    expect(() => rawAudioInfo(Caps.parse('audio/x-raw, format=S16LE, rate=[1, 5], channels=1'))).toThrow(/fixed positive rate/);
    expect(() => rawAudioInfo(Caps.parse('audio/x-raw, format=S16LE, rate=8000, channels=2, channel-mask=(int)7'))).toThrow(/one bit per channel/);
    expect(() => rawAudioInfo(Caps.parse('video/x-raw, format=S16LE'))).toThrow(/expected audio\/x-raw/);
  });

  it('prints fixed caps that read back, masks for more than one channel', () => {
    expect(rawAudioCaps({ format: 'S16LE', rate: 48000, channels: 1 }).toString()).toBe(
      'audio/x-raw, format=(string)S16LE, layout=(string)interleaved, rate=(int)48000, channels=(int)1'
    );
    const c = rawAudioCaps({ format: 'U8', rate: 8000, channels: 8 });
    expect(rawAudioInfo(Caps.parse(c.toString())).channelMask).toBe(0xc3f);
    expect(c.isSubset(rawAudioTemplate())).toBe(true);
  });

  it('fixates as GStreamer audio sources: S16LE, 44100, mono by default; nearest rate and channels within ranges', () => {
    expect(fixateRawAudio(rawAudioTemplate()).toString()).toBe(
      'audio/x-raw, format=(string)S16LE, layout=(string)interleaved, rate=(int)44100, channels=(int)1'
    );
    const f = fixateRawAudio(rawAudioTemplate().intersect(Caps.parse('audio/x-raw, format={F32LE, U8}, rate=[48000, 96000], channels=[4, 8]')), {
      channels: 2,
    });
    expect(f.toString()).toBe('audio/x-raw, format=(string)F32LE, layout=(string)interleaved, rate=(int)48000, channels=(int)4, channel-mask=(int)51');
  });
});

describe('sample conversion', () => {
  const formats: AudioFormat[] = ['S16LE', 'S32LE', 'F32LE', 'S24LE', 'U8'];

  it('each integer format round-trips every extreme and zero exactly through float planes', () => {
    const cases: [AudioFormat, number[]][] = [
      ['S16LE', [-32768, -1, 0, 1, 32767]],
      ['S32LE', [-2147483648, -1, 0, 1, 2147483647, 123456789]],
      ['S24LE', [-8388608, -1, 0, 1, 8388607]],
      ['U8', [0, 127, 128, 129, 255]],
    ];
    for (const [format, values] of cases) {
      const i = info(format);
      const bytes = new Uint8Array(values.length * i.bps);
      const dv = new DataView(bytes.buffer);
      values.forEach((v, k) => {
        if (format === 'S16LE') dv.setInt16(k * 2, v, true);
        else if (format === 'S32LE') dv.setInt32(k * 4, v, true);
        else if (format === 'U8') bytes[k] = v;
        else [0, 1, 2].forEach((b) => (bytes[k * 3 + b] = (v >> (8 * b)) & 0xff));
      });
      const planes = readPlanes(i, bytes);
      expect(Math.min(...planes[0])).toBe(-1);
      expect(writePlanes(i, planes)).toEqual(bytes);
    }
  });

  it('full scale reads as ±1 in every format, and +1 saturates to the largest code', () => {
    for (const format of formats) {
      const i = info(format);
      const out = readPlanes(i, writePlanes(i, [Float64Array.of(1, -1, 2, -2, 0, Number.NaN)]));
      const top = format === 'F32LE' ? 1 : 1 - 1 / { S16LE: 32768, S32LE: 2147483648, S24LE: 8388608, U8: 128 }[format as 'U8'];
      expect([...out[0]]).toEqual(format === 'F32LE' ? [1, -1, 2, -2, 0, 0] : [top, -1, top, -1, 0, 0]);
    }
  });

  it('S16 → F32 → S16 and S16 → S32 → S16 are lossless over every code', () => {
    const all = new Uint8Array(65536 * 2);
    const dv = new DataView(all.buffer);
    for (let v = -32768; v < 32768; v++) dv.setInt16((v + 32768) * 2, v, true);
    for (const via of ['F32LE', 'S32LE', 'S24LE'] as const) {
      const mid = writePlanes(info(via), readPlanes(info('S16LE'), all));
      expect(writePlanes(info('S16LE'), readPlanes(info(via), mid))).toEqual(all);
    }
  });

  it('non-interleaved is one packed plane per channel', () => {
    const planes = [Float64Array.of(0.5, 0.25), Float64Array.of(-0.5, -0.25)];
    const inter = writePlanes(info('S16LE', 2), planes);
    const planar = writePlanes(info('S16LE', 2, 'non-interleaved'), planes);
    const s16 = (b: Uint8Array) => [...new Int16Array(b.buffer)];
    expect(s16(inter)).toEqual([16384, -16384, 8192, -8192]);
    expect(s16(planar)).toEqual([16384, 8192, -16384, -8192]);
    expect(readPlanes(info('S16LE', 2, 'non-interleaved'), planar)).toEqual(planes);
  });
});

describe('channel mixing', () => {
  it('positions follow the mask in bit order; mono and unpositioned are told apart', () => {
    expect(channelPositions(6, 0x3f)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(channelPositions(1, 0)).toEqual([-1]);
    expect(channelPositions(2, 0)).toBeUndefined();
    expect(defaultChannelMask(8)).toBe(0xc3f);
  });

  it('mono → stereo copies, stereo → mono averages, identity is identity', () => {
    expect(mixMatrix(1, 0, 2, 3)).toEqual([[1], [1]]);
    expect(mixMatrix(2, 3, 1, 0)).toEqual([[0.5, 0.5]]);
    expect(mixMatrix(2, 3, 2, 3)).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('5.1 → stereo folds centre and rears in at −3 dB, drops the LFE, and cannot clip', () => {
    const m = mixMatrix(6, 0x3f, 2, 3); // FL FR FC LFE RL RR
    const g = 1 / (1 + 2 * Math.SQRT1_2);
    expect(m[0].map((x) => +x.toFixed(6))).toEqual([g, 0, g * Math.SQRT1_2, 0, g * Math.SQRT1_2, 0].map((x) => +x.toFixed(6)));
    expect(m[1].map((x) => +x.toFixed(6))).toEqual([0, g, g * Math.SQRT1_2, 0, 0, g * Math.SQRT1_2].map((x) => +x.toFixed(6)));
    for (const row of m) expect(row.reduce((s, x) => s + x, 0)).toBeLessThanOrEqual(1 + 1e-12);
  });

  it('unpositioned channels map by index; into mono they average', () => {
    expect(mixMatrix(3, 0, 2, 0)).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(mixMatrix(4, 0, 1, 0)).toEqual([[0.25, 0.25, 0.25, 0.25]]);
  });
});
