/**
 * A new element in one file (the README's "Writing an element"): the declaration is its contract, and its
 * factory, launch syntax, inspect output, checking and printing all come from it.
 */
import { Caps, cpuMemory, defineElement, defineTransform, EOS, isPromiseLike, prop, rawVideoInfo } from 'glass2glass';
import type { CpuMemory, ElementOptions, Packet, Pulled } from 'glass2glass';

const I420 = Caps.parse('video/x-raw, format=(string)I420');

export const BRIGHTNESS = defineElement({
  name: 'brightness',
  kind: 'transform',
  description: 'Adds a constant to every luma sample of I420 frames',
  caps: { sink: I420, src: I420 },
  notes: 'Writes each frame into a new buffer; keeps nothing.',
  properties: {
    delta: prop.int({ default: 16, min: -255, max: 255, doc: 'Added to each Y sample, clamped to 0-255' }),
  },
  build: (s) =>
    defineTransform<Packet<CpuMemory>, Packet<CpuMemory>>({
      sinkCaps: I420,
      srcCaps: I420,
      passthrough: true,
      open(_ctx, up) {
        const step = (p: Pulled<Packet<CpuMemory>>): Pulled<Packet<CpuMemory>> => {
          if (p === EOS) return EOS;
          const { width, height } = rawVideoInfo(p.caps);
          const out = p.memory.data.slice();
          const luma = out.subarray(0, width * height); // packed I420: the Y plane comes first, `width` bytes a row
          luma.forEach((y, i) => (luma[i] = Math.min(255, Math.max(0, y + s.delta))));
          return { ...p, memory: cpuMemory(out) };
        };
        return {
          pull(signal) {
            const r = up.pull(signal);
            return isPromiseLike(r) ? Promise.resolve(r).then(step) : step(r);
          },
        };
      },
    }),
});

export type BrightnessOptions = ElementOptions<typeof BRIGHTNESS>; // { name?: string; delta?: number }
export const brightness = BRIGHTNESS.create; // brightness({ delta: -20 }); `brightness delta=-20` in launch syntax
