import { caps, fraction, type Caps } from '../src/caps';
import { EOS, type Pulled, type Reader } from '../src/element';
import { cpuMemory, type CpuMemory } from '../src/memory/memory';
import { defineSource, type Source } from '../src/operator';
import { EMPTY_META, PacketFlags, type Packet } from '../src/packet';
import { parseArgb } from '../src/video/color';
import { fixateRawVideo } from '../src/video/fixate';
import { isVideoFormat, MAX_DIMENSION, parseFramerate, rawVideoInfo, rawVideoTemplate, VIDEO_FORMATS, type VideoFormat } from '../src/video/format';
import { OVERLAYS, TEST_PATTERNS, TestPatternGenerator, type TestPatternOptions } from '../src/video/test-pattern';
import { frameTime } from '../src/video/timing';
import type { ElementEntry } from './registry';

export interface VideoTestSrcOptions extends TestPatternOptions {
  name?: string;
  /** Fixes the format; default: the first of NV12, I420, RGBA that downstream accepts. */
  format?: VideoFormat;
  /** Fix the size; default: nearest to 320x240 that downstream accepts. */
  width?: number;
  height?: number;
  /** Fixes the rate: '30/1', '30000/1001' or a number; default: nearest to 30/1 that downstream accepts. */
  framerate?: string | number;
  /** Frames before end-of-stream, -1 for endless (GStreamer's num-buffers). */
  numBuffers?: number;
  /** Pace frames on the pipeline clock (frame i at base time + pts) and stamp their capture time. */
  isLive?: boolean;
}

export type RawVideoPacket = Packet<CpuMemory>;

const PREFERRED = { width: 320, height: 240, framerate: fraction(30, 1) };

function checkSize(what: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < 1 || v > MAX_DIMENSION)) throw new RangeError(`videoTestSrc ${what} must be an integer in [1, ${MAX_DIMENSION}], got ${v}`);
}

/** The template: every format, size and rate, narrowed to whatever the options fix. */
function template(o: VideoTestSrcOptions): Caps {
  const t = rawVideoTemplate(o.format ? [o.format] : VIDEO_FORMATS);
  const fields = { ...t.structures[0].fields };
  if (o.width !== undefined) fields.width = o.width;
  if (o.height !== undefined) fields.height = o.height;
  if (o.framerate !== undefined) fields.framerate = parseFramerate(o.framerate);
  return caps('video/x-raw', fields);
}

/**
 * GStreamer's videotestsrc: raw frames of a test pattern (SMPTE bars, a moving ball, solid colours) with
 * an optional burnt-in frame counter, running time or text, as fast as pulled or paced live on the
 * pipeline clock. Frame i has pts round(i · 1e9 · den / num) exactly and is a keyframe. Each frame is a
 * new buffer: the static pattern is drawn once per stream and copied, only moving parts are redrawn.
 */
export function videoTestSrc(options: VideoTestSrcOptions = {}): Source<RawVideoPacket> {
  if (options.format !== undefined && !isVideoFormat(options.format)) throw new RangeError(`videoTestSrc format must be one of ${VIDEO_FORMATS.join(', ')}, got '${String(options.format)}'`);
  checkSize('width', options.width);
  checkSize('height', options.height);
  const numBuffers = options.numBuffers ?? -1;
  if (!Number.isSafeInteger(numBuffers) || numBuffers < -1) throw new RangeError(`videoTestSrc numBuffers must be -1 or a count, got ${numBuffers}`);
  TestPatternGenerator.validate(options);
  const live = options.isLive ?? false;
  const srcCaps = template(options);
  return defineSource<RawVideoPacket>({
    factory: 'videoTestSrc',
    name: options.name,
    props: {
      pattern: options.pattern,
      format: options.format,
      width: options.width,
      height: options.height,
      framerate: options.framerate,
      'num-buffers': numBuffers,
      'is-live': live,
      'foreground-color': options.foregroundColor,
      'background-color': options.backgroundColor,
      overlay: options.overlay,
      text: options.text,
      'overlay-scale': options.overlayScale,
    },
    srcCaps,
    fixate: (allowed) => fixateRawVideo(allowed, PREFERRED),
    open(ctx): Reader<RawVideoPacket> {
      const info = rawVideoInfo(ctx.outputCaps);
      const rate = info.framerate!;
      const gen = new TestPatternGenerator(info.layout, options);
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
}

/** Launch-syntax entry (register with `defaultRegistry.register(videoTestSrcEntry)`). */
export const videoTestSrcEntry: ElementEntry = {
  name: 'videoTestSrc',
  kind: 'source',
  description: 'Raw video test patterns with optional burnt-in frame number, running time or text (GStreamer videotestsrc)',
  caps: { src: rawVideoTemplate().toString() },
  properties: [
    { name: 'pattern', type: 'enum', values: TEST_PATTERNS, default: 'smpte', description: 'smpte (100% bars, GStreamer pattern 0), smpte75, ball, solid (foreground-color), black or white' },
    { name: 'format', type: 'enum', values: VIDEO_FORMATS, description: "Fix the format (default: downstream's choice among NV12, I420, RGBA)" },
    { name: 'width', type: 'uint', description: 'Fix the width (default: nearest to 320 that downstream accepts)' },
    { name: 'height', type: 'uint', description: 'Fix the height (default: nearest to 240 that downstream accepts)' },
    { name: 'framerate', type: 'string', description: 'Fix the rate, N/D (default: nearest to 30/1 that downstream accepts)' },
    { name: 'num-buffers', type: 'int', default: -1, description: 'Frames before end-of-stream (-1 = unlimited)' },
    { name: 'is-live', type: 'boolean', default: false, description: 'Pace frames on the pipeline clock and stamp their capture time' },
    { name: 'foreground-color', type: 'string', default: '0xffffffff', description: 'Colour of solid and of the ball, 0xAARRGGBB' },
    { name: 'background-color', type: 'string', default: '0xff000000', description: 'Colour behind the ball, 0xAARRGGBB' },
    { name: 'overlay', type: 'enum', values: OVERLAYS, default: 'none', description: 'Burn in the frame number, the running time (hh:mm:ss.mmm) or text' },
    { name: 'text', type: 'string', description: "The text of overlay=text" },
    { name: 'overlay-scale', type: 'uint', default: 4, description: 'Pixels per font pixel (4: 28-pixel glyphs)' },
  ],
  create: (p) =>
    videoTestSrc({
      name: p.name,
      pattern: p.pattern,
      format: p.format,
      width: p.width,
      height: p.height,
      framerate: p.framerate,
      numBuffers: p['num-buffers'],
      isLive: p['is-live'],
      foregroundColor: p['foreground-color'] === undefined ? undefined : parseArgb(p['foreground-color']),
      backgroundColor: p['background-color'] === undefined ? undefined : parseArgb(p['background-color']),
      overlay: p.overlay,
      text: p.text,
      overlayScale: p['overlay-scale'],
    }),
};
