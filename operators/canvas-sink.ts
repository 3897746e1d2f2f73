import { Caps } from '../src/caps';
import { defineElement, prop } from '../src/descriptor';
import { G2gError } from '../src/errors';
import type { VideoFrameMemory } from '../src/memory/memory';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';
import { navigatorGpuDevice } from '../src/ml/navigator-gpu';
import { webGpuPresenter, type WebGpuPresenter } from './canvas-webgpu';

/*
 * The canvas, typed structurally: the package's declarations are compiled without the DOM lib. An
 * HTMLCanvasElement or an OffscreenCanvas fits; so does anything else with a 2D context that draws VideoFrames.
 */

/** The part of a 2D context canvasSink uses (CanvasRenderingContext2D, OffscreenCanvasRenderingContext2D). */
export interface CanvasContext2DLike {
  drawImage(image: object, dx: number, dy: number, dw: number, dh: number): void;
}

/** The part of a canvas canvasSink uses (HTMLCanvasElement, OffscreenCanvas). */
export interface CanvasLike {
  width: number;
  height: number;
  getContext(contextId: '2d'): CanvasContext2DLike | null;
  /** Only with `context: 'webgpu'`: a WebGPU canvas context. */
  getContext(contextId: 'webgpu'): unknown;
}

/** What onPresented learns of each frame. */
export interface Presentation {
  /** The frame's pts (ns), if it had one. */
  readonly pts: number | undefined;
  /** Its capture time (ns, pipeline clock), if it carried one. */
  readonly captureTime: number | undefined;
  /** The requestAnimationFrame time (ms, performance.now()'s clock) of the first frame the page painted after the draw; performance.now() where there is no requestAnimationFrame (workers). */
  readonly presentedAt: number;
  /** Frames presented so far, this one included. */
  readonly count: number;
}

/** Options that are not properties (never in launch syntax). */
export interface CanvasSinkExtras {
  /** The canvas to draw on (required). */
  canvas: CanvasLike;
  /**
   * Called once the page has painted each frame (at the next requestAnimationFrame), while the canvas still
   * shows it: the sink takes the next frame only after it returns (or its promise settles).
   */
  onPresented?: (p: Presentation) => MaybePromise<void>;
  /**
   * With `context: 'webgpu'`, the device to draw with; default navigator.gpu's (`navigatorGpuDevice`). Any
   * device takes a VideoFrame (importExternalTexture): pass another to share one, e.g. onnxruntime-web's.
   */
  device?: () => Promise<object>;
}

/** Counts of the running sink. */
export interface CanvasSinkCounters {
  /** Frames drawn and painted. */
  presented: number;
  /** Frames drawn but replaced by the next one before the page painted (without onPresented the sink never waits). */
  replaced: number;
}

const SINK_CAPS = Caps.parse('video/x-raw(memory:VideoFrame)');

export const CANVAS_SINK = defineElement({
  name: 'canvasSink',
  kind: 'sink',
  description: 'Draws WebCodecs VideoFrames (memory:VideoFrame) onto a canvas given as an extra (2D or WebGPU context), and closes them',
  caps: { sink: SINK_CAPS },
  notes:
    'Each frame is drawn (2D: drawImage; webgpu: importExternalTexture sampled by a full-screen pass; scaled to the canvas) as soon as it arrives, then closed; one older than the live deadline (dropLate) is dropped by the runtime, which closes it (counted as a late drop). Presentation is the next requestAnimationFrame: counted there, and reported to onPresented, whose frame is still on the canvas then (the sink waits for it); without onPresented a frame drawn over before the page painted counts as replaced.',
  properties: {
    context: prop.enum(['2d', 'webgpu'] as const, {
      default: '2d',
      doc: "The canvas context to draw with: '2d' (drawImage) or 'webgpu' (the frame imported as a GPUExternalTexture, no CPU copy)",
    }),
    resize: prop.boolean({ default: true, doc: "Size the canvas to each frame's display size (else scale frames to the canvas)" }),
    sync: prop.boolean({ defaultDoc: "the profile's (false in both built-in profiles)", doc: "Wait for each frame's presentation time on the clock" }),
    dropLate: prop.boolean({ default: true, doc: 'Drop frames older than the live profile deadline' }),
  },
});

type Raf = (cb: (time: number) => void) => number;
/** A decoded WebCodecs frame as canvasSink takes it. */
export type FramePacket = Packet<VideoFrameMemory & { readonly frame: { readonly displayWidth?: number; readonly displayHeight?: number } }>;

