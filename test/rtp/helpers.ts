import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Caps } from '../../src/caps';
import { AccessUnitAssembler, nalsOf, splitAnnexB } from '../../src/codecs/h264';
import { EOS, type Pulled, type Reader } from '../../src/element';
import { cpuMemory } from '../../src/memory/memory';
import { defineSource, defineTransform, type Source, type Transform } from '../../src/operator';
import { PacketFlags, type CpuPacket, type Packet } from '../../src/packet';
import { H264Payloader, type H264PayloaderOptions } from '../../src/rtp/h264-payloader';
import { parseRtp, RtpError, type RtpPacket } from '../../src/rtp/rtp-packet';
import { tsAdd } from '../../src/rtp/seq';
import { nsToTicks, SECOND } from '../../src/time';
import { isPromiseLike } from '../../src/util/promise';
import { encodeH264, readBytes, type EncodeOptions } from '../fixtures/h264';
import { prng } from '../h264/helpers';

export { prng };

export interface TestAu {
  /** Annex B bytes as the encoder wrote them. */
  readonly data: Uint8Array;
  readonly nals: Uint8Array[];
  readonly idr: boolean;
}

/** Access units of an encoded stream, split by the H.264 library. */
export function accessUnits(bytes: Uint8Array): TestAu[] {
  const asm = new AccessUnitAssembler({ skipToKeyframe: false });
  return [...asm.push(bytes), ...asm.flush()].map((au) => ({ data: au.data, nals: nalsOf(au), idr: au.idr }));
}

export async function encodedAus(options: EncodeOptions): Promise<{ path: string; bytes: Uint8Array; aus: TestAu[] }> {
  const path = await encodeH264(options);
  const bytes = readBytes(path);
  return { path, bytes, aus: accessUnits(bytes) };
}

export const H264_AU_CAPS = 'video/x-h264, stream-format=(string)byte-stream, alignment=(string)au';
export const FRAME = Math.round(SECOND / 30);

/** A test-local access-unit source (what h264Parse gives): pts = dts = index × frame, KEYFRAME on IDRs. Paced on the clock when `live`. */
export function auSource(aus: readonly TestAu[], options: { frame?: number; live?: boolean } = {}): Source<CpuPacket> {
  const caps = Caps.parse(H264_AU_CAPS);
  const frame = options.frame ?? FRAME;
  return defineSource<CpuPacket>({
    factory: 'auSource',
    props: {},
    srcCaps: caps,
    fixate: () => caps,
    open(ctx): Reader<CpuPacket> {
      let i = 0;
      const make = (): Pulled<CpuPacket> => {
        const au = aus[i];
        const t = i * frame;
        i++;
        return { caps, pts: t, dts: t, duration: frame, flags: au.idr ? PacketFlags.KEYFRAME : 0, memory: cpuMemory(au.data), meta: { captureTime: ctx.baseTime + t } };
      };
      return {
        pull(signal) {
          if (i >= aus.length) return EOS;
          if (!options.live) return make();
          const at = ctx.baseTime + i * frame;
          return ctx.clock.now() >= at ? make() : ctx.clock.sleepUntil(at, signal).then(make);
        },
      };
    },
  });
}

/** Packetises access units with the sans-IO payloader (pts = index × frame). */
export function packetise(aus: readonly TestAu[], options: H264PayloaderOptions = {}, frame = FRAME): { packets: Uint8Array[]; auOf: number[] } {
  const pay = new H264Payloader({ ssrc: 0x1234, seqStart: 0, timestampOffset: 0, ...options });
  const packets: Uint8Array[] = [];
  const auOf: number[] = [];
  aus.forEach((au, i) => {
    const n = pay.push(au.nals, tsAdd(pay.timestampOffset, nsToTicks(i * frame, 90000)), i * frame, packets);
    for (let k = 0; k < n; k++) auOf.push(i);
  });
  return { packets, auOf };
}

