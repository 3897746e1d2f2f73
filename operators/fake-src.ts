import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { NUM_BUFFERS } from './num-buffers';
import { EOS, type Pulled, type Reader } from '../src/element';
import { cpuMemory, NO_MEMORY, type Memory } from '../src/memory/memory';
import { defineSource, type Source } from '../src/operator';
import { EMPTY_META, PacketFlags, type Packet } from '../src/packet';
import { SECOND } from '../src/time';

export const FAKE_SRC = defineElement({
  name: 'fakeSrc',
  kind: 'source',
  description: 'Empty or byte-filled packets, as fast as pulled or paced live (GStreamer fakesrc)',
  caps: { src: Caps.any() },
  notes: 'Throughput: a packet per pull, synchronously. Live (is-live): paced on the pipeline clock at framerate, capture time stamped.',
  properties: {
    numBuffers: NUM_BUFFERS,
    sizetype: prop.enum(['empty', 'fixed', 'random'], {
      default: 'empty',
      doc: 'Payload size: none (empty, as GStreamer), sizemax bytes (fixed), or sizemin..sizemax bytes (random)',
    }),
    sizemin: prop.uint({ default: 0, doc: 'Smallest random payload, in bytes' }),
    sizemax: prop.uint({ default: 4096, doc: 'Payload size for fixed, largest for random, in bytes' }),
    filltype: prop.enum(['nothing', 'zero', 'pattern'], {
      default: 'nothing',
      doc: 'Payload bytes: as allocated (zeros), zeros, or a counting pattern (i & 0xff)',
    }),
    isLive: prop.boolean({ default: false, doc: 'Pace packets on the pipeline clock at framerate and stamp their capture time (glass-to-glass)' }),
    framerate: prop.fraction({ default: '30/1', doc: 'Packets per second, for timestamps and live pacing' }),
    caps: prop.caps({ default: 'ANY', doc: 'Output caps template, fixated against downstream (ANY: application/octet-stream)' }),
  },
  build(s) {
    const { numBuffers, sizetype, sizemin, sizemax, filltype: fill, isLive: live } = s;
    if (sizetype === 'random' && sizemin > sizemax) throw new RangeError(`fakeSrc: sizemin (${sizemin}) is above sizemax (${sizemax})`);
    const frameNs = (SECOND * s.framerate.den) / s.framerate.num;
    return defineSource({
      srcCaps: s.caps,
      fixate: (allowed) => (allowed.isAny ? Caps.parse('application/octet-stream') : allowed.fixate()),
      open(ctx): Reader<Packet> {
        let i = 0;
        let seed = 0x2545f491;
        const size = (): number => {
          if (sizetype === 'fixed') return sizemax;
          seed = (seed * 1103515245 + 12345) >>> 0; // deterministic LCG, as tests need repeatable sizes
          return sizemin + (seed % (sizemax - sizemin + 1));
        };
        const make = (): Packet => {
          const caps = ctx.outputCaps;
          let memory: Memory = NO_MEMORY;
          if (sizetype !== 'empty') {
            const data = new Uint8Array(size());
            if (fill === 'pattern') for (let k = 0; k < data.length; k++) data[k] = (i + k) & 0xff;
            memory = cpuMemory(data);
          }
          const pts = Math.round(i * frameNs);
          const p: Packet = {
            caps,
            pts,
            dts: pts,
            duration: Math.round((i + 1) * frameNs) - pts,
            flags: PacketFlags.KEYFRAME,
            memory,
            meta: live ? { captureTime: ctx.clock.now() } : EMPTY_META,
          };
          i++;
          return p;
        };
        return {
          pull(signal): Pulled<Packet> | Promise<Pulled<Packet>> {
            if (numBuffers >= 0 && i >= numBuffers) return EOS;
            if (!live) return make();
            const due = ctx.baseTime + Math.round(i * frameNs);
            if (ctx.clock.now() >= due) return make();
            return ctx.clock.sleepUntil(due, signal).then(make);
          },
        };
      },
    });
  },
});

export type FakeSrcOptions = ElementOptions<typeof FAKE_SRC>;

/** GStreamer's fakesrc: packets of nothing (or of bytes), as fast as pulled or paced live. */
export const fakeSrc: (options?: FakeSrcOptions) => Source<Packet<Memory>> = FAKE_SRC.create;
