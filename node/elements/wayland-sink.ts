import { Caps } from '../../src/caps';
import { defineElement, prop, type SettingsOf } from '../../src/descriptor';
import type { ElementContext, Writer } from '../../src/element';
import type { CpuMemory } from '../../src/memory/memory';
import { RELEASE } from '../../src/memory/release';
import { defineSink, type Sink } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { ElementError } from '../../src/pipeline/errors';
import { rawVideoTemplate, type VideoFormat } from '../../src/video/format';
import { VIDEO_META, videoLayoutReader } from '../../src/video/meta';
import type { WaylandWindow } from '../native';
import { PresentationTracker } from './presentation';
import type { LatencySummary } from '../../src/pipeline/histogram';
import { loadNative, type NativeBinding } from '../native/loader';

/** What it shows (converted to XRGB8888 in the addon; YUV as BT.601 limited range). */
const FORMATS: readonly VideoFormat[] = ['RGBA', 'I420', 'NV12'];
const SINK_CAPS = rawVideoTemplate(FORMATS);
/** How long end of stream waits for the last frames' presentation feedback. */
const DRAIN_MS = 1000;

/** Options that are not properties (never in launch syntax). */
export interface WaylandSinkExtras {
  /** The addon to use (tests); default loadNative(). */
  addon?: NativeBinding;
}

/** What the sink counts, live while it runs (`sink.counters`). */
export interface WaylandSinkCounters {
  /** Frames committed to the compositor. */
  committed: number;
  /** Frames the compositor reported presented (wp_presentation feedback). */
  presented: number;
  /** Frames the compositor reported discarded (replaced by a later commit before a repaint). */
  discarded: number;
  /** Frames not committed: every buffer of the pool was still held by the compositor. */
  dropped: number;
  /** Frames that waited for the compositor (it had not repainted since the last commit) and were replaced by a newer one. */
  replaced: number;
  /** Presentation clock id (4: CLOCK_MONOTONIC_RAW); -1 until the compositor said. */
  clockId: number;
  /** Shared-memory pools mapped or grown: once per larger frame size, never per frame. */
  poolAllocations: number;
  /** wl_buffers made: the pool's slots, again only when the frame size changes. */
  buffersCreated: number;
  /** Frames handed over as linux-dmabuf YUV buffers (dmabuf=auto and the compositor offers the format). */
  dmabufFrames: number;
  /** Last presented frame's time on the pipeline clock (ns), converted from the presentation clock. */
  readonly lastPresented: number | undefined;
  /** Capture → presented latency (ns) of frames that carried a capture time: p50/p95/p99/max (a fixed-memory histogram). */
  latency(): LatencySummary | undefined;
}

export type WaylandSink = Sink<Packet<CpuMemory>> & { readonly counters: Readonly<WaylandSinkCounters> };

export const WAYLAND_SINK = defineElement({
  name: 'waylandSink',
  kind: 'sink',
  description: 'Shows raw video in a Wayland window (xdg-shell, wl_shm) with wp_presentation feedback, in the native addon (GStreamer waylandsink)',
  caps: { sink: SINK_CAPS },
  metas: [VIDEO_META, RELEASE],
  notes:
    'Connects when the pipeline starts (no WAYLAND_DISPLAY or socket: an error before any frame). Each frame is converted (RGBA swizzled, I420/NV12 as BT.601 limited) into a free buffer of one wl_shm pool reused across frames and committed at once (pacing=latest: the compositor shows the newest at its repaint, the others come back discarded) or, with pacing=frame-callback, when the compositor has repainted since the last commit (else it waits for the frame callback, one frame at most, a newer frame replacing it, counted as late). The JS thread never waits for the compositor: a dispatch thread in the addon reads its events and commits the waiting frame. A frame that finds every buffer held is dropped (counted). Presentation feedback gives presented/discarded counts and capture → presented latency. A compositor gone mid-stream fails the pipeline naming the sink.',
  properties: {
    fullscreen: prop.boolean({ default: false, doc: 'Ask the compositor for a fullscreen window' }),
    title: prop.string({ default: 'glass2glass', doc: 'Window title' }),
    display: prop.string({ defaultDoc: '$WAYLAND_DISPLAY', doc: 'Wayland socket name (in $XDG_RUNTIME_DIR) or absolute path' }),
    buffers: prop.uint({ default: 3, min: 2, max: 8, doc: 'Buffers in the shared-memory pool' }),
    dmabuf: prop.enum(['auto', 'never'] as const, {
      default: 'auto',
      doc: 'auto: I420/NV12 (even sizes) handed over as linux-dmabuf YUV buffers where the compositor offers the format (copied, not converted: the compositor samples YUV); never: always wl_shm XRGB converted here',
    }),
    pacing: prop.enum(['latest', 'frame-callback'] as const, {
      default: 'latest',
      doc: "latest: commit every frame at once, the compositor shows the newest at its repaint (least latency; the rest come back discarded); frame-callback: a frame waits for the compositor's frame callback, the newest replacing older (no wasted commit, up to one refresh more latency)",
    }),
    sync: prop.boolean({
      defaultDoc: "the profile's (false: show each frame as soon as it comes)",
      doc: "Wait for each frame's presentation time on the clock",
    }),
  },
});