export function parsed(d: Uint8Array): RtpPacket {
  const p = parseRtp(d);
  if (p instanceof RtpError) throw p;
  return p;
}

/**
 * An independent RFC 6184 reassembler for checks (no loss handling): datagrams in, NAL units of each
 * access unit out, access units ending at the marker bit.
 */
export function reassemble(datagrams: readonly Uint8Array[]): Uint8Array[][] {
  const aus: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  let fu: number[] | undefined;
  for (const d of datagrams) {
    const p = parsed(d);
    const pl = p.payload;
    const type = pl[0] & 0x1f;
    if (type === 24) {
      for (let i = 1; i < pl.length; ) {
        const size = (pl[i] << 8) | pl[i + 1];
        cur.push(pl.slice(i + 2, i + 2 + size));
        i += 2 + size;
      }
    } else if (type === 28) {
      if (pl[1] & 0x80) fu = [(pl[0] & 0xe0) | (pl[1] & 0x1f)];
      fu!.push(...pl.subarray(2));
      if (pl[1] & 0x40) {
        cur.push(Uint8Array.from(fu!));
        fu = undefined;
      }
    } else {
      cur.push(pl.slice());
    }
    if (p.marker) {
      aus.push(cur);
      cur = [];
    }
  }
  if (cur.length) aus.push(cur);
  return aus;
}

export function hex(d: Uint8Array): string {
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
}

/** NAL units of an Annex B access unit, as hex strings (start code lengths and trailing zeros aside). */
export function nalHex(annexB: Uint8Array): string[] {
  return splitAnnexB(annexB).map(hex);
}

export interface NetemOptions {
  readonly seed: number;
  /** Drop the packet with this index (0-based, in send order), or with probability. */
  readonly drop?: ((i: number) => boolean) | number;
  /** Duplicate with probability (the copy 1 ms later). */
  readonly duplicate?: number;
  /** Delay with probability by `reorderDelay` extra (so that later packets overtake it). */
  readonly reorder?: number;
  readonly reorderDelay?: number;
  /** Base one-way delay (ns). */
  readonly delay?: number;
  /** Uniform extra delay in [0, jitter) (ns). */
  readonly jitter?: number;
}

/**
 * An in-process network emulator (netem) for RTP packets under a VirtualClock: each packet departs at its
 * stream time (dts, else pts, never backwards: a paced sender) and arrives after a seeded delay, or is
 * dropped or duplicated by a seeded pattern. Arrivals come out in arrival order, at their time.
 * `log` lists what happened, for assertions.
 */
export function netem(options: NetemOptions): Transform<Packet, Packet> & { log: { dropped: number[]; duplicated: number[]; delayed: number[] } } {
  const log = { dropped: [] as number[], duplicated: [] as number[], delayed: [] as number[] };
  const t = defineTransform<Packet, Packet>({
    factory: 'netem',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open(ctx, up): Reader<Packet> {
      const rnd = prng(options.seed);
      const heap: { at: number; n: number; p: Packet }[] = [];
      let done = false;
      let i = 0;
      let n = 0;
      let first: number | undefined;
      let lastDeparture = -Infinity;
      const schedule = (p: Packet): void => {
        const idx = i++;
        const t = p.dts ?? p.pts ?? 0;
        first ??= t;
        lastDeparture = Math.max(lastDeparture, ctx.baseTime + (t - first));
        const drop = options.drop;
        if (typeof drop === 'function' ? drop(idx) : drop !== undefined && rnd() < drop) {
          log.dropped.push(idx);
          return;
        }
        let at = lastDeparture + (options.delay ?? 0) + (options.jitter ? Math.floor(rnd() * options.jitter) : 0);
        if (options.reorder && rnd() < options.reorder) {
          at += options.reorderDelay ?? 0;
          log.delayed.push(idx);
        }
        const add = (when: number) => {
          let k = heap.length;
          heap.push({ at: when, n: n++, p });
          while (k > 0 && (heap[k - 1].at > when || (heap[k - 1].at === when && heap[k - 1].n > heap[k].n))) {
            [heap[k - 1], heap[k]] = [heap[k], heap[k - 1]];
            k--;
          }
        };
        add(at);
        if (options.duplicate && rnd() < options.duplicate) {
          log.duplicated.push(idx);
          add(at + 1_000_000);
        }
      };
      const pull = async (signal: AbortSignal): Promise<Pulled<Packet>> => {
        // A packet can be released once no packet still upstream can arrive before it: departures only grow.
        while (!done && (heap.length === 0 || lastDeparture <= heap[0].at)) {
          let r = up.pull(signal);
          if (isPromiseLike(r)) r = await r;
          if (r === EOS) done = true;
          else schedule(r);
        }
        const top = heap.shift();
        if (!top) return EOS;
        if (top.at > ctx.clock.now()) await ctx.clock.sleepUntil(top.at, signal);
        return top.p;
      };
      return { pull };
    },
  });
  return Object.assign(t, { log });
}

