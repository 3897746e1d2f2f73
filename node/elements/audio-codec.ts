import { RELEASE, releasePacket } from '../../src/memory/release';
import { isPromiseLike, type MaybePromise } from '../../src/util/promise';
import { Caps, caps } from '../../src/caps';
import { EOS, type ElementContext, type Pulled, type Reader } from '../../src/element';
import { cpuMemory, type CpuMemory } from '../../src/memory/memory';
import { EMPTY_META, PacketFlags, type Packet } from '../../src/packet';
import { ticksToNs } from '../../src/time';
import { rawAudioCaps, rawAudioInfo, rawAudioTemplate, type RawAudioInfo } from '../../src/audio/format';
import { audioBytes } from '../../src/audio/packet';
import type { AudioDecodeResult, EncodedAudioPacket, NativeAudioDecoder, NativeAudioEncoder } from '../native';
import type { NativeBinding } from '../native/loader';

/**
 * What aacDec/aacEnc/opusDec/opusEnc share: a libavcodec audio codec in the addon, every call a libuv
 * pool task (the JS thread only moves packets), the input packet released once the codec has read it
 * (on every path: the codec copies what it keeps), timestamps from sample counts.
 */

export type AudioPacket = Packet<CpuMemory>;
export type DecodedFormat = 'S16LE' | 'F32LE';
export const DECODED_FORMATS: readonly DecodedFormat[] = ['F32LE', 'S16LE'];
export const AUDIO_CODEC_METAS = [RELEASE];

/** Packets handed to the codec in one native call at most (AAC: 32 × 1024 samples, 0.7 s at 48 kHz). */
export const MAX_BATCH = 32;

/**
 * A reader that hands `handle` every item upstream has ready now (up to `max`, EOS ending a batch), so
 * one native call, one thread hop, serves several packets: a hop costs more than decoding an AAC frame.
 * A pull that upstream answers later ends the batch and is carried to the next one, so a live source's
 * packet never waits for another. `handle` appends what it makes to `queue`.
 */
export function batchedReader<I, O>(
  up: Reader<I>,
  queue: O[],
  handle: (items: Pulled<I>[], signal: AbortSignal) => Promise<void>,
  ended: () => boolean,
  max = MAX_BATCH
): Reader<O> {
  let head = 0;
  let carried: Promise<Pulled<I>> | undefined;
  const gather = (first: Pulled<I>, signal: AbortSignal): Pulled<I>[] => {
    const items: Pulled<I>[] = [first];
    while (items.length < max && items[items.length - 1] !== EOS) {
      const r = up.pull(signal);
      if (isPromiseLike(r)) {
        carried = Promise.resolve(r);
        // Awaited by the next pull; until then its rejection (an abort) is not unhandled.
        carried.catch(() => undefined);
        break;
      }
      items.push(r as Pulled<I>);
    }
    return items;
  };
  const pull = (signal: AbortSignal): MaybePromise<Pulled<O>> => {
    if (head < queue.length) {
      const p = queue[head++];
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      }
      return p;
    }
    if (ended()) return EOS;
    const next = carried ?? up.pull(signal);
    carried = undefined;
    const go = (v: Pulled<I>): Promise<Pulled<O>> => handle(gather(v, signal), signal).then(() => pull(signal));
    return isPromiseLike(next) ? Promise.resolve(next).then(go) : go(next);
  };
  return { pull };
}

/** Output caps of a decoder at negotiation: F32LE (the codecs' own float, no rounding) unless downstream takes only S16LE. */
export function decodedCaps(allowed: Caps, format: DecodedFormat | undefined): Caps {
  const formats = DECODED_FORMATS.filter((f) => format === undefined || f === format).filter((f) => !allowed.intersect(caps('audio/x-raw', { format: f })).isEmpty());
  if (formats.length === 0) return Caps.empty();
  // Rate and channels come from the stream: completed by the first decoded block (as h264Dec's size).
  return rawAudioTemplate([formats[0]], ['interleaved']).intersect(allowed);
}

