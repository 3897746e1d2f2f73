import { describe, expect, it } from 'vitest';
import { builtinRegistry, parseLaunch } from '../../operators';
import { fakeSink } from '../../operators/fake-sink';
import { overlay } from '../../operators/overlay';
import { videoTestSrc } from '../../operators/video-test-src';
import { Caps } from '../../src/caps';
import { VirtualClock } from '../../src/clock';
import type { CpuMemory } from '../../src/memory/memory';
import { defineTransform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { rgb } from '../../src/video/color';
import { readPixel, type FrameView } from '../../src/video/draw';
import { frameLayout, VIDEO_FORMATS } from '../../src/video/format';

const GREEN = rgb(0, 220, 0);
const BLACK = rgb(0, 0, 0);
const expectColor = (view: FrameView, x: number, y: number, c: typeof GREEN) =>
  expect(readPixel(view, x, y)).toEqual(view.layout.format === 'RGBA' ? [c.r, c.g, c.b, 255] : [c.y, c.u, c.v]);

/** Adds `meta` to the frames whose index `when` selects, as an inference stage would. */
const annotate = (meta: Record<string, unknown>, when: (i: number) => boolean) => {
  let i = 0;
  return defineTransform<Packet<CpuMemory>, Packet<CpuMemory>>({
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    metas: 'forward',
    open: (_ctx, up) => ({
      pull: async (signal) => {
        const p = await up.pull(signal);
        return typeof p === 'object' && when(i++) ? { ...p, meta: { ...p.meta, ...meta } } : p;
      },
    }),
  });
};

describe('overlay', () => {
  for (const format of VIDEO_FORMATS) {
    it(`${format}: draws box outlines and labels where the meta says, on a counted copy; other frames pass untouched`, async () => {
      const frames: Packet<CpuMemory>[] = [];
      const detections = [{ bounds: { x: 16, y: 24, width: 20, height: 12 }, label: 'AB' }];
      const ocrLines = [{ text: '7', score: 1, box: { bounds: { x: 44, y: 4, width: 8, height: 8 } } }];
      const stats = await pipe(
        videoTestSrc({ pattern: 'black', format, width: 64, height: 48, numBuffers: 2 }),
        annotate({ detections, ocrLines }, (i) => i === 0),
        overlay({ thickness: 2, textScale: 1 }),
        fakeSink({ onPacket: (p) => void frames.push(p as Packet<CpuMemory>) })
      ).run();
      expect(frames).toHaveLength(2);
      const view: FrameView = { layout: frameLayout(format, 64, 48), data: frames[0].memory.data };
      // The outline: two pixels outside the bounds on every side; inside stays black.
      expectColor(view, 14, 30, GREEN); // left edge
      expectColor(view, 36, 30, GREEN); // right edge
      expectColor(view, 26, 36, GREEN); // bottom edge
      expectColor(view, 26, 30, BLACK); // inside
      expectColor(view, 60, 40, BLACK); // elsewhere
      // The label 'AB' sits on a green box above the outline (7 px glyphs + 1 px padding each side = 9 rows).
      expectColor(view, 14, 14, GREEN);
      // The OCR line's box and its text too.
      expectColor(view, 42, 8, GREEN);
      // One explicit copy, for the one annotated frame; the other is the source's own memory, unchanged.
      expect(stats.copies).toMatchObject({ count: 1, implicit: 0 });
      expect(stats.elements.find((e) => e.factory === 'overlay')?.copies.count).toBe(1);
      const plain: FrameView = { layout: frameLayout(format, 64, 48), data: frames[1].memory.data };
      expectColor(plain, 14, 30, BLACK);
    });
  }

  it('show-latency writes capture → overlay on frames carrying a capture time', async () => {
    const clock = new VirtualClock();
    const frames: Packet<CpuMemory>[] = [];
    await pipe(
      videoTestSrc({ pattern: 'black', format: 'RGBA', width: 96, height: 32, numBuffers: 1, isLive: true }),
      overlay({ showLatency: true, textScale: 1 }),
      fakeSink({ onPacket: (p) => void frames.push(p as Packet<CpuMemory>) })
    ).run({ clock, profile: 'live' });
    const view: FrameView = { layout: frameLayout('RGBA', 96, 32), data: frames[0].memory.data };
    expect(readPixel(view, 0, 0)).toEqual([255, 255, 255, 255]); // the white box behind the text
  });

  it('is in launch syntax with its properties', () => {
    const p = parseLaunch('videoTestSrc num-buffers=1 ! overlay color=red thickness=3 show-latency=true ! fakeSink', builtinRegistry);
    expect(p.toString()).toContain('overlay name=overlay0 color=red thickness=3 show-latency=true');
  });
});
