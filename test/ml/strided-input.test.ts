import { describe, expect, it } from 'vitest';
import { seededBytes } from './strided-frame';
import { FRAMES, frames, probe } from './strided-source';
import { fakeSink } from '../../operators/fake-sink';
import { tensorPreprocess, type TensorPreprocessOptions } from '../../operators/tensor-preprocess';
import { fraction } from '../../src/caps';
import { VirtualClock } from '../../src/clock';
import { EOS } from '../../src/element';
import { cpuMemory } from '../../src/memory/memory';
import { defineSource } from '../../src/operator';
import { packet } from '../../src/packet';
import { tensorData, type TensorPacket } from '../../src/ml/tensor';
import { pipe } from '../../src/pipeline';
import { frameLayout, rawVideoCaps, type VideoFormat } from '../../src/video/format';
import { VIDEO_META, withVideoMeta } from '../../src/video/meta';
import { RELEASE } from '../../src/memory/release';

const opts: TensorPreprocessOptions = { width: 24, height: 20, resize: 'letterbox', padValue: 114, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

async function tensors(format: VideoFormat, strided: boolean, attached = { n: 0 }): Promise<TensorPacket[]> {
  const out: TensorPacket[] = [];
  await pipe(frames(format, strided, attached), tensorPreprocess(opts), fakeSink<TensorPacket>({ onPacket: (p) => void out.push(p) })).run({ clock: new VirtualClock() });
  return out;
}

describe('tensorPreprocess on strided frames (VIDEO_META)', () => {
  it('is asked for video metas: a producer before it sees VIDEO_META (and RELEASE: it consumes each frame) in ctx.downstreamMetas', async () => {
    const seen: (readonly string[])[] = [];
    await pipe(frames('NV12', false, { n: 0 }), probe(seen), tensorPreprocess(opts), fakeSink()).run({ clock: new VirtualClock() });
    expect(seen).toEqual([[VIDEO_META, RELEASE]]);
  });

  for (const format of ['NV12', 'I420', 'RGBA'] as const) {
    it(`${format}: strided frames give exactly the tensors of the same frames packed`, async () => {
      const attached = { n: 0 };
      const strided = await tensors(format, true, attached);
      const packed = await tensors(format, false);
      // The source really sent strided frames (it attaches metas only when downstream honours them).
      expect(attached.n).toBe(FRAMES);
      expect(strided).toHaveLength(FRAMES);
      expect(packed).toHaveLength(FRAMES);
      for (let i = 0; i < FRAMES; i++) {
        expect(strided[i].pts).toBe(packed[i].pts);
        expect(strided[i].caps.toString()).toBe(packed[i].caps.toString());
        expect(strided[i].meta.geometry).toEqual(packed[i].meta.geometry);
        expect(tensorData(strided[i])).toEqual(tensorData(packed[i]));
        // The frame's plane layout describes the frame, not the tensor: it does not follow.
        expect(strided[i].meta.videoMeta).toBeUndefined();
      }
    });
  }

  it('fails the run, naming the mismatch, on a video meta for another frame size than the caps say', async () => {
    const c = rawVideoCaps({ format: 'NV12', width: 38, height: 24, framerate: fraction(25, 1) });
    const wrong = frameLayout('NV12', 36, 24);
    let sent = false;
    const src = defineSource({
      factory: 'liar',
      props: {},
      srcCaps: c,
      open: () => ({ pull: () => (sent ? EOS : ((sent = true), packet({ caps: c, pts: 0, memory: cpuMemory(seededBytes(frameLayout('NV12', 38, 24).size, 1)), meta: withVideoMeta({}, wrong) }))) }),
    });
    const err = await pipe(src, tensorPreprocess(opts), fakeSink()).run({ clock: new VirtualClock() }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/video meta for a 36x24 NV12 frame on 38x24 NV12 caps/);
  });
});