export type WaylandSinkOptions = NonNullable<Parameters<typeof waylandSink>[0]>;
type WaylandSinkSettings = SettingsOf<typeof WAYLAND_SINK.properties>;

function newCounters(tracker: PresentationTracker): WaylandSinkCounters {
  return {
    committed: 0,
    presented: 0,
    discarded: 0,
    dropped: 0,
    replaced: 0,
    clockId: -1,
    poolAllocations: 0,
    buffersCreated: 0,
    dmabufFrames: 0,
    get lastPresented() {
      return tracker.lastPresented;
    },
    latency: () => tracker.latency(),
  };
}

/**
 * A Wayland display sink (GStreamer's waylandsink): raw RGBA/I420/NV12 frames shown in an xdg_toplevel
 * (optionally fullscreen) through a reused wl_shm pool. The addon's dispatch thread reads the compositor's
 * events, so the JS thread never blocks on it; `counters` reports presented/discarded frames from
 * wp_presentation feedback and capture → presented latency on the pipeline clock.
 */
export const waylandSink = WAYLAND_SINK.implement((s, x: WaylandSinkExtras): WaylandSink => {
  // Loaded now, so a missing addon fails when the pipeline is built, with the build instructions.
  const addon = x.addon ?? loadNative();
  const tracker = new PresentationTracker();
  const counters = newCounters(tracker);
  const sink = defineSink<Packet<CpuMemory>>({
    sinkCaps: SINK_CAPS,
    sync: s.sync,
    metas: [VIDEO_META, RELEASE],
    open: (ctx) => openSink(ctx, addon, s, counters, tracker),
  });
  return Object.assign(sink, { counters: counters as Readonly<WaylandSinkCounters> });
});

function openSink(
  ctx: ElementContext,
  addon: NativeBinding,
  s: WaylandSinkSettings,
  counters: WaylandSinkCounters,
  tracker: PresentationTracker
): Writer<Packet<CpuMemory>> {
  let w: WaylandWindow;
  try {
    // Throws at once without a display: before the first frame, naming the sink as a failure while running would.
    w = new addon.WaylandWindow({ title: s.title, fullscreen: s.fullscreen, display: s.display, buffers: s.buffers, pacing: s.pacing, dmabuf: s.dmabuf });
  } catch (e) {
    throw new ElementError(ctx.name, undefined, e);
  }
  let closed = false;
  let ready: Promise<void> | undefined = w.ready();
  ready.catch(() => undefined); // awaited by the first write; a failure before it must not go unhandled
  const layoutOf = videoLayoutReader();

  const collect = (): void => {
    const fb = w.takeFeedback();
    if (fb.length > 0) {
      // The presentation clock's now and the pipeline clock's now, read together, relate the two clocks.
      const offset = ctx.clock.now() - w.clockNow();
      for (const f of fb) tracker.settled(ctx, f.id, f.presented, offset);
    }
    sync();
  };

  const sync = (): void => {
    const st = w.stats();
    counters.committed = st.committed;
    counters.presented = st.presented;
    counters.discarded = st.discarded;
    counters.clockId = st.clockId;
    counters.poolAllocations = st.poolAllocations;
    counters.buffersCreated = st.buffersCreated;
    counters.dmabufFrames = st.dmabufFrames;
    // Both are frames that came too late to be shown: the pipeline's late drops.
    const late = st.dropped - counters.dropped + (st.replaced - counters.replaced);
    if (late > 0) ctx.report.drop('late', late);
    counters.dropped = st.dropped;
    counters.replaced = st.replaced;
  };

  const show = (p: Packet<CpuMemory>): void => {
    const { info, layout } = layoutOf(p);
    const id = w.present(
      p.memory.data,
      info.format,
      info.width,
      info.height,
      layout.planes.map((q) => q.offset),
      layout.planes.map((q) => q.stride)
    );
    tracker.committed(id, p.meta.captureTime);
    collect();
  };

  return {
    write(p) {
      if (p.memory.domain !== 'cpu') throw new TypeError(`waylandSink needs frames in CPU memory, got ${p.memory.domain}`);
      if (ready) {
        return ready.then(() => {
          ready = undefined;
          show(p);
        });
      }
      show(p);
    },
    async end() {
      if (ready) await ready;
      await w.drain(DRAIN_MS);
      collect();
    },
    close() {
      if (closed) return;
      closed = true;
      collect();
      w.close();
    },
  };
}
