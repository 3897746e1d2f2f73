import { queuedReader } from '../src/reader';
import { defineElement, prop, type ElementOptions, type SettingsOf } from '../src/descriptor';
import { Caps, caps, fraction, type FieldValue, type Fraction } from '../src/caps';
import {
  AccessUnitAssembler,
  buildAvcC,
  fromHex,
  H264Error,
  H264Timestamper,
  joinAnnexB,
  levelName,
  NalType,
  parseAvcC,
  profileName,
  rememberNalLayout,
  splitAvc,
  toHex,
  writeAccessUnit,
  type AccessUnit,
  type AssemblerDropReason,
  type Rate,
  type Sps,
  type StreamFormat,
} from '../src/codecs/h264';
import { EOS, type ElementContext, type Pulled, type Reader } from '../src/element';
import { cpuMemory } from '../src/memory/memory';
import { defineTransform, type Transform } from '../src/operator';
import { EMPTY_META, PacketFlags, type CpuPacket, type Packet, type PacketMeta } from '../src/packet';
import { SECOND } from '../src/time';
import { findType, Probability, TYPEFIND_BYTES, UnsupportedTypeError } from '../src/typefind';

/** What an input packet's caps say about its payload. */
interface InputMode {
  readonly avc: boolean;
  readonly lengthSize: 1 | 2 | 4;
  /** Each packet ends an access unit (alignment=au, or avc). */
  readonly aligned: boolean;
  readonly rate: Rate | undefined;
}

/** What an input packet brings that belongs to the access unit beginning in it. */
interface Tag {
  readonly pts: number | undefined;
  readonly dts: number | undefined;
  readonly flags: number;
  readonly meta: PacketMeta;
}

const SINK_CAPS = Caps.parse('video/x-h264, stream-format=(string){ byte-stream, avc }; application/octet-stream');
const FORMATS: readonly StreamFormat[] = ['byte-stream', 'avc'];
const DEFAULT_RATE: Rate = { num: 25, den: 1 };

export const H264_PARSE = defineElement({
  name: 'h264Parse',
  kind: 'transform',
  description: 'Parses H.264 into access units with caps from the SPS, in byte-stream or avc form (GStreamer h264parse)',
  caps: {
    sink: SINK_CAPS,
    src: Caps.parse('video/x-h264, stream-format=(string){ byte-stream, avc }, alignment=(string)au'),
  },
  notes:
    'Any framing in (Annex B in arbitrary chunks, unit-aligned Annex B, AVC with codec_data); one access unit per packet out, caps from the SPS (a new Caps object only when the parameters change). Keyframes, header-only, damaged units and discontinuities are flagged; missing times are derived.',
  properties: {
    streamFormat: prop.enum(FORMATS, {
      defaultDoc: "the input's when downstream allows it, else what downstream takes",
      doc: 'Output framing',
    }),
    configInterval: prop.int({
      default: 0,
      min: -1,
      doc: 'SPS/PPS before IDRs: -1 before every IDR lacking them, 0 never, N when N seconds passed since they were last sent (byte-stream output always gets them before the first IDR when the input had them only out of band)',
    }),
    dropAud: prop.boolean({
      default: false,
      doc: 'Drop access unit delimiters',
    }),
    dropSei: prop.boolean({ default: false, doc: 'Drop SEI NAL units' }),
    dropFiller: prop.boolean({
      default: false,
      doc: 'Drop filler data NAL units',
    }),
    framerate: prop.fraction({
      defaultDoc: 'the VUI, else 25/1',
      doc: 'Frame rate for timestamps of streams without times; overrides the VUI',
    }),
    skipToKeyframe: prop.boolean({
      default: true,
      doc: 'Drop access units before the first IDR or recovery point (else pass them CORRUPT)',
    }),
  },
});

export type H264ParseOptions = ElementOptions<typeof H264_PARSE>;
type H264ParseSettings = SettingsOf<typeof H264_PARSE.properties>;

function formatsIn(allowed: Caps): StreamFormat[] {
  if (allowed.isAny) return [...FORMATS];
  const out: StreamFormat[] = [];
  for (const s of allowed.structures) {
    if (s.name !== 'video/x-h264') continue;
    const v = s.get('stream-format');
    const values = v === undefined ? FORMATS : typeof v === 'string' ? [v] : v && typeof v === 'object' && v.kind === 'list' ? v.values : [];
    for (const f of values) if ((f === 'byte-stream' || f === 'avc') && !out.includes(f)) out.push(f);
  }
  return out;
}

