import { escapeRbsp, type Sps } from '../../src/codecs/h264';
import { Caps } from '../../src/caps';
import { EOS, type Pulled, type Reader } from '../../src/element';
import { cpuMemory } from '../../src/memory/memory';
import { defineSource, type Source } from '../../src/operator';
import type { CpuPacket } from '../../src/packet';
import { PacketFlags } from '../../src/packet';

/** MSB-first bit writer with Exp-Golomb codes: the inverse of BitReader, for building test syntax. */
export class BitWriter {
  private bytes: number[] = [];
  private cur = 0;
  private n = 0;

  u(bits: number, value: number): this {
    for (let i = bits - 1; i >= 0; i--) this.bit(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  bit(b: number): this {
    this.cur = (this.cur << 1) | (b & 1);
    if (++this.n === 8) {
      this.bytes.push(this.cur);
      this.cur = 0;
      this.n = 0;
    }
    return this;
  }

  ue(v: number): this {
    const x = v + 1;
    const len = Math.floor(Math.log2(x));
    this.u(len, 0);
    return this.u(len + 1, x);
  }

  se(v: number): this {
    return this.ue(v > 0 ? 2 * v - 1 : -2 * v);
  }

  /** rbsp_trailing_bits, then the bytes. */
  trailing(): Uint8Array {
    this.bit(1);
    while (this.n !== 0) this.bit(0);
    return new Uint8Array(this.bytes);
  }

  /** The bytes, zero-padded to a whole byte. */
  bytesOut(): Uint8Array {
    const out = [...this.bytes];
    if (this.n) out.push(this.cur << (8 - this.n));
    return new Uint8Array(out);
  }

  get bitLength(): number {
    return this.bytes.length * 8 + this.n;
  }
}

export interface BytesSourceOptions {
  /** Chunk sizes: a number (fixed), or a function of the chunk index; default: one chunk. */
  chunk?: number | ((i: number) => number);
  caps?: string;
  /** Give each packet these times (default none, as a file source). */
  times?: (i: number) => { pts?: number; dts?: number };
  /** Prebuilt packets' payloads (AU-aligned input); overrides `chunk`. */
  packets?: readonly Uint8Array[];
  flags?: (i: number) => number;
}

/** A test-local source emitting a byte array in chunks (what a file source does). */
export function bytesSrc(data: Uint8Array, options: BytesSourceOptions = {}): Source<CpuPacket> {
  const template = Caps.parse(options.caps ?? 'application/octet-stream');
  return defineSource<CpuPacket>({
    factory: 'bytesSrc',
    props: {},
    srcCaps: template,
    fixate: () => template,
    open(ctx): Reader<CpuPacket> {
      let pos = 0;
      let i = 0;
      const packets = options.packets;
      return {
        pull(): Pulled<CpuPacket> {
          let payload: Uint8Array;
          if (packets) {
            if (i >= packets.length) return EOS;
            payload = packets[i];
          } else {
            if (pos >= data.length) return EOS;
            const c = options.chunk;
            const size = c === undefined ? data.length : typeof c === 'number' ? c : Math.max(1, c(i));
            payload = data.subarray(pos, pos + size);
            pos += payload.length;
          }
          const t = options.times?.(i) ?? {};
          const p: CpuPacket = {
            caps: ctx.outputCaps,
            pts: t.pts,
            dts: t.dts,
            duration: undefined,
            flags: options.flags?.(i) ?? PacketFlags.NONE,
            memory: cpuMemory(payload),
            meta: {},
          };
          i++;
          return p;
        },
      };
    },
  });
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Deterministic PRNG (mulberry32) for fuzz inputs that must be reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Re-serialises a parsed SPS without its VUI (Baseline/Main only: no chroma/bit-depth part), to make
 * streams that carry no timing or reorder information.
 */
export function spsWithoutVui(sps: Sps, constraintFlags = sps.constraintFlags): Uint8Array {
  if (sps.profileIdc !== 66 && sps.profileIdc !== 77) throw new Error('spsWithoutVui handles profiles 66 and 77');
  const w = new BitWriter().u(8, 0x67).u(8, sps.profileIdc).u(8, constraintFlags).u(8, sps.levelIdc).ue(sps.id);
  w.ue(sps.log2MaxFrameNum - 4).ue(sps.picOrderCntType);
  if (sps.picOrderCntType === 0) w.ue(sps.log2MaxPocLsb - 4);
  else if (sps.picOrderCntType === 1) {
    w.u(1, sps.deltaPicOrderAlwaysZero ? 1 : 0).se(sps.offsetForNonRefPic).se(sps.offsetForTopToBottomField).ue(sps.offsetForRefFrame.length);
    for (const o of sps.offsetForRefFrame) w.se(o);
  }
  w.ue(sps.maxNumRefFrames).u(1, sps.gapsInFrameNumAllowed ? 1 : 0).ue(sps.picWidthInMbs - 1).ue(sps.picHeightInMapUnits - 1);
  w.u(1, sps.frameMbsOnly ? 1 : 0);
  if (!sps.frameMbsOnly) w.u(1, sps.mbAdaptiveFrameField ? 1 : 0);
  w.u(1, sps.direct8x8Inference ? 1 : 0);
  const c = sps.crop;
  const cropped = c.left || c.right || c.top || c.bottom;
  w.u(1, cropped ? 1 : 0);
  if (cropped) w.ue(c.left).ue(c.right).ue(c.top).ue(c.bottom);
  w.u(1, 0);
  return escapeRbsp(w.trailing());
}
