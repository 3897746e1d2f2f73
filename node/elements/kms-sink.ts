import { defineElement, prop, type SettingsOf } from '../../src/descriptor';
import type { ElementContext, Writer } from '../../src/element';
import type { CpuMemory } from '../../src/memory/memory';
import { RELEASE } from '../../src/memory/release';
import { defineSink, type Sink } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { ElementError } from '../../src/pipeline/errors';
import { rawVideoTemplate, type VideoFormat } from '../../src/video/format';
import { VIDEO_META, videoLayoutReader } from '../../src/video/meta';
import type { KmsDisplay, KmsOutput } from '../native';
import { PresentationTracker } from './presentation';
import type { LatencySummary } from '../../src/pipeline/histogram';
import { loadNative, type NativeBinding } from '../native/loader';

/** What it shows: the same conversions as waylandSink (native/src/wayland/convert.rs) into XRGB8888. */
const FORMATS: readonly VideoFormat[] = ['RGBA', 'I420', 'NV12'];
const SINK_CAPS = rawVideoTemplate(FORMATS);
/** Flip ids awaiting their event: more means the events stopped (a frame's feedback is then forgotten). */
/** How long end of stream waits for the last frames' flips (a few vblanks at any rate a display runs). */
const DRAIN_MS = 200;

/** Options that are not properties (never in launch syntax). */
export interface KmsSinkExtras {
  /** The addon to use (tests); default loadNative(). */
  addon?: NativeBinding;
}

/** What the sink counts, live while it runs (`sink.counters`). */
export interface KmsSinkCounters {
  /** Frames committed as page flips. */
  committed: number;
  /** Flips completed: the frame was scanned out from that vblank on. */
  presented: number;
  /** Frames not shown: no free buffer, or replaced while queued by a newer frame before their vblank. */
  dropped: number;
  /** The output in use (device, connector, mode), once opened. */
  output: KmsOutput | undefined;
  /** Last presented frame's vblank on the pipeline clock (ns), converted from CLOCK_MONOTONIC. */
  readonly lastPresented: number | undefined;
  /** Capture → presented latency (ns) of frames that carried a capture time: p50/p95/p99/max (a fixed-memory histogram). */
  latency(): LatencySummary | undefined;
}

export type KmsSink = Sink<Packet<CpuMemory>> & { readonly counters: Readonly<KmsSinkCounters> };

export const KMS_SINK = defineElement({
  name: 'kmsSink',
  kind: 'sink',
  description: 'Shows raw video on a display through DRM/KMS with no compositor: atomic modesetting, dumb buffers, page flips at vblank (GStreamer kmssink)',
  caps: { sink: SINK_CAPS },
  metas: [VIDEO_META, RELEASE],
  notes:
    'Opens the card and sets the mode when the pipeline starts: no DRM device, no connected connector, no such mode or another DRM master (a running compositor) is an error naming the sink before any frame. Frames are converted (RGBA swizzled, I420/NV12 as BT.601 limited) into mode-sized XRGB8888 dumb buffers, centred (cropped when larger; not scaled), and flipped at the next vblank by a non-blocking atomic commit; a thread in the addon reads the flip events, so the JS thread never waits for a vblank. While a flip is in flight the newest frame waits (one at most; a newer one replaces it, counted as dropped). Built into the addon by default (cargo feature `kms`, raw ioctls, no libdrm).',
  properties: {
    device: prop.string({ defaultDoc: 'the first /dev/dri/card* with a connected connector', doc: 'DRM card to drive (e.g. /dev/dri/card0)' }),
    connector: prop.string({ defaultDoc: 'the first connected', doc: 'Connector by name (HDMI-A-1, DP-1, eDP-1) or object id' }),
    mode: prop.string({
      pattern: /^\d+[xX]\d+(@\d+(\.\d+)?)?$/,
      accepts: 'WIDTHxHEIGHT or WIDTHxHEIGHT@HZ (e.g. 1920x1080@60)',
      defaultDoc: "the connector's preferred mode",
      doc: 'Display mode; a rate matches within 0.6 Hz (60 finds 59.94), none: the highest of that size',
    }),
    buffers: prop.uint({ default: 3, min: 2, max: 4, doc: 'Scan-out buffers (2: a frame is dropped while a flip is in flight)' }),
    sync: prop.boolean({
      defaultDoc: "the profile's (false: show each frame at the next vblank)",
      doc: "Wait for each frame's presentation time on the clock",
    }),
  },
});

export type KmsSinkOptions = NonNullable<Parameters<typeof kmsSink>[0]>;
type KmsSinkSettings = SettingsOf<typeof KMS_SINK.properties>;

function newCounters(tracker: PresentationTracker): KmsSinkCounters {
  return {
    committed: 0,
    presented: 0,
    dropped: 0,
    output: undefined,
    get lastPresented() {
      return tracker.lastPresented;
    },
    latency: () => tracker.latency(),
  };
}

/**
 * A DRM/KMS display sink (GStreamer's kmssink): raw RGBA/I420/NV12 frames shown full-screen on a connector
 * with no compositor, flipped at vblank. `counters` reports committed/presented/dropped flips and capture →
 * presented latency on the pipeline clock.
 */
export const kmsSink = KMS_SINK.implement((s, x: KmsSinkExtras): KmsSink => {
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
  return Object.assign(sink, { counters: counters as Readonly<KmsSinkCounters> });
});

function openSink(
  ctx: ElementContext,
  addon: NativeBinding,
  s: KmsSinkSettings,
  counters: KmsSinkCounters,
  tracker: PresentationTracker
): Writer<Packet<CpuMemory>> {
  let d: KmsDisplay;
  try {
    // An addon built without the `kms` feature has no KmsDisplay: said as plainly as a missing device.
    if (typeof addon.KmsDisplay !== 'function') throw new Error('the native addon was built without the kms feature (cargo feature `kms`)');
    // Sets the mode now: no device or connector fails before the first frame, naming the sink.
    d = new addon.KmsDisplay({ device: s.device, connector: s.connector, mode: s.mode, buffers: s.buffers });
  } catch (e) {
    throw new ElementError(ctx.name, undefined, e);
  }
  counters.output = d.output;
  let closed = false;
  const layoutOf = videoLayoutReader();

  const collect = (): void => {
    const fb = d.takeFeedback();
    if (fb.length > 0) {
      // Both clocks read together relate CLOCK_MONOTONIC (the flip events') to the pipeline clock.
      const offset = ctx.clock.now() - d.clockNow();
      // The flip's vblank is when the frame turned into light: glass-to-glass ends there.
      for (const f of fb) tracker.settled(ctx, f.id, f.presented, offset);
    }
    const st = d.stats();
    counters.committed = st.committed;
    counters.presented = st.presented;
    if (st.dropped > counters.dropped) ctx.report.drop('late', st.dropped - counters.dropped);
    counters.dropped = st.dropped;
  };

  return {
    write(p) {
      if (p.memory.domain !== 'cpu') throw new TypeError(`kmsSink needs frames in CPU memory, got ${p.memory.domain}`);
      const { info, layout } = layoutOf(p);
      const id = d.present(
        p.memory.data,
        info.format,
        info.width,
        info.height,
        layout.planes.map((q) => q.offset),
        layout.planes.map((q) => q.stride)
      );
      tracker.committed(id, p.meta.captureTime);
      collect();
    },
    async end() {
      await d.drain(DRAIN_MS);
      collect();
    },
    close() {
      if (closed) return;
      closed = true;
      collect();
      d.close();
    },
  };
}