/** avc when the caps say so, or (GStreamer's rule) when they carry codec_data without a stream-format. */
function inputFormat(input: Caps): StreamFormat {
  if (input.mediaType !== 'video/x-h264') return 'byte-stream';
  const f = input.get('stream-format');
  return f === 'avc' || (f === undefined && typeof input.get('codec_data') === 'string') ? 'avc' : 'byte-stream';
}

/**
 * GStreamer's h264parse: H.264 in any framing (Annex B bytes in arbitrary chunks such as a file source's,
 * unit-aligned Annex B, or AVC samples with codec_data), access units out, one per packet, in the
 * requested stream format, with caps from the SPS (size, frame rate, profile, level; codec_data for
 * avc) that change, as a new Caps object, only when the stream's parameters do. Keyframes, header-only
 * units, damaged units and discontinuities are flagged; missing times are derived (see H264Timestamper).
 * The parsing itself is the sans-IO AccessUnitAssembler; this element only frames it for a pipeline.
 */
export const h264Parse = H264_PARSE.implement((options): Transform<Packet, CpuPacket> => {
  const { configInterval, framerate: rateOption, streamFormat: want } = options;
  const srcCaps = caps('video/x-h264', {
    'stream-format': want ?? { kind: 'list', values: ['byte-stream', 'avc'] },
    alignment: 'au',
  });
  return defineTransform<Packet, CpuPacket>({
    sinkCaps: SINK_CAPS,
    srcCaps,
    // Any input framing converts to any output format: what downstream takes does not restrict the input.
    acceptCaps: () => SINK_CAPS,
    outputCaps(input, allowed) {
      const formats = formatsIn(allowed);
      if (formats.length === 0) return Caps.empty();
      // Unconstrained downstream (a file sink) gets the elementary-stream form, as a `.h264` file needs;
      // a downstream that takes one form (mp4Mux: avc) gets that one.
      const pick = want ?? (formats.length > 1 ? 'byte-stream' : formats[0]);
      if (!formats.includes(pick)) return Caps.empty();
      return caps('video/x-h264', { 'stream-format': pick, alignment: 'au' });
    },
    open: (ctx, up) => openParser(ctx, up, options, configInterval, rateOption),
  });
});