/** A source of given datagrams as RTP packets, each at its arrival time (ns after start) on the clock. */
export function rtpSource(items: readonly { data: Uint8Array; at?: number }[], caps = 'application/x-rtp, media=(string)video, clock-rate=(int)90000, encoding-name=(string)H264'): Source<CpuPacket> {
  const c = Caps.parse(caps);
  return defineSource<CpuPacket>({
    factory: 'rtpSource',
    props: {},
    srcCaps: c,
    fixate: () => c,
    open(ctx): Reader<CpuPacket> {
      let i = 0;
      const make = (): CpuPacket => {
        const it = items[i++];
        return { caps: c, pts: undefined, dts: undefined, duration: undefined, flags: 0, memory: cpuMemory(it.data), meta: {} };
      };
      return {
        pull(signal) {
          if (i >= items.length) return EOS;
          const at = items[i].at;
          if (at === undefined || ctx.clock.now() >= ctx.baseTime + at) return make();
          return ctx.clock.sleepUntil(ctx.baseTime + at, signal).then(make);
        },
      };
    },
  });
}

/** A free even UDP port whose successor is free too (RTP + RTCP), on 127.0.0.1. */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 15000);
    const ok = await Promise.all([base, base + 1].map((p) => canBind(p)));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free UDP port pair found');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

/** Counts of live UDP sockets (UDPWrap handles) in this process. */
export function openUdpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
}

/** Whether some process has a UDP socket bound to `port` (read from /proc, so nothing is bound to find out). */
export function udpPortBound(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    if (text.split('\n').some((l) => l.trim().split(/\s+/)[1]?.endsWith(`:${hexPort}`))) return true;
  }
  return false;
}

/** Waits (bounded) until a peer process has bound `port`. */
export async function waitBound(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!udpPortBound(port)) {
    if (Date.now() > end) throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A UDP receiver on 127.0.0.1 collecting datagrams (for checking what a sender put on the wire). */
export async function collectUdp(port = 0): Promise<{ port: number; datagrams: Uint8Array[]; close(): Promise<void>; waitFor(n: number, timeoutMs?: number): Promise<void> }> {
  const s = createSocket('udp4');
  const datagrams: Uint8Array[] = [];
  s.on('message', (m: Buffer) => datagrams.push(new Uint8Array(m)));
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve());
  });
  return {
    port: s.address().port,
    datagrams,
    close: () => new Promise<void>((r) => s.close(() => r())),
    async waitFor(n, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      while (datagrams.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    },
  };
}

/** The count of live UDP sockets once it settles at `expected` (closed handles leave the list a tick after their callback), within 2 s. */
export async function settledUdpHandles(expected: number): Promise<number> {
  const end = Date.now() + 2000;
  let n = openUdpHandles();
  while (n !== expected && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
    n = openUdpHandles();
  }
  return n;
}
