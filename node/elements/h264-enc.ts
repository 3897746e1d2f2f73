import { RELEASE, releasePacket } from '../../src/memory/release';
import { queuedReader } from '../../src/reader';
import { defineElement, prop } from '../../src/descriptor';
import { Caps, caps, type FieldValue } from '../../src/caps';
import { levelName, NalType, parseSps, profileName, splitAnnexB } from '../../src/codecs/h264';
import { EOS, type ElementContext, type Pulled, type Reader } from '../../src/element';
import { cpuMemory, type CpuMemory } from '../../src/memory/memory';
import { defineTransform, type Transform } from '../../src/operator';
import { EMPTY_META, PacketFlags, type Packet, type PacketMeta } from '../../src/packet';
import { rawVideoInfo, rawVideoTemplate } from '../../src/video/format';
import { VIDEO_META, videoLayoutReader, withoutVideoMeta } from '../../src/video/meta';
import { loadNative, type NativeBinding } from '../native/loader';
import type { EncodedPacket, NativeEncoder } from '../native';

export const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo'] as const;
export const X264_TUNES = ['film', 'animation', 'grain', 'stillimage', 'psnr', 'ssim', 'fastdecode', 'zerolatency'] as const;
export type X264Preset = (typeof X264_PRESETS)[number];
export type X264Tune = (typeof X264_TUNES)[number];

export type H264Packet = Packet<CpuMemory>;

const SINK_CAPS = rawVideoTemplate(['I420', 'NV12']);
const SRC_CAPS = Caps.parse('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au');

export const H264_ENC = defineElement({
  name: 'h264Enc',
  kind: 'transform',
  description: 'Encodes raw I420/NV12 frames to H.264 access units with libx264 (through libavcodec) in the native addon (GStreamer x264enc)',
  caps: { sink: SINK_CAPS, src: SRC_CAPS },
  // libx264 reads planes at any offsets and strides: a decoder's padded frames need no packing; frames are released once x264 has the picture.
  metas: [VIDEO_META, RELEASE],
  notes: "Encodes on the addon's encoder thread; output caps carry the input's size and rate and the chosen profile.",
  properties: {
    tune: prop.enum(X264_TUNES, { doc: 'x264 tune, e.g. zerolatency (no lookahead, no B-frames, one frame in one out)' }),
    bitrate: prop.uint({ min: 1, max: 2_000_000, defaultDoc: 'none: crf 23', doc: 'Target bitrate in kbit/s (ABR, VBV of one second); exclusive with crf' }),
    crf: prop.double({ min: 0, max: 51, defaultDoc: '23 when no bitrate is set', doc: 'Constant rate factor' }),
    keyIntMax: prop.uint({ min: 1, max: 100_000, defaultDoc: "x264's 250", doc: 'Keyframe interval in frames' }),
    speedPreset: prop.enum(X264_PRESETS, { defaultDoc: 'veryfast under the live profile, else medium', doc: 'x264 preset' }),
    bframes: prop.uint({ max: 16, defaultDoc: "x264's (3; 0 with zerolatency)", doc: 'Max consecutive B-frames' }),
    profile: prop.enum(['baseline', 'main', 'high'], { doc: 'H.264 profile to restrict to' }),
    threads: prop.uint({ default: 0, max: 64, doc: "Encoder threads (0: x264's choice)" }),
    codec: prop.string({ defaultDoc: 'libx264', doc: "libavcodec encoder (libopenh264 where the system's libavcodec has it)" }),
  },
});

export type H264EncOptions = NonNullable<Parameters<typeof h264Enc>[0]>;
const MAX_PENDING = 256;

/**
 * H.264 encoder (GStreamer x264enc): raw I420/NV12 frames in, Annex B access units out (one per packet,
 * SPS/PPS in band before each keyframe), encoded by libx264 through libavcodec in the native addon on the
 * libuv thread pool. The frame is read in place by the encoder, not copied. Packets carry pts and dts in
 * ns (dts < pts with B-frames), KEYFRAME on IDR units, and the input frame's duration and meta.
 */
export const h264Enc = H264_ENC.implement((options, x: { addon?: NativeBinding }): Transform<Packet<CpuMemory>, H264Packet> => {
  if (options.bitrate !== undefined && options.crf !== undefined) throw new RangeError('h264Enc bitrate and crf are exclusive');
  const addon = x.addon ?? loadNative();
  return defineTransform<Packet<CpuMemory>, H264Packet>({
    sinkCaps: SINK_CAPS,
    srcCaps: SRC_CAPS,
    acceptCaps: () => SINK_CAPS,
    outputCaps(input, allowed) {
      const fields: Record<string, FieldValue> = { 'stream-format': 'byte-stream', alignment: 'au' };
      for (const k of ['width', 'height', 'framerate']) {
        const v = input.get(k);
        if (v !== undefined && (typeof v === 'number' || (typeof v === 'object' && v.kind === 'fraction'))) fields[k] = v;
      }
      if (options.profile) fields.profile = options.profile;
      const out = caps('video/x-h264', fields);
      return out.intersect(allowed).isEmpty() ? Caps.empty() : out;
    },
    open: (ctx, up) => openEncoder(ctx, up, addon, options),
  });
});

