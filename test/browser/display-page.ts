// The page of display.test.ts: fileSrc → h264Parse → webCodecsDec → canvasSink in headless Chromium, the canvas
// read back after each presented frame. Driven from the test through `window.g2gDisplay` (display-webgpu.test.ts
// too, with `sink.context: 'webgpu'`).
import { canvasSink, type Presentation } from '../../operators/canvas-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { webCodecsDec } from '../../operators/web-codecs-dec';
import { Caps } from '../../src/caps';
import { defineTransform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { mapReader } from '../../src/reader';
import { pipe } from '../../src/pipeline';

/** Drops the first `n` access units (a stream joined mid-GOP) and stamps each unit's captureTime (the clock now), recorded by pts. */
const joinLate = (n: number, stamped: Map<number | undefined, number>, age: number) =>
  defineTransform<Packet, Packet>({
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open: (ctx, up) => {
      let seen = 0;
      return mapReader(up, (p) => {
        if (seen++ < n) return undefined;
        const captureTime = ctx.clock.now() - age;
        stamped.set(p.pts, captureTime);
        return { ...p, meta: { ...p.meta, captureTime } };
      });
    },
  });

function b64(u8: Uint8Array): string {
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
}

/** How canvasSink draws: its context, and (to test the failure path) a device that never comes. */
export interface SinkSetup {
  context?: '2d' | 'webgpu';
  failDevice?: boolean;
}

export interface DisplayResult {
  /** RGB (alpha dropped) of the canvas after each presented frame, base64. */
  frames: string[];
  width: number;
  height: number;
  pts: (number | undefined)[];
  captureTimes: (number | undefined)[];
  /** The captureTime stamped on each presented frame's access unit. */
  stamped: (number | undefined)[];
  presentedAt: number[];
  counters: { presented: number; replaced: number; late: number; skipped: number; decoded: number; frames: number; lost: number };
  /** Frames still open after the run (VideoFrame wrapped to count closes). */
  unclosed: number;
  maxInDecoder: number;
  /** How the run failed, if it did. */
  error: string | undefined;
}

const api = {
  async display(url: string, profile: 'live' | 'throughput', dropFirst = 0, age = 0, abortAfter = 0, setup: SinkSetup = {}): Promise<DisplayResult> {
    const r = await fetch(url);
    const bytes = new Uint8Array(await r.arrayBuffer());
    const canvas = document.createElement('canvas');
    document.body.append(canvas);
    const context = setup.context ?? '2d';
    // A WebGPU canvas has no 2D context, and Chromium clears it once presented (no preserveDrawingBuffer), so the
    // page cannot read it back: the test screenshots it instead, through the function it exposes.
    const ctx = context === '2d' ? canvas.getContext('2d', { willReadFrequently: true })! : undefined;
    const screenshot = (globalThis as { g2gScreenshotCanvas?: () => Promise<string> }).g2gScreenshotCanvas;
    const shoot = (): Promise<string> => screenshot?.() ?? Promise.reject(new Error('the test exposed no g2gScreenshotCanvas'));
    const frames: string[] = [];
    const pts: (number | undefined)[] = [];
    const captureTimes: (number | undefined)[] = [];
    const stamped = new Map<number | undefined, number>();
    const presentedAt: number[] = [];
    // Count opens and closes of the frames the decoder hands out.
    let open = 0;
    // Units handed to the decoder whose frame has not come out yet: the most at any time.
    let inDecoder = 0;
    let maxInDecoder = 0;
    const g = globalThis as { VideoDecoder: typeof VideoDecoder };
    const Real = g.VideoDecoder;
    class Counting extends Real {
      constructor(init: VideoDecoderInit) {
        super({
          output: (f) => {
            open++;
            inDecoder--;
            const c = f.close.bind(f);
            let done = false;
            Object.defineProperty(f, 'close', { value: () => (done ? undefined : ((done = true), open--, c())) });
            init.output(f);
          },
          error: init.error,
        });
      }
      override decode(chunk: EncodedVideoChunk): void {
        maxInDecoder = Math.max(maxInDecoder, ++inDecoder);
        super.decode(chunk);
      }
    }
    g.VideoDecoder = Counting;
    try {
      const abort = new AbortController();
      const dec = webCodecsDec();
      const sink = canvasSink({
        canvas,
        context,
        ...(setup.failDevice ? { device: () => Promise.reject(new Error('no device for the test')) } : {}),
        onPresented: (p) => {
          if (!ctx)
            return shoot().then((shot) => {
              frames.push(shot);
              record(p);
            });
          const img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          const rgb = new Uint8Array((img.length / 4) * 3);
          for (let i = 0, j = 0; i < img.length; i += 4, j += 3) (rgb[j] = img[i]), (rgb[j + 1] = img[i + 1]), (rgb[j + 2] = img[i + 2]);
          frames.push(b64(rgb));
          record(p);
        },
      });
      function record(p: Presentation): void {
        pts.push(p.pts);
        captureTimes.push(p.captureTime);
        presentedAt.push(p.presentedAt);
        if (p.count === abortAfter) abort.abort(new Error('stopped by the test'));
      }
      let error: string | undefined;
      let late = 0;
      await pipe(fileSrc({ source: bytes }), h264Parse(), joinLate(dropFirst, stamped, age), dec, sink)
        .run({ profile, signal: abort.signal })
        .then((stats) => void (late = stats.elements.find((e) => e.factory === 'canvasSink')?.drops.late ?? 0))
        .catch((e: unknown) => void (error = String(e)));
      return {
        frames,
        width: canvas.width,
        height: canvas.height,
        pts,
        captureTimes,
        stamped: pts.map((t) => stamped.get(t)),
        presentedAt,
        counters: { ...sink.counters, late, ...dec.counters },
        unclosed: open,
        maxInDecoder,
        error,
      };
    } finally {
      g.VideoDecoder = Real;
      canvas.remove();
    }
  },

  /** webCodecsDec on a host without VideoDecoder: the error it gives. */
  noDecoder(): { name: string; code: string; message: string } | undefined {
    const g = globalThis as { VideoDecoder?: unknown };
    const saved = g.VideoDecoder;
    delete g.VideoDecoder;
    try {
      webCodecsDec();
      return undefined;
    } catch (e) {
      const x = e as { name: string; code: string; message: string };
      return { name: x.name, code: x.code, message: x.message };
    } finally {
      g.VideoDecoder = saved;
    }
  },
};

(globalThis as { g2gDisplay?: typeof api }).g2gDisplay = api;
export type DisplayPageApi = typeof api;
