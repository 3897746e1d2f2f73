import { Caps } from '../src/caps';
import { EOS, type Pulled, type Reader } from '../src/element';
import { cpuMemory, NO_MEMORY, type Memory } from '../src/memory/memory';
import { defineSource, type Source } from '../src/operator';
import { EMPTY_META, PacketFlags, type Packet } from '../src/packet';
import { SECOND } from '../src/time';

export interface FakeSrcOptions {
  name?: string;
  /** Number of packets, -1 for an endless stream (GStreamer's num-buffers). */
  numBuffers?: number;
  /** 'empty' packets carry no memory (as GStreamer's default); 'fixed' carry `sizemax` bytes. */
  sizetype?: 'empty' | 'fixed' | 'random';
  sizemin?: number;
  sizemax?: number;
  /** 'nothing' leaves bytes as allocated (zeros here), 'pattern' writes i & 0xff. */
  filltype?: 'nothing' | 'zero' | 'pattern';
  /** Pace packets on the pipeline clock at `framerate` and stamp capture time (glass-to-glass). */
  isLive?: boolean;
  /** Packets per second for timestamps and live pacing, e.g. '30/1'. */
  framerate?: string;
  /** Output caps; default `application/octet-stream` unless downstream asks for more. */
  caps?: string;
}

function parseRate(rate: string): number {
  const m = /^(\d+)(?:\/(\d+))?$/.exec(rate.trim());
  if (!m || Number(m[1]) === 0) throw new RangeError(`framerate must be N/D with N > 0, got '${rate}'`);
  return Number(m[1]) / Number(m[2] ?? 1);
}

/** GStreamer's fakesrc: packets of nothing (or of bytes), as fast as pulled or paced live. */
export function fakeSrc(options: FakeSrcOptions = {}): Source<Packet<Memory>> {
  const numBuffers = options.numBuffers ?? -1;
  const sizetype = options.sizetype ?? 'empty';
  const sizemin = options.sizemin ?? 0;
  const sizemax = options.sizemax ?? 4096;
  const fill = options.filltype ?? 'nothing';
  const live = options.isLive ?? false;
  const fps = parseRate(options.framerate ?? '30/1');
  const frameNs = SECOND / fps;
  const template = options.caps ? Caps.parse(options.caps) : Caps.any();
  return defineSource({
    factory: 'fakeSrc',
    name: options.name,
    props: { 'num-buffers': numBuffers, sizetype, 'is-live': live, framerate: options.framerate },
    srcCaps: template,
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
}
