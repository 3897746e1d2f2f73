// Test sources for consumers of strided raw video (VIDEO_META): shared by the CPU and WebGPU tests.
import { seededBytes, stridedFrame, type StridedPlacement } from './strided-frame';
import { Caps, fraction } from '../../src/caps';
import { EOS, type Reader } from '../../src/element';
import { cpuMemory, type CpuMemory } from '../../src/memory/memory';
import { defineSource, defineTransform, type Source, type Transform } from '../../src/operator';
import { packet, type Packet } from '../../src/packet';
import { MILLISECOND } from '../../src/time';
import { frameLayout, rawVideoCaps, type VideoFormat } from '../../src/video/format';
import { VIDEO_META, withVideoMeta } from '../../src/video/meta';

export const W = 37;
export const H = 23;
export const FRAMES = 4;

/** Per frame, a different placement: the layout may change from packet to packet under the same caps. */
const placements: StridedPlacement[] = [
  { rowPad: [27, 5, 11], gap: [0, 16, 3], order: [0, 1, 2], tail: 0, garbageSeed: 1 },
  { rowPad: [3, 0, 1], gap: [8, 0, 0], order: [2, 1, 0], tail: 3, garbageSeed: 2 },
  { rowPad: [0, 0, 0], gap: [0, 0, 0], order: [0, 1, 2], tail: 0, garbageSeed: 3 },
  { rowPad: [64, 32, 32], gap: [5, 7, 9], order: [1, 0, 2], tail: 1, garbageSeed: 4 },
];

/**
 * A producer such as a decoder: FRAMES frames of the same pictures, strided with a video meta when
 * everything downstream honours VIDEO_META (and `strided`), else tightly packed. Counts metas attached.
 */
export function frames(format: VideoFormat, strided: boolean, attached: { n: number }): Source<Packet<CpuMemory>> {
  const c = rawVideoCaps({ format, width: W, height: H, framerate: fraction(25, 1) });
  return defineSource<Packet<CpuMemory>>({
    factory: 'stridedSrc',
    props: {},
    srcCaps: c,
    open(ctx): Reader<Packet<CpuMemory>> {
      const meta = strided && ctx.downstreamMetas.includes(VIDEO_META);
      let i = 0;
      return {
        pull() {
          if (i === FRAMES) return EOS;
          const packed = seededBytes(frameLayout(format, W, H).size, 100 + i);
          const common = { caps: c, pts: i * 40 * MILLISECOND, duration: 40 * MILLISECOND };
          const k = i++;
          if (!meta) return packet({ ...common, memory: cpuMemory(packed) });
          attached.n++;
          const s = stridedFrame(format, W, H, packed, placements[k]);
          return packet({ ...common, memory: cpuMemory(s.data), meta: withVideoMeta({}, s.layout) });
        },
      };
    },
  });
}

/** A passthrough probe recording, at open, the metas its output may carry (what a producer there reads). */
export function probe(seen: (readonly string[])[]): Transform<Packet<CpuMemory>, Packet<CpuMemory>> {
  return defineTransform<Packet<CpuMemory>, Packet<CpuMemory>>({
    factory: 'metaProbe',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    metas: 'forward',
    open(ctx, up) {
      seen.push(ctx.downstreamMetas);
      return up;
    },
  });
}

