import { caps, fraction, type Caps, type Fraction } from '../src/caps';
import { EOS, type Pulled, type Reader } from '../src/element';
import { cpuMemory, type CpuMemory } from '../src/memory/memory';
import { defineSource, type Source } from '../src/operator';
import { EMPTY_META, PacketFlags, type Packet } from '../src/packet';
import { fixateRawVideo } from '../src/video/fixate';
import { MAX_DIMENSION, rawVideoInfo, rawVideoTemplate, VIDEO_FORMATS, type VideoFormat } from '../src/video/format';
import { OVERLAYS, TEST_PATTERNS, TestPatternGenerator, type TestPatternOptions } from '../src/video/test-pattern';
import { frameTime } from '../src/video/timing';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';

export type RawVideoPacket = Packet<CpuMemory>;

const PREFERRED = { width: 320, height: 240, framerate: fraction(30, 1) };

/** The template: every format, size and rate, narrowed to whatever the options fix. */
function template(o: { format?: VideoFormat; width?: number; height?: number; framerate?: Fraction }): Caps {
  const t = rawVideoTemplate(o.format ? [o.format] : VIDEO_FORMATS);
  const fields = { ...t.structures[0].fields };
  if (o.width !== undefined) fields.width = o.width;
  if (o.height !== undefined) fields.height = o.height;
  if (o.framerate !== undefined) fields.framerate = o.framerate;
  return caps('video/x-raw', fields);
}

export const VIDEO_TEST_SRC = defineElement({
  name: 'videoTestSrc',
  kind: 'source',
  description: 'Raw video test patterns with optional burnt-in frame number, running time or text (GStreamer videotestsrc)',
  caps: { src: rawVideoTemplate() },
  notes:
    'Frame i has pts round(i · 1e9 · den / num) exactly and is a keyframe; each frame is a new buffer (the static pattern is drawn once and copied). Live (is-live): frame i at base time + pts, capture time stamped before drawing.',
  properties: {
    pattern: prop.enum(TEST_PATTERNS, {
      default: 'smpte',
      doc: 'smpte (100% bars, GStreamer pattern 0), smpte75, ball, solid (foreground-color), black or white',
    }),
    format: prop.enum(VIDEO_FORMATS, { defaultDoc: "downstream's choice among NV12, I420, RGBA", doc: 'Fix the format' }),
    width: prop.uint({ min: 1, max: MAX_DIMENSION, defaultDoc: 'nearest to 320 that downstream accepts', doc: 'Fix the width' }),
    height: prop.uint({ min: 1, max: MAX_DIMENSION, defaultDoc: 'nearest to 240 that downstream accepts', doc: 'Fix the height' }),
    framerate: prop.fraction({ defaultDoc: 'nearest to 30/1 that downstream accepts', doc: 'Fix the rate' }),
    numBuffers: prop.int({ default: -1, min: -1, doc: 'Frames before end-of-stream (-1 = unlimited)' }),
    isLive: prop.boolean({ default: false, doc: 'Pace frames on the pipeline clock and stamp their capture time' }),
    foregroundColor: prop.color({ default: 0xffffffff, doc: 'Colour of solid and of the ball' }),
    backgroundColor: prop.color({ default: 0xff000000, doc: 'Colour behind the ball' }),
    overlay: prop.enum(OVERLAYS, { default: 'none', doc: 'Burn in the frame number, the running time (hh:mm:ss.mmm) or text' }),
    text: prop.string({ doc: 'The text of overlay=text' }),
    overlayScale: prop.uint({ default: 4, min: 1, max: 64, doc: 'Pixels per font pixel (4: 28-pixel glyphs in a 36-pixel box)' }),
  },
  extraNames: ['overlayX', 'overlayY'],
  build(s, x: Pick<TestPatternOptions, 'overlayX' | 'overlayY'>) {
    const pattern: TestPatternOptions = { ...s, overlayX: x.overlayX, overlayY: x.overlayY };
    TestPatternGenerator.validate(pattern);
    const { numBuffers, isLive: live } = s;
    return defineSource<RawVideoPacket>({
      srcCaps: template(s),
      fixate: (allowed) => fixateRawVideo(allowed, PREFERRED),
      open(ctx): Reader<RawVideoPacket> {
        const info = rawVideoInfo(ctx.outputCaps);
        const rate = info.framerate!;
        const gen = new TestPatternGenerator(info.layout, pattern);
        let i = 0;
        const make = (): RawVideoPacket => {
          // Stamped before drawing: drawing is part of what glass-to-glass latency measures.
          const meta = live ? { captureTime: ctx.clock.now() } : EMPTY_META;
          const pts = frameTime(i, rate);
          const p: RawVideoPacket = {
            caps: ctx.outputCaps,
            pts,
            dts: pts,
            duration: frameTime(i + 1, rate) - pts,
            flags: PacketFlags.KEYFRAME,
            memory: cpuMemory(gen.frame(i, pts)),
            meta,
          };
          i++;
          return p;
        };
        return {
          pull(signal): Pulled<RawVideoPacket> | Promise<Pulled<RawVideoPacket>> {
            if (numBuffers >= 0 && i >= numBuffers) return EOS;
            if (!live) return make();
            const due = ctx.baseTime + frameTime(i, rate);
            if (ctx.clock.now() >= due) return make();
            return ctx.clock.sleepUntil(due, signal).then(make);
          },
        };
      },
    });
  },
});

export type VideoTestSrcOptions = ElementOptions<typeof VIDEO_TEST_SRC>;

/**
 * GStreamer's videotestsrc: raw frames of a test pattern (SMPTE bars, a moving ball, solid colours) with
 * an optional burnt-in frame counter, running time or text, as fast as pulled or paced live on the
 * pipeline clock. Frame i has pts round(i · 1e9 · den / num) exactly and is a keyframe. Each frame is a
 * new buffer: the static pattern is drawn once per stream and copied, only moving parts are redrawn.
 */
export const videoTestSrc: (options?: VideoTestSrcOptions) => Source<RawVideoPacket> = VIDEO_TEST_SRC.create;