/** How to open the libavcodec decoder for a stream's caps. */
export interface AudioDecoderSetup {
  readonly codec: string;
  readonly extradata?: Uint8Array;
  readonly rate?: number;
  readonly channels?: number;
  /** Leading decoded samples to drop: the encoder's priming (OpusHead pre-skip, caps encoder-delay). */
  readonly skip: number;
  /** Re-split packets into whole frames (ADTS): carries a partial frame over to the next packet. */
  readonly split?: (carry: Uint8Array) => { frames: Uint8Array[]; rest: Uint8Array; skipped: number };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * A decoder's reader. Output pts: the input packet's pts at the start (and after DISCONT) anchors the
 * sample clock; block k's pts is anchor + (samples before it, after the priming is trimmed) / rate, so a
 * stream stays gapless whatever the packet timestamps' rounding. A packet the codec refuses is dropped
 * (counted corrupt, logged) and decoding goes on.
 */
export function openAudioDecoder(
  ctx: ElementContext,
  up: Reader<Packet>,
  addon: NativeBinding,
  setup: (c: Caps) => AudioDecoderSetup,
  format: DecodedFormat
): Reader<AudioPacket> {
  let dec: NativeAudioDecoder | undefined;
  let cfg: AudioDecoderSetup | undefined;
  let inCaps: Caps | undefined;
  let outCaps: Caps | undefined;
  let outKey = '';
  let anchor: number | undefined;
  let produced = 0;
  let skipLeft = 0;
  let carry: Uint8Array = new Uint8Array(0);
  let discont = true;
  let ended = false;
  let closed = false;
  const queue: AudioPacket[] = [];

  const capsFor = (rate: number, channels: number): Caps => {
    const key = `${rate}/${channels}`;
    if (!outCaps || key !== outKey) {
      outCaps = rawAudioCaps({ format, rate, channels });
      outKey = key;
    }
    return outCaps;
  };

  const take = (res: AudioDecodeResult): void => {
    if (res.rejected !== undefined && res.rejected !== null) {
      ctx.report.drop('corrupt');
      ctx.log('warn', `packet refused by the decoder: ${res.rejected}`);
    }
    const bps = format === 'S16LE' ? 2 : 4;
    for (const b of res.blocks) {
      let data = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
      let n = b.samples;
      if (skipLeft > 0) {
        const cut = Math.min(skipLeft, n);
        skipLeft -= cut;
        n -= cut;
        data = data.subarray(cut * bps * b.channels);
        if (n === 0) continue;
      }
      const pts = (anchor ?? 0) + ticksToNs(produced, b.rate);
      produced += n;
      queue.push({
        caps: capsFor(b.rate, b.channels),
        pts,
        dts: pts,
        duration: (anchor ?? 0) + ticksToNs(produced, b.rate) - pts,
        flags: discont ? PacketFlags.DISCONT : 0,
        memory: cpuMemory(data),
        meta: EMPTY_META,
      });
      discont = false;
    }
  };

  /** A new stream format: finish the old decoder's stream, set up for the new one. */
  const prepare = async (item: Packet, signal: AbortSignal): Promise<void> => {
    if (item.caps === inCaps) return;
    if (!inCaps || !item.caps.equals(inCaps)) {
      if (dec) {
        take(await dec.finish(signal));
        dec.close();
        dec = undefined;
      }
      cfg = setup(item.caps);
      skipLeft = cfg.skip;
      carry = new Uint8Array(0);
      anchor = undefined;
    }
    inCaps = item.caps;
  };

  /** The sample clock restarts at the first packet and after DISCONT. */
  const stamp = (item: Packet): void => {
    if (anchor === undefined || (item.flags & PacketFlags.DISCONT) !== 0) {
      // A packet without pts restarts nothing (or starts the clock at 0).
      if (item.pts !== undefined || anchor === undefined) {
        anchor = item.pts ?? 0;
        produced = 0;
      }
      discont = true;
    }
  };

  /** The codec frames in a packet (ADTS re-framed across packets). */
  const unitsOf = (item: Packet): Uint8Array[] => {
    const data = audioBytes(item);
    if (!cfg!.split) return [data];
    const s = cfg!.split(concat(carry, data));
    // Copied: the packet's bytes go back to their producer at release.
    carry = s.rest.slice();
    if (s.skipped > 0) {
      // Bytes that are no frame (damage, or not ADTS at all): counted, as a refused packet is.
      ctx.report.drop('corrupt');
      ctx.log('warn', `skipped ${s.skipped} bytes that are not ADTS frames`);
    }
    return s.frames;
  };

  const handle = async (items: Pulled<Packet>[], signal: AbortSignal): Promise<void> => {
    try {
      for (let i = 0; i < items.length; ) {
        const item = items[i];
        if (item === EOS) {
          if (dec) take(await dec.finish(signal));
          ended = true;
          return;
        }
        await prepare(item, signal);
        // A run of packets with these caps goes to the codec in one call.
        let j = i + 1;
        while (j < items.length && items[j] !== EOS && (items[j] as Packet).caps === item.caps) j++;
        const run = items.slice(i, j) as Packet[];
        const units = run.map(unitsOf);
        const c = cfg!;
        dec ??= new addon.NativeAudioDecoder({ codec: c.codec, extradata: c.extradata, rate: c.rate, channels: c.channels, format });
        const flat = units.flat();
        const results = flat.length === 1 ? [await dec.decode(flat[0], signal)] : flat.length > 1 ? await dec.decodeBatch(flat, signal) : [];
        let r = 0;
        run.forEach((p, k) => {
          stamp(p);
          for (let u = 0; u < units[k].length; u++) take(results[r++]);
        });
        i = j;
      }
    } finally {
      // The codec copied what it keeps: every packet of the batch is done with, whatever happened.
      for (const it of items) if (it !== EOS) releasePacket(it);
    }
  };

  return {
    ...batchedReader(up, queue, handle, () => ended || closed),
    close() {
      closed = true;
      dec?.close();
      dec = undefined;
      queue.length = 0;
    },
  };
}

/** What an encoder element adds to the shared reader: the codec, and its output caps once open. */
export interface AudioEncoderSetup {
  readonly codec: string;
  readonly bitrate?: number;
  /** Fixed output caps for this input and the opened encoder (codec_data, encoder-delay). */
  outputCaps(input: RawAudioInfo, enc: NativeAudioEncoder): Caps;
  /** Frames a raw codec frame for the output (ADTS headers); identity when absent. */
  frame?(data: Uint8Array): Uint8Array;
}

/**
 * An encoder's reader: input of any size is cut into the codec's frames natively. Packet i's pts is the
 * first input pts + (i · frame size) / rate: the priming the encoder puts first (caps `encoder-delay`,
 * samples) lies inside the stream's first packets, as in MP4 before its edit list, and a decoder that
 * trims it (aacDec, opusDec) gives the input's timestamps back exactly.
 */
export function openAudioEncoder(ctx: ElementContext, up: Reader<Packet>, addon: NativeBinding, setup: AudioEncoderSetup): Reader<AudioPacket> {
  let enc: NativeAudioEncoder | undefined;
  let info: RawAudioInfo | undefined;
  let inCaps: Caps | undefined;
  let outCaps: Caps | undefined;
  let base: number | undefined;
  let first = true;
  let ended = false;
  let closed = false;
  const queue: AudioPacket[] = [];

  const take = (packets: EncodedAudioPacket[]): void => {
    const e = enc!;
    const rate = info!.rate;
    for (const p of packets) {
      const raw = new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength);
      const start = p.pts + e.delay;
      const pts = (base ?? 0) + ticksToNs(start, rate);
      queue.push({
        caps: outCaps!,
        pts,
        dts: pts,
        duration: (base ?? 0) + ticksToNs(start + p.duration, rate) - pts,
        flags: first ? PacketFlags.DISCONT : 0,
        memory: cpuMemory(setup.frame ? setup.frame(raw) : raw),
        meta: EMPTY_META,
      });
      first = false;
    }
  };

