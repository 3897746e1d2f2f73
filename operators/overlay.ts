import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import type { Reader } from '../src/element';
import { cpuMemory, type CpuMemory } from '../src/memory/memory';
import { defineTransform, type Transform } from '../src/operator';
import { mapReader } from '../src/reader';
import type { Packet } from '../src/packet';
import { rgb, type Color } from '../src/video/color';
import { drawText, fillRect, type FrameView, type Rect } from '../src/video/draw';
import { textSize } from '../src/video/font';
import { VIDEO_META, videoLayoutReader } from '../src/video/meta';

const CAPS = Caps.parse('video/x-raw, format=(string){ NV12, I420, RGBA }');

const COLORS = { green: rgb(0, 220, 0), red: rgb(230, 0, 0), yellow: rgb(255, 220, 0), white: rgb(255, 255, 255), cyan: rgb(0, 220, 230) } as const;
const BLACK = rgb(0, 0, 0);

/**
 * What the overlay draws, read from a frame's meta: `detections` (any detector: bounds in frame pixels, an
 * optional label and score), PP-OCR's `ocrLines` (each box with its text), or `ocrBoxes` when nothing was read.
 */
export interface Detection {
  readonly bounds: Rect;
  readonly label?: string;
  readonly score?: number;
}

export const OVERLAY = defineElement({
  name: 'overlay',
  kind: 'transform',
  description: "Draws inference results onto frames: boxes and labels from meta.detections or PP-OCR's meta.ocrLines/ocrBoxes, and a latency line",
  caps: { sink: CAPS, src: CAPS },
  notes:
    'Draws on a copy of each frame that has something to draw (the frame may be a decoder reference picture, or held by a tee branch), recorded in the copy ledger as explicit; frames with nothing to draw pass untouched. The copy keeps the frame layout (VIDEO_META passes through).',
  properties: {
    color: prop.enum(Object.keys(COLORS) as (keyof typeof COLORS)[], { default: 'green', doc: 'Box and label colour' }),
    thickness: prop.uint({ default: 2, min: 1, max: 32, doc: 'Box outline width in pixels' }),
    textScale: prop.uint({ default: 2, min: 1, max: 16, doc: 'Label size: pixels per font pixel (glyphs are 5×7)' }),
    showLatency: prop.boolean({ default: false, doc: 'A line at the top left: capture → this element in ms (frames carrying meta.captureTime)' }),
  },
});

export type OverlayOptions = ElementOptions<typeof OVERLAY>;

/** The boxes and labels of a frame's meta, in the order drawn. */
export function detectionsOf(meta: Readonly<Record<string, unknown>>): Detection[] {
  const out: Detection[] = [];
  for (const d of (meta.detections as Detection[] | undefined) ?? []) out.push(d);
  const lines = meta.ocrLines as { text: string; box: { bounds: Rect } }[] | undefined;
  if (lines?.length) for (const l of lines) out.push({ bounds: l.box.bounds, label: l.text });
  else for (const b of (meta.ocrBoxes as { bounds: Rect }[] | undefined) ?? []) out.push({ bounds: b.bounds });
  return out;
}

function outline(view: FrameView, r: Rect, t: number, c: Color): void {
  const x = Math.round(r.x);
  const y = Math.round(r.y);
  const w = Math.max(1, Math.round(r.width));
  const h = Math.max(1, Math.round(r.height));
  fillRect(view, x - t, y - t, w + 2 * t, t, c);
  fillRect(view, x - t, y + h, w + 2 * t, t, c);
  fillRect(view, x - t, y, t, h, c);
  fillRect(view, x + w, y, t, h, c);
}

/**
 * GStreamer's textoverlay and the like, for inference: boxes where the model found something and what it
 * read or named, on the frame itself, so that a display sink shows what the model saw.
 */
export const overlay = OVERLAY.implement((s): Transform<Packet<CpuMemory>, Packet<CpuMemory>> => {
  const color = COLORS[s.color];
  const { thickness, textScale, showLatency } = s;
  return defineTransform<Packet<CpuMemory>, Packet<CpuMemory>>({
    sinkCaps: CAPS,
    srcCaps: CAPS,
    passthrough: true,
    metas: [VIDEO_META],
    open(ctx, up): Reader<Packet<CpuMemory>> {
      const layoutOf = videoLayoutReader();
      const draw = (p: Packet<CpuMemory>): Packet<CpuMemory> => {
        const found = detectionsOf(p.meta);
        const capture = p.meta.captureTime;
        const latency = showLatency && typeof capture === 'number' ? `${((ctx.clock.now() - capture) / 1e6).toFixed(1)} MS` : undefined;
        if (found.length === 0 && latency === undefined) return p;
        const { layout } = layoutOf(p);
        const data = p.memory.data.slice();
        ctx.ledger.record({ element: ctx.name, bytes: data.length, from: 'cpu', to: 'cpu', reason: 'overlay draws on a copy', explicit: true });
        const view: FrameView = { layout, data };
        for (const d of found) {
          outline(view, d.bounds, thickness, color);
          const label = d.label ?? (d.score !== undefined ? d.score.toFixed(2) : undefined);
          if (!label) continue;
          const h = textSize(label, textScale).height + 2 * textScale;
          // Above the box when there is room, else inside its top edge.
          const y = d.bounds.y - thickness - h >= 0 ? d.bounds.y - thickness - h : d.bounds.y;
          drawText(view, label, Math.max(0, Math.round(d.bounds.x - thickness)), Math.round(y), { scale: textScale, color: BLACK, background: color });
        }
        if (latency) drawText(view, latency, 0, 0, { scale: textScale, color: BLACK, background: COLORS.white });
        return { ...p, memory: cpuMemory(data) };
      };
      return mapReader(up, draw);
    },
  });
});