/**
 * The display end of a browser pipeline: `pipe(…, webCodecsDec(), canvasSink({ canvas }))`. Needs a canvas
 * whose getContext('2d') works (HTMLCanvasElement, OffscreenCanvas), or, with `context: 'webgpu'`, its
 * getContext('webgpu') and a WebGPU device.
 */
export const canvasSink = CANVAS_SINK.implement((s, x: CanvasSinkExtras): Sink<FramePacket> & { readonly counters: CanvasSinkCounters } => {
  const { canvas, onPresented, device } = x;
  if (!canvas || typeof canvas.getContext !== 'function')
    throw new G2gError('CANVAS_SINK_CANVAS', 'canvasSink needs a canvas (an HTMLCanvasElement or OffscreenCanvas) in its options');
  const counters: CanvasSinkCounters = { presented: 0, replaced: 0 };
  const sink = defineSink<FramePacket>({
    sinkCaps: SINK_CAPS,
    sync: s.sync,
    // Late frames are dropped by the runtime, which closes them (discardPacket).
    dropLate: s.dropLate,
    open: () => {
      const draw = s.context === 'webgpu' ? drawWebGpu(canvas, device ?? navigatorGpuDevice) : draw2d(canvas);
      const raf = (globalThis as { requestAnimationFrame?: Raf }).requestAnimationFrame?.bind(globalThis);
      const now = (): number => (globalThis as { performance?: { now(): number } }).performance?.now() ?? Date.now();
      /** A drawn frame waiting for the page to paint. */
      let waiting: { p: FramePacket; painted: Promise<number> } | undefined;
      const paint = (): Promise<number> => (raf ? new Promise<number>((r) => raf(r)) : Promise.resolve(now()));
      const presented = (p: FramePacket, at: number): MaybePromise<void> => {
        counters.presented++;
        return onPresented?.({ pts: p.pts, captureTime: p.meta.captureTime, presentedAt: at, count: counters.presented });
      };
      return {
        write(p) {
          const frame = p.memory.frame;
          let drawn: MaybePromise<void>;
          try {
            const w = frame.displayWidth ?? frame.codedWidth;
            const h = frame.displayHeight ?? frame.codedHeight;
            if (s.resize && (canvas.width !== w || canvas.height !== h)) (canvas.width = w), (canvas.height = h);
            drawn = draw(frame);
          } catch (e) {
            frame.close();
            throw e;
          }
          // WebGPU draws once its device is ready: the frame is closed when the draw has been submitted (or failed).
          if (isPromiseLike(drawn))
            return Promise.resolve(drawn)
              .finally(() => frame.close())
              .then(() => shown(p));
          frame.close();
          return shown(p);
        },
        async end() {
          // The last frame counts once painted.
          const last = waiting;
          if (last) await last.painted.then(() => undefined);
        },
        close() {
          waiting = undefined;
        },
      };
      /** Counts the drawn frame at the next paint (waiting for it and onPresented when there is one). */
      function shown(p: FramePacket): MaybePromise<void> {
        if (onPresented) return paint().then((at) => presented(p, at));
        if (waiting) counters.replaced++;
        const mine = { p, painted: paint() };
        waiting = mine;
        void mine.painted.then((at) => {
          if (waiting !== mine) return;
          waiting = undefined;
          void presented(p, at);
        });
        return undefined;
      }
    },
  });
  return Object.assign(sink, { counters });
});

/** How a mode draws a frame over the whole canvas (the caller closes the frame). */
type Draw = (frame: object) => MaybePromise<void>;

function draw2d(canvas: CanvasLike): Draw {
  const ctx2d = canvas.getContext('2d');
  if (!ctx2d) throw new G2gError('CANVAS_SINK_CONTEXT', 'canvasSink: the canvas gave no 2D context (it may already have another kind)');
  return (f) => ctx2d.drawImage(f, 0, 0, canvas.width, canvas.height);
}

function drawWebGpu(canvas: CanvasLike, device: () => Promise<object>): Draw {
  // Started at open so that the device and the pipeline are ready by the first frame; a failure surfaces there.
  const ready: Promise<WebGpuPresenter> = device().then((d) => webGpuPresenter(canvas, d));
  ready.catch(() => undefined);
  return (f) => ready.then((g) => g.draw(f));
}

export type CanvasSinkOptions = Parameters<typeof canvasSink>[0];