function openParser(
  ctx: ElementContext,
  up: Reader<Packet>,
  options: H264ParseSettings,
  configInterval: number,
  rateOption: Rate | undefined
): Reader<CpuPacket> {
  const negotiated = ctx.outputCaps.get('stream-format');
  const outFormat: StreamFormat =
    negotiated === 'avc' || negotiated === 'byte-stream'
      ? negotiated
      : options.streamFormat ??
        (negotiated && typeof negotiated === 'object' && negotiated.kind === 'list' && negotiated.values[0] === 'avc' ? 'avc' : 'byte-stream');
  const { dropAud, dropSei, dropFiller } = options;
  const dropType =
    dropAud || dropSei || dropFiller
      ? (t: number): boolean => (dropAud && t === NalType.AUD) || (dropSei && t === NalType.SEI) || (dropFiller && t === NalType.FILLER)
      : undefined;

  let pendingDiscont = true; // the first packet out is DISCONT, as after any gap
  const onDrop = (reason: AssemblerDropReason, bytes: number): void => {
    ctx.report.drop(reason === 'garbage' ? 'corrupt' : 'policy');
    pendingDiscont = true;
    if (reason === 'garbage') ctx.log('warn', `skipped ${bytes} bytes that are not H.264 NAL units`);
  };
  const asm = new AccessUnitAssembler<Tag>({
    skipToKeyframe: options.skipToKeyframe,
    onDrop,
  });
  const clock = new H264Timestamper();

  let mode: InputMode = {
    avc: false,
    lengthSize: 4,
    aligned: false,
    rate: undefined,
  };
  let modeCaps: Caps | undefined;
  let sniffed = false;
  let ended = false;
  const queue: CpuPacket[] = [];

  // Caps are rebuilt only when what they say changes, so every packet between changes shares one object.
  let outCaps: Caps | undefined;
  let capsSps: Sps | undefined;
  let capsRate: Rate | undefined;
  let capsVersion = -1;
  // config-interval bookkeeping.
  let lastConfigTime: number | undefined;
  let sentVersion = -1;

  const setMode = (c: Caps): void => {
    modeCaps = c;
    const avc = inputFormat(c) === 'avc';
    let lengthSize: 1 | 2 | 4 = 4;
    if (avc) {
      const cd = c.get('codec_data');
      if (typeof cd === 'string') {
        try {
          const rec = parseAvcC(fromHex(cd));
          lengthSize = rec.lengthSize;
          for (const n of [...rec.sps, ...rec.pps]) {
            if (!asm.addParameterSet(n)) ctx.log('warn', 'codec_data holds a parameter set that does not parse');
          }
        } catch (e) {
          if (!(e instanceof H264Error)) throw e;
          ctx.log('error', `codec_data: ${e.message}`);
        }
      } else {
        ctx.log('warn', 'stream-format=avc without codec_data: assuming 4-byte lengths, parameter sets in band');
      }
    }
    const fr = c.get('framerate');
    const rate = fr && typeof fr === 'object' && fr.kind === 'fraction' && fr.num > 0 ? { num: fr.num, den: fr.den } : undefined;
    // avc is unit-aligned unless it says alignment=nal; byte-stream only when it says alignment=au.
    const alignment = c.get('alignment');
    mode = {
      avc,
      lengthSize,
      aligned: avc ? alignment !== 'nal' : alignment === 'au',
      rate,
    };
  };

  const rateFor = (au: AccessUnit<Tag>): Rate => rateOption ?? mode.rate ?? au.sps?.framerate ?? capsRate ?? DEFAULT_RATE;

  const capsFor = (au: AccessUnit<Tag>, rate: Rate): Caps => {
    const sps = au.sps ?? capsSps;
    if (!sps) return (outCaps ??= ctx.outputCaps);
    const version = outFormat === 'avc' ? asm.params.version : 0;
    if (outCaps && sps === capsSps && version === capsVersion && capsRate && rate.num === capsRate.num && rate.den === capsRate.den) return outCaps;
    const fields: Record<string, FieldValue> = {
      'stream-format': outFormat,
      alignment: 'au',
      width: sps.width,
      height: sps.height,
      framerate: fraction(rate.num, rate.den),
      'pixel-aspect-ratio': fraction(sps.vui?.sarWidth ?? 1, sps.vui?.sarHeight ?? 1),
      'chroma-format': ['4:0:0', '4:2:0', '4:2:2', '4:4:4'][sps.chromaFormatIdc],
      'bit-depth-luma': sps.bitDepthLuma,
      'bit-depth-chroma': sps.bitDepthChroma,
      parsed: true,
      profile: profileName(sps),
      level: levelName(sps),
    };
    if (outFormat === 'avc') {
      const raw = asm.params.rawSps(sps.id);
      if (raw)
        fields.codec_data = toHex(
          buildAvcC({
            sps: [raw],
            pps: asm.params.ppsFor(sps.id).map((p) => p.raw),
          })
        );
    }
    outCaps = caps('video/x-h264', fields);
    capsSps = sps;
    capsVersion = version;
    capsRate = rate;
    return outCaps;
  };

  /** Parameter sets to put in front of a keyframe lacking them (config-interval, avc → byte-stream). */
  const configFor = (au: AccessUnit<Tag>, time: number | undefined): Uint8Array[] | undefined => {
    if (!au.keyframe || !au.sps || (au.hasSps && au.hasPps)) return undefined;
    let due = false;
    if (configInterval === -1) due = true;
    else if (configInterval > 0) due = lastConfigTime === undefined || time === undefined || time - lastConfigTime >= configInterval * SECOND;
    // A byte stream carries its parameter sets in band: they must precede the first IDR after a change.
    if (outFormat === 'byte-stream' && sentVersion !== asm.params.version) due = true;
    if (!due) return undefined;
    const out: Uint8Array[] = [];
    const raw = asm.params.rawSps(au.sps.id);
    if (!au.hasSps && raw) out.push(raw);
    if (!au.hasPps) for (const p of asm.params.ppsFor(au.sps.id)) out.push(p.raw);
    return out.length ? out : undefined;
  };

  const emit = (au: AccessUnit<Tag>): void => {
    const tag = au.tag;
    const rate = rateFor(au);
    const t = clock.stamp(au, rate, tag ?? {});
    const time = t.pts ?? t.dts;
    const insert = configFor(au, time);
    const withConfig = (au.hasSps && au.hasPps) || insert !== undefined;
    if (withConfig) {
      lastConfigTime = time;
      sentVersion = asm.params.version;
    }
    // The unit's own bytes when nothing changes; a new buffer when NALs are dropped, parameter sets put
    // in, or the framing converted. That is this element's job, not an implicit copy: not in the ledger.
    const data = writeAccessUnit(au, outFormat, { drop: dropType, insert });
    // Where the NAL units are, for a consumer that reframes the unit (mp4Mux) without scanning it again.
    if (data === au.data && au.format === 'annexb') rememberNalLayout(data, au.nals);
    let flags = 0;
    if (au.keyframe) flags |= PacketFlags.KEYFRAME;
    if (au.corrupt || (tag && tag.flags & PacketFlags.CORRUPT)) flags |= PacketFlags.CORRUPT;
    if (!au.hasPicture) flags |= PacketFlags.HEADER;
    if (au.droppable) flags |= PacketFlags.DROPPABLE;
    if (au.discont || pendingDiscont) flags |= PacketFlags.DISCONT;
    pendingDiscont = false;
    if (au.errors.length) ctx.log('debug', `damaged access unit: ${au.errors.join('; ')}`);
    queue.push({
      caps: capsFor(au, rate),
      pts: t.pts,
      dts: t.dts,
      duration: t.duration,
      flags,
      memory: cpuMemory(data),
      meta: tag?.meta ?? EMPTY_META,
    });
  };

  const emitAll = (aus: readonly AccessUnit<Tag>[]): void => {
    for (let i = 0; i < aus.length; i++) emit(aus[i]);
  };

  const handle = (item: Pulled<Packet>): void => {
    if (item === EOS) {
      const rest = asm.flush();
      // A graceful stop (Ctrl-C) ends the source mid-read: in an unaligned byte stream the unit flushed
      // then holds the bytes read so far, a picture cut short. Drop it rather than write a damaged last
      // frame (a stop landing exactly on a boundary loses one whole frame, never writes a cut one).
      // At the stream's real end, or with aligned input, the flushed unit is whole and passes.
      const last = rest.length - 1;
      const cut = ctx.eosRequested && !mode.aligned && last >= 0 && rest[last].hasPicture;
      emitAll(cut ? rest.slice(0, last) : rest);
      if (cut) ctx.report.drop('policy');
      ended = true;
      return;
    }
    const mem = item.memory;
    if (mem.domain === 'none') return;
    if (mem.domain !== 'cpu') throw new TypeError(`h264Parse needs CPU memory, got ${mem.domain}`);
    if (item.caps !== modeCaps) setMode(item.caps);
    if (!sniffed) {
      sniffed = true;
      if (item.caps.structures[0]?.name === OCTET_STREAM) refuseOtherFormats(mem.data);
    }
    if (item.flags & PacketFlags.DISCONT) pendingDiscont = true;
    const tag: Tag = {
      pts: item.pts,
      dts: item.dts,
      flags: item.flags,
      meta: item.meta,
    };
    if (mode.avc && mode.aligned) {
      emitAll(asm.pushAvc(mem.data, mode.lengthSize, tag));
    } else if (mode.avc) {
      // avc in NAL units (alignment=nal): as Annex B, the assembler finds the unit boundaries.
      let nals: Uint8Array[] = [];
      try {
        nals = splitAvc(mem.data, mode.lengthSize);
      } catch (e) {
        if (!(e instanceof H264Error)) throw e;
        ctx.report.drop('corrupt');
        pendingDiscont = true;
      }
      emitAll(asm.push(joinAnnexB(nals), tag));
    } else {
      emitAll(asm.push(mem.data, tag));
      if (mode.aligned) emitAll(asm.endAccessUnit());
    }
  };

  return queuedReader(up, queue, handle, () => ended);
}

const OCTET_STREAM = 'application/octet-stream';

/**
 * Bytes of unknown format (a fileSrc without typeFind) are looked at once, in the first packet: a stream
 * the typefinder is sure is something else (MPEG-TS, HEVC, an MP4 file) fails here, naming it, instead of
 * yielding garbage frames from start codes inside a container. Anything not recognised is left to the
 * assembler, which skips what is not H.264 (a stream cut mid-NAL, leading junk) with a warning.
 */
function refuseOtherFormats(head: Uint8Array): void {
  const hit = findType(head.subarray(0, TYPEFIND_BYTES), { complete: false });
  if (hit && hit.kind !== 'h264' && hit.probability >= Probability.LIKELY) throw new UnsupportedTypeError('the input', hit, ['h264']);
}
