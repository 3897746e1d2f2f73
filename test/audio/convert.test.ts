import { describe, expect, it } from 'vitest';
import { audioConvert, capsFilter, identity, parseLaunch, volume } from '../../operators';
import { audioTestSrc } from '../../operators/audio-test-src';
import { NegotiationError, VirtualClock } from '../../src';
import { rawAudioInfo, type RawAudioPacket } from '../../src/audio';
import { collect, collectLaunch, joinPlanes, sineFit } from './helpers';

const filter = (c: string) => capsFilter<RawAudioPacket>(c);

describe('audioConvert', () => {
  it('negotiates in launch syntax: the source keeps its defaults, audioConvert makes stereo S16LE at the same rate', async () => {
    const { packets, caps } = await collectLaunch('audioTestSrc num-buffers=10 ! audioConvert ! audio/x-raw,format=S16LE,channels=2 ! fakeSink');
    expect(packets).toHaveLength(10);
    expect(caps.get('audioTestSrc0>audioConvert0')).toBe('audio/x-raw, format=(string)S16LE, layout=(string)interleaved, rate=(int)44100, channels=(int)1');
    expect(packets[0].caps.toString()).toBe(
      'audio/x-raw, format=(string)S16LE, layout=(string)interleaved, rate=(int)44100, channels=(int)2, channel-mask=(int)3'
    );
    const [l, r] = joinPlanes(packets);
    expect(r).toEqual(l);
    expect(sineFit(l, 44100, 440).amplitude).toBeCloseTo(0.8, 3);
  });

  it('negotiates audioConvert ! audioResample together: format and channels in one, rate in the other', async () => {
    const { packets, caps } = await collectLaunch(
      'audioTestSrc num-buffers=20 freq=1000 ! audioConvert ! audioResample ! audio/x-raw,format=F32LE,rate=16000,channels=2 ! fakeSink'
    );
    expect(caps.get('audioConvert0>audioResample0')).toBe(
      'audio/x-raw, format=(string)F32LE, layout=(string)interleaved, rate=(int)44100, channels=(int)2, channel-mask=(int)3'
    );
    expect(packets[0].caps.toString()).toBe(
      'audio/x-raw, format=(string)F32LE, layout=(string)interleaved, rate=(int)16000, channels=(int)2, channel-mask=(int)3'
    );
    const [l] = joinPlanes(packets);
    expect(l.length).toBe(Math.ceil((20 * 1024 * 16000) / 44100));
    // S16 at the source bounds it: −98 dB of quantisation noise, the tone 2 dB below full scale.
    expect(sineFit(l.subarray(500, l.length - 500), 16000, 1000).thdN).toBeLessThan(-90);
  });

  it('F32 source → S32 → F32 keeps the float values to S32 precision; pts and durations pass unchanged', async () => {
    const direct = await collect(audioTestSrc({ numBuffers: 8, freq: 1234.5 }), filter('audio/x-raw, format=F32LE, rate=48000'));
    const trip = await collect(
      audioTestSrc({ numBuffers: 8, freq: 1234.5 }),
      filter('audio/x-raw, format=F32LE, rate=48000'),
      audioConvert(),
      filter('audio/x-raw, format=S32LE'),
      audioConvert(),
      filter('audio/x-raw, format=F32LE')
    );
    expect(trip.map((p) => [p.pts, p.duration])).toEqual(direct.map((p) => [p.pts, p.duration]));
    const [a] = joinPlanes(direct);
    const [b] = joinPlanes(trip);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(2 ** -30);
  });

  it('S16 → U8 → S16 loses exactly the low byte; stereo → mono → stereo keeps an identical-channel signal', async () => {
    const src = () => audioTestSrc({ numBuffers: 4, freq: 1000 });
    const [s16] = joinPlanes(await collect(src(), filter('audio/x-raw, rate=48000')));
    const [viaU8] = joinPlanes(
      await collect(
        src(),
        filter('audio/x-raw, rate=48000'),
        audioConvert(),
        filter('audio/x-raw, format=U8'),
        audioConvert(),
        filter('audio/x-raw, format=S16LE')
      )
    );
    expect(Math.max(...s16.map((v, i) => Math.abs(v - viaU8[i])))).toBeLessThanOrEqual(1 / 256);
    const stereo = await collect(
      src(),
      filter('audio/x-raw, rate=48000, channels=2'),
      audioConvert(),
      filter('audio/x-raw, channels=1'),
      audioConvert(),
      filter('audio/x-raw, channels=2')
    );
    const [l, r] = joinPlanes(stereo);
    expect(l).toEqual(s16);
    expect(r).toEqual(s16);
  });

  it('passes buffers through untouched when nothing changes', async () => {
    const before: RawAudioPacket[] = [];
    const after = await collect(audioTestSrc({ numBuffers: 3 }), identity<RawAudioPacket>({ handoff: (p) => void before.push(p) }), audioConvert());
    expect(after).toHaveLength(3);
    after.forEach((p, i) => expect(p).toBe(before[i]));
  });

  it('does not change the rate: a rate the source cannot meet fails negotiation naming the field', async () => {
    const p = parseLaunch('audioTestSrc num-buffers=1 ! audio/x-raw,rate=8000 ! audioConvert ! audio/x-raw,rate=16000 ! fakeSink');
    const run = p.run({ clock: new VirtualClock() });
    await expect(run).rejects.toBeInstanceOf(NegotiationError);
    await expect(run).rejects.toThrow(/rate: 8000 vs 16000/);
  });
});

describe('volume', () => {
  it('scales by volume (−6 dB is ×0.5), saturates integer output, mutes to silence (128 for U8)', async () => {
    const src = () => audioTestSrc({ numBuffers: 4, freq: 1000, volume: 0.8 });
    const [half] = joinPlanes(await collect(src(), filter('audio/x-raw, format=F32LE, rate=48000'), volume({ volume: 0.5 })));
    expect(sineFit(half, 48000, 1000).amplitude).toBeCloseTo(0.4, 6);
    const [loud] = joinPlanes(await collect(src(), filter('audio/x-raw, format=S16LE, rate=48000'), volume({ volume: 4 })));
    expect(Math.max(...loud)).toBe(32767 / 32768);
    expect(Math.min(...loud)).toBe(-1);
    const muted = await collect(src(), filter('audio/x-raw, format=U8'), volume({ mute: true }));
    expect(muted.every((p) => p.memory.data.every((b) => b === 128))).toBe(true);
    expect(rawAudioInfo(muted[0].caps).format).toBe('U8');
  });

  it('volume=1 hands the same buffers on', async () => {
    const a = await collect(audioTestSrc({ numBuffers: 2 }), volume());
    expect(a).toHaveLength(2);
    const { packets } = await collectLaunch('audioTestSrc num-buffers=2 ! volume volume=0.25 ! fakeSink');
    expect(sineFit(joinPlanes(packets)[0], 44100, 440).amplitude).toBeCloseTo(0.2, 3);
  });
});