  const finish = async (signal: AbortSignal): Promise<void> => {
    if (!enc) return;
    take(await enc.finish(signal));
    enc.close();
    enc = undefined;
  };

  const prepare = async (item: Packet, signal: AbortSignal): Promise<void> => {
    if (item.caps === inCaps) return;
    if (!inCaps || !item.caps.equals(inCaps)) {
      // A new format: finish the stream so far (its last partial frame padded), start a new one.
      await finish(signal);
      info = rawAudioInfo(item.caps);
      if (info.layout !== 'interleaved' || (info.format !== 'S16LE' && info.format !== 'F32LE'))
        throw new RangeError(`${ctx.name} encodes interleaved S16LE or F32LE, got ${item.caps.toString()}`);
      base = undefined;
      first = true;
    }
    inCaps = item.caps;
  };

  const handle = async (items: Pulled<Packet>[], signal: AbortSignal): Promise<void> => {
    try {
      for (let i = 0; i < items.length; ) {
        const item = items[i];
        if (item === EOS) {
          await finish(signal);
          ended = true;
          return;
        }
        await prepare(item, signal);
        let j = i + 1;
        while (j < items.length && items[j] !== EOS && (items[j] as Packet).caps === item.caps) j++;
        const run = items.slice(i, j) as Packet[];
        if (!enc) {
          const inf = info!;
          enc = new addon.NativeAudioEncoder({ codec: setup.codec, rate: inf.rate, channels: inf.channels, format: inf.format, bitrate: setup.bitrate });
          outCaps = setup.outputCaps(inf, enc);
        }
        base ??= item.pts ?? 0;
        const blocks = run.map(audioBytes);
        take(blocks.length === 1 ? await enc.encode(blocks[0], signal) : await enc.encodeBatch(blocks, signal));
        i = j;
      }
    } finally {
      // The encoder has copied the samples into its FIFO (or failed): every packet is done with either way.
      for (const it of items) if (it !== EOS) releasePacket(it);
    }
  };

  return {
    ...batchedReader(up, queue, handle, () => ended || closed),
    close() {
      closed = true;
      enc?.close();
      enc = undefined;
      queue.length = 0;
    },
  };
}
