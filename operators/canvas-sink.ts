import { Caps } from '../src/caps';
import { defineElement, prop } from '../src/descriptor';
import { G2gError } from '../src/errors';
import type { VideoFrameMemory } from '../src/memory/memory';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
import type { MaybePromise } from '../src/util/promise';

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
  description: 'Draws WebCodecs VideoFrames (memory:VideoFrame) onto a 2D canvas given as an extra, and closes them',
  caps: { sink: SINK_CAPS },
  notes:
    'Each frame is drawn (drawImage, scaled to the canvas) as soon as it arrives, then closed; one older than the live deadline (dropLate) is dropped by the runtime, which closes it (counted as a late drop). Presentation is the next requestAnimationFrame: counted there, and reported to onPresented, whose frame is still on the canvas then (the sink waits for it); without onPresented a frame drawn over before the page painted counts as replaced.',
  properties: {
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
 * whose getContext('2d') works (HTMLCanvasElement, OffscreenCanvas).
 */
export const canvasSink = CANVAS_SINK.implement((s, x: CanvasSinkExtras): Sink<FramePacket> & { readonly counters: CanvasSinkCounters } => {
  const { canvas, onPresented } = x;
  if (!canvas || typeof canvas.getContext !== 'function')
    throw new G2gError('CANVAS_SINK_CANVAS', 'canvasSink needs a canvas (an HTMLCanvasElement or OffscreenCanvas) in its options');
  const counters: CanvasSinkCounters = { presented: 0, replaced: 0 };
  const sink = defineSink<FramePacket>({
    sinkCaps: SINK_CAPS,
    sync: s.sync,
    // Late frames are dropped by the runtime, which closes them (discardPacket).
    dropLate: s.dropLate,
    open: () => {
      const ctx2d = canvas.getContext('2d');
      if (!ctx2d) throw new G2gError('CANVAS_SINK_CONTEXT', 'canvasSink: the canvas gave no 2D context (it may already have another kind)');
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
          try {
            const w = frame.displayWidth ?? frame.codedWidth;
            const h = frame.displayHeight ?? frame.codedHeight;
            if (s.resize && (canvas.width !== w || canvas.height !== h)) (canvas.width = w), (canvas.height = h);
            ctx2d.drawImage(frame, 0, 0, canvas.width, canvas.height);
          } finally {
            frame.close();
          }
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
    },
  });
  return Object.assign(sink, { counters });
});

export type CanvasSinkOptions = Parameters<typeof canvasSink>[0];