function openEncoder(ctx: ElementContext, up: Reader<Packet<CpuMemory>>, addon: NativeBinding, options: H264EncOptions): Reader<H264Packet> {
  const live = ctx.profile.name === 'live';
  let enc: NativeEncoder | undefined;
  let inCaps: Caps | undefined;
  let outCaps: Caps = ctx.outputCaps;
  let profileKnown = false;
  let ended = false;
  let closed = false;
  const queue: H264Packet[] = [];
  const tags = new Map<number, { duration: number | undefined; meta: PacketMeta }>();

  const configure = (c: Caps): NativeEncoder => {
    const info = rawVideoInfo(c);
    const rate = info.framerate && info.framerate.num > 0 ? info.framerate : { num: 30, den: 1 };
    return new addon.NativeEncoder({
      codec: options.codec,
      width: info.width,
      height: info.height,
      format: info.format,
      fpsNum: rate.num,
      fpsDen: rate.den,
      bitrate: options.bitrate === undefined ? undefined : options.bitrate * 1000,
      crf: options.crf,
      gop: options.keyIntMax,
      bframes: options.bframes,
      threads: options.threads,
      preset: options.speedPreset ?? (live ? 'veryfast' : undefined),
      tune: options.tune,
      profile: options.profile,
    });
  };

  /** Caps with profile and level once the first SPS shows them (one object from then on). */
  const capsFor = (data: Uint8Array, key: boolean): Caps => {
    if (profileKnown || !key) return outCaps;
    for (const nal of splitAnnexB(data)) {
      if ((nal[0] & 0x1f) !== NalType.SPS) continue;
      const sps = parseSps(nal);
      const fields: Record<string, FieldValue> = {};
      for (const s of outCaps.structures) Object.assign(fields, s.fields);
      fields.profile = profileName(sps);
      fields.level = levelName(sps);
      outCaps = caps('video/x-h264', fields);
      profileKnown = true;
      break;
    }
    return outCaps;
  };

  const take = (packets: EncodedPacket[]): void => {
    for (const p of packets) {
      // A plain Uint8Array view: a Node Buffer's slice() shares memory, and the H.264 helpers rely on
      // slice() copying (unescaping an SPS would otherwise rewrite the packet in place).
      const data = new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength);
      const tag = p.pts === undefined || p.pts === null ? undefined : tags.get(p.pts);
      if (tag) tags.delete(p.pts!);
      queue.push({
        caps: capsFor(data, p.key),
        pts: p.pts ?? undefined,
        dts: p.dts ?? undefined,
        duration: tag?.duration,
        flags: p.key ? PacketFlags.KEYFRAME : 0,
        memory: cpuMemory(data),
        meta: tag?.meta ?? EMPTY_META,
      });
    }
  };

  const layoutOf = videoLayoutReader();
  const handle = async (item: Pulled<Packet<CpuMemory>>, signal: AbortSignal): Promise<void> => {
    if (item === EOS) {
      if (enc) take(await enc.finish(signal));
      ended = true;
      return;
    }
    if (item.memory.domain !== 'cpu') throw new TypeError(`h264Enc needs CPU memory, got ${(item.memory as { domain: string }).domain}`);
    if (item.caps !== inCaps) {
      if (enc && !item.caps.equals(inCaps!)) {
        // A new size or format: finish the stream so far, start a new one (new SPS, new IDR).
        take(await enc.finish(signal));
        enc.close();
        enc = undefined;
      }
      inCaps = item.caps;
    }
    enc ??= configure(item.caps);
    if (item.pts !== undefined) {
      tags.set(item.pts, { duration: item.duration, meta: withoutVideoMeta(item.meta) });
      if (tags.size > MAX_PENDING) tags.delete(tags.keys().next().value!);
    }
    let out: EncodedPacket[];
    if (item.meta.videoMeta !== undefined) {
      // Checked against the caps (the encoder's configuration) and the bytes before libx264 reads them.
      const { layout } = layoutOf(item);
      out = await enc.encode(
        item.memory.data,
        item.pts,
        false,
        signal,
        layout.planes.map((p) => p.offset),
        layout.planes.map((p) => p.stride)
      );
    } else {
      out = await enc.encode(item.memory.data, item.pts, false, signal);
    }
    // libx264 has copied the picture into its own by now (RELEASE); a failed call leaves it to the GC.
    releasePacket(item);
    take(out);
  };

  return {
    ...queuedReader(up, queue, handle, () => ended || closed),
    close() {
      closed = true;
      enc?.close();
      enc = undefined;
      queue.length = 0;
      tags.clear();
    },
  };
}
