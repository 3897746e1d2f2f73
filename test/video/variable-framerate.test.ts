import { describe, expect, it } from 'vitest';
import { fakeSink } from '../../operators/fake-sink';
import { tensorPreprocess } from '../../operators/tensor-preprocess';
import { videoTestSrc, type RawVideoPacket } from '../../operators/video-test-src';
import { Caps, fraction } from '../../src/caps';
import { VirtualClock } from '../../src/clock';
import { cpuMemory } from '../../src/memory/memory';
import type { TensorPacket } from '../../src/ml/tensor';
import { defineSource } from '../../src/operator';
import { PacketFlags } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { EOS } from '../../src/element';
import { fixateRawVideo, frameLayout, isVariableFramerate, rawVideoCaps, rawVideoInfo, rawVideoTemplate } from '../../src/video';

const VARIABLE = fraction(0, 1);

/** Raw I420 frames at irregular times with framerate 0/1, as a decoder of an RTSP or VFR MP4 stream emits them. */
function variableRateSrc(pts: readonly number[]) {
  const c = rawVideoCaps({ format: 'I420', width: 32, height: 24, framerate: VARIABLE });
  return defineSource<RawVideoPacket>({
    factory: 'variableRateSrc',
    props: {},
    srcCaps: c,
    open() {
      let i = 0;
      return {
        pull: () => (i < pts.length ? { caps: c, pts: pts[i], dts: pts[i++], duration: undefined, flags: PacketFlags.KEYFRAME, memory: cpuMemory(new Uint8Array(frameLayout('I420', 32, 24).size).fill(128)), meta: {} } : EOS),
      };
    },
  });
}

describe('framerate 0/1 (variable or unknown, GStreamer convention)', () => {
  it('raw video templates accept 0/1 caps, and rawVideoInfo reads them', () => {
    const c = rawVideoCaps({ format: 'NV12', width: 640, height: 360, framerate: VARIABLE });
    expect(c.toString()).toBe('video/x-raw, format=(string)NV12, width=(int)640, height=(int)360, framerate=(fraction)0/1');
    expect(c.isSubset(rawVideoTemplate())).toBe(true);
    expect(c.isSubset(rawVideoTemplate(['NV12']))).toBe(true);
    expect(rawVideoTemplate().toString()).toContain('framerate=(fraction)[ 0/1, 2147483647/1 ]');
    const info = rawVideoInfo(c);
    expect(info.framerate).toEqual(VARIABLE);
    expect(isVariableFramerate(info.framerate)).toBe(true);
    expect(isVariableFramerate(fraction(30, 1))).toBe(false);
    expect(isVariableFramerate(undefined)).toBe(false);
  });

  it('sources still fixate to a real rate: nearest the preferred one, never 0/1', () => {
    const preferred = { width: 320, height: 240, framerate: fraction(30, 1) };
    expect(fixateRawVideo(rawVideoTemplate(['I420']), preferred).toString()).toBe('video/x-raw, format=(string)I420, width=(int)320, height=(int)240, framerate=(fraction)30/1');
    // Only 0/1 allowed downstream: nothing a paced source can produce.
    expect(fixateRawVideo(Caps.parse('video/x-raw, format=(string)I420, framerate=(fraction)0/1'), preferred).isEmpty()).toBe(true);
    expect(fixateRawVideo(Caps.parse('video/x-raw, format=(string)I420, framerate=(fraction)[ 0/1, 10/1 ]'), preferred).get('framerate')).toEqual(fraction(10, 1));
  });

  it('a 0/1 stream runs through tensorPreprocess with its own timestamps', async () => {
    const pts = [0, 40_000_000, 41_000_000, 200_000_000];
    const out: TensorPacket[] = [];
    await pipe(variableRateSrc(pts), tensorPreprocess({ width: 16, height: 16 }), fakeSink<TensorPacket>({ onPacket: (p) => void out.push(p) })).run({ clock: new VirtualClock() });
    expect(out.map((p) => p.pts)).toEqual(pts);
  });

  it('videoTestSrc before a 0/1-only consumer fails negotiation instead of producing frames without a rate', async () => {
    const only01 = Caps.parse('video/x-raw, framerate=(fraction)0/1');
    const sink = fakeSink<RawVideoPacket>();
    const strict = { ...sink, elements: sink.elements.map((e) => ({ ...e, sinkCaps: only01 })) } as typeof sink;
    await expect(pipe(videoTestSrc({ numBuffers: 1 }), strict).run({ clock: new VirtualClock() })).rejects.toThrow(/could not fixate/);
  });
});
