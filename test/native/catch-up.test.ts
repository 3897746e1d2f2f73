import { describe, expect, it } from 'vitest';
import { nodeFileSrc } from '../../node/drivers/fs';
import { h264Dec, type RawVideoPacket } from '../../node/elements/h264-dec';
import { fakeSink } from '../../operators';
import { h264Parse } from '../../operators/h264-parse';
import { Caps, defineTransform, EOS, pipe, type Packet } from '../../src';
import { systemClock } from '../../src/clock';
import { PacketFlags } from '../../src/packet';
import { SECOND } from '../../src/time';
import { encodeH264 } from '../fixtures/h264';
import { ffmpegFrameMd5, md5, packedBytes } from './helpers';
import { requirePeer } from '../peers';

requirePeer('native', 'ffmpeg');

/** Units stamped as captured 5 s ago up to `stale`, then now: a live source that started far behind. */
const stamp = (stale: number) => {
  let i = 0;
  return defineTransform<Packet, Packet>({
    factory: 'stamp',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.parse('video/x-h264'),
    open: (_ctx, up) => ({
      async pull(signal) {
        const p = await up.pull(signal);
        if (p === EOS) return EOS;
        const captureTime = systemClock.now() - (i++ < stale ? 5 * SECOND : 0);
        return { ...p, meta: { ...p.meta, captureTime } };
      },
    }),
  });
};

describe('h264Dec catchUp: a live decoder far behind skips to a fresh keyframe', () => {
  it('stale units and the rest of their GOP are skipped undecoded; decoding resumes bit-exact at the next keyframe, marked DISCONT', async () => {
    const path = await encodeH264({ profile: 'main', frames: 90, width: 320, height: 240, gop: 30, x264Params: 'scenecut=0' });
    const ref = await ffmpegFrameMd5(path);
    const got: RawVideoPacket[] = [];
    const running = pipe(
      nodeFileSrc(path),
      h264Parse(),
      stamp(45),
      h264Dec({ backend: 'software', name: 'dec' }),
      fakeSink<RawVideoPacket>({ name: 'sink', videoMeta: true, dropLate: false, onPacket: (p) => void got.push(p) })
    ).start({ profile: 'live' });
    await running.done;
    // 0–44 stale; 45–59 fresh but behind no keyframe yet; 60 is the next keyframe.
    expect(got.map((p) => md5(packedBytes(p)))).toEqual(ref.slice(60));
    expect(got[0].flags & PacketFlags.DISCONT).toBeTruthy();
    expect(got.slice(1).every((p) => !(p.flags & PacketFlags.DISCONT))).toBe(true);
    const dec = running.stats().elements.find((e) => e.name === 'dec')!;
    expect(dec.drops.late).toBe(60);
  });

  it('catchUp=0 decodes every unit however old', async () => {
    const path = await encodeH264({ profile: 'main', frames: 90, width: 320, height: 240, gop: 30, x264Params: 'scenecut=0' });
    const ref = await ffmpegFrameMd5(path);
    const got: string[] = [];
    await pipe(
      nodeFileSrc(path),
      h264Parse(),
      stamp(45),
      h264Dec({ backend: 'software', catchUp: 0 }),
      fakeSink<RawVideoPacket>({ videoMeta: true, dropLate: false, onPacket: (p) => void got.push(md5(packedBytes(p))) })
    ).run({ profile: 'live' });
    expect(got).toEqual(ref);
  });
});
