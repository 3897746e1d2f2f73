import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions, type SettingsOf } from '../src/descriptor';
import { isFraction, type FieldValue } from '../src/caps/value';
import { annexBNals, AvcGatherer, buildAvcC, H264Error, NalType, parseAvcC, parseSps } from '../src/codecs/h264';
import { EOS, type Pulled, type Reader } from '../src/element';
import { hexToBytes } from '../src/formats/mp4/avcc';
import { Mp4Error } from '../src/formats/mp4/errors';
import { chooseTimescale, Mp4Muxer, type Mp4Chunk, type Mp4TrackConfig, type Mp4VideoTrackConfig } from '../src/formats/mp4/mp4-muxer';
import { audioTrackFromCaps, isAudioCaps } from './mp4-mux-audio';
import { TRACK_WAIT, trackKey } from './track-key';
import { cpuMemory, type CpuMemory } from '../src/memory/memory';
import { defineTransform, type Transform } from '../src/operator';
import { EMPTY_META, PacketFlags, type Packet } from '../src/packet';
import { SECOND } from '../src/time';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';

// byte-stream too: its units are reframed as gathered views (length prefixes beside views of the slices),
// which spares the parser's copy of every unit into AVC framing; codec_data then comes from in-band SPS/PPS.
// Audio: raw AAC (AudioSpecificConfig in codec_data) and Opus; several tracks arrive as one stream of
// packets, each with its own track's caps (merge's output, or mp4Demux track=all).
const AUDIO_CAPS = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string)raw; audio/x-opus');
const SINK_CAPS = Caps.parse(
  'video/x-h264, stream-format=(string){ avc, avc3, byte-stream }, alignment=(string)au; audio/mpeg, mpegversion=(int)4, stream-format=(string)raw; audio/x-opus'
);
const ISO_FRAGMENTED = Caps.parse('video/quicktime, variant=(string)iso-fragmented');
const ISO = Caps.parse('video/quicktime, variant=(string)iso');
const EITHER = Caps.parse('video/quicktime, variant=(string){ iso-fragmented, iso }');

export const MP4_MUX = defineElement({
  name: 'mp4Mux',
  kind: 'transform',
  description:
    'Muxes H.264 access units, AAC and Opus frames (one track or several, interleaved by time) into ISO BMFF (MP4), fragmented by default so a crash loses at most one fragment',
  caps: { sink: SINK_CAPS, src: EITHER },
  notes:
    'Fragmented: each fragment goes out as soon as it is complete; progressive puts the moov first (faststart) and so writes everything at end of stream. Output packets are box headers and views of the input samples: no payload copies unless contiguous.',
  properties: {
    fragmented: prop.boolean({
      defaultDoc: 'what downstream allows, fragmented first',
      doc: 'Fragmented MP4 (ftyp + moov, then moof + mdat per fragment); false: progressive with the moov at the front',
    }),
    fragmentDuration: prop.duration({ unit: 'ns', default: SECOND, doc: 'Close a fragment at the first keyframe once it holds this much (0: every keyframe)' }),
    maxFragmentDuration: prop.duration({ unit: 'ns', defaultDoc: 'never', doc: 'Close a fragment once it holds this much, even between keyframes' }),
    mfra: prop.boolean({ default: false, doc: 'End a fragmented file with an mfra random-access index' }),
    timescale: prop.uint({
      min: 1,
      max: 0xffffffff,
      defaultDoc: 'from the frame rate (30 fps → 15360, as ffmpeg), 90000 when unknown',
      doc: 'Track timescale',
    }),
    contiguous: prop.boolean({ default: false, doc: 'One packet per fragment (or file) instead of header + sample views: one counted copy of the payload' }),
    tracks: prop.uint({
      min: 1,
      max: 64,
      defaultDoc: 'one if the input can only be H.264, else the tracks seen in its first second',
      doc: 'Tracks to expect in a multi-track input (merge, mp4Demux track=all): the file starts once this many have appeared',
    }),
  },
});

export type Mp4MuxOptions = ElementOptions<typeof MP4_MUX>;

function fieldInt(v: FieldValue | undefined): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/**
 * The track of the muxed file, from fixed H.264 caps (codec_data is required unless `avcC` is given,
 * width/height expected).
 */
export function trackFromCaps(c: Caps, timescale?: number, avcC?: Uint8Array): { track: Mp4VideoTrackConfig; warnings: string[] } {
  const warnings: string[] = [];
  const s = c.structures[0];
  if (!s || s.name !== 'video/x-h264') throw new Mp4Error('invalid-argument', `mp4Mux needs video/x-h264 caps, got ${c.toString()}`);
  const hex = s.get('codec_data');
  if (typeof hex !== 'string' && !avcC) throw new Mp4Error('invalid-argument', `input caps have no codec_data (the avcC record, as hex): ${c.toString()}`);
  const codecPrivate = typeof hex === 'string' ? hexToBytes(hex) : avcC;
  if (!codecPrivate) throw new Mp4Error('invalid-argument', 'codec_data is not hex');
  // Caps without a size (rtspSrc's, from RTP) take the SPS's, as the sample entry must state it.
  const fromSps = fieldInt(s.get('width')) === undefined || fieldInt(s.get('height')) === undefined ? spsSize(codecPrivate) : undefined;
  const width = fieldInt(s.get('width')) ?? fromSps?.width;
  const height = fieldInt(s.get('height')) ?? fromSps?.height;
  if (width === undefined || height === undefined) warnings.push('input caps have no width/height: the sample entry says 0x0 (decoders read the SPS)');
  const fr = s.get('framerate');
  const framerate = fr !== undefined && isFraction(fr) && fr.num > 0 ? fr : undefined;
  const par = s.get('pixel-aspect-ratio');
  const track: Mp4VideoTrackConfig = {
    codec: s.get('stream-format') === 'avc3' ? 'avc3' : 'avc1',
    codecPrivate,
    width: width ?? 0,
    height: height ?? 0,
    pixelAspectRatio: par !== undefined && isFraction(par) && par.num > 0 ? { num: par.num, den: par.den } : undefined,
    timescale: timescale ?? chooseTimescale(framerate),
    defaultSampleDuration: framerate ? Math.round((SECOND * framerate.den) / framerate.num) : undefined,
  };
  return { track, warnings };
}

/** The picture size the avcC's first SPS states; undefined when it cannot be read. */
function spsSize(avcC: Uint8Array): { width: number; height: number } | undefined {
  try {
    const sps = parseAvcC(avcC).sps[0];
    if (!sps) return undefined;
    const { width, height } = parseSps(sps);
    return { width, height };
  } catch (e) {
    if (e instanceof H264Error) return undefined;
    throw e;
  }
}

/**
 * MP4 (ISO BMFF) muxer for one H.264 track (GStreamer's mp4mux role): access units in, file bytes out, so
 * that `… ! mp4Mux ! fileSink location=out.mp4` works. Fragmented by default (a crash loses at most the
 * fragment being written; each fragment goes out as soon as it is complete); progressive puts the moov
 * first (faststart) and therefore writes everything at end of stream. Output packets are the box headers
 * and views of the input samples: no payload copies unless `contiguous`.
 */
export const mp4Mux = MP4_MUX.implement((options): Transform<Packet, Packet<CpuMemory>> => {
  const { fragmented, fragmentDuration, maxFragmentDuration, mfra, timescale, contiguous, tracks: expectTracks } = options;
  return defineTransform<Packet, Packet<CpuMemory>>({
    sinkCaps: SINK_CAPS,
    srcCaps: fragmented === undefined ? EITHER : fragmented ? ISO_FRAGMENTED : ISO,
    outputCaps: (_input, allowed) => {
      const v = allowed.fixate().get('variant');
      return v === 'iso' ? ISO : ISO_FRAGMENTED;
    },
    open(ctx, up): Reader<Packet<CpuMemory>> {
      const outCaps = ctx.outputCaps.get('variant') === 'iso' ? ISO : ISO_FRAGMENTED;
      const isFragmented = outCaps === ISO_FRAGMENTED;
      let muxer: Mp4Muxer | undefined;
      let skippedHeaders = false;
      const queue: Packet<CpuMemory>[] = [];
      let head = 0;
      let done = false;
      // byte-stream input: parameter sets seen in band (for the avcC), and the reframing of units.
      const sps: Uint8Array[] = [];
      const pps: Uint8Array[] = [];
      let gatherer: AvcGatherer | undefined;
      // Tracks by what must stay the same for one sample description; their index in the muxer.
      const tracks = new Map<string, { index: number; video: boolean }>();
      let lastCaps: Caps | undefined;
      let lastIndex = 0;
      // A stream that may hold several tracks is held until they have all appeared (see TRACK_WAIT).
      // (An input that can only be H.264 starts at its first packet, as a one-track muxer always did.)
      const multi = expectTracks !== undefined ? expectTracks > 1 : !ctx.inputCaps || !ctx.inputCaps.intersect(AUDIO_CAPS).isEmpty();
      const held: Packet[] = [];
      const seen = new Map<string, Caps>();

      const isAnnexB = (c: Caps): boolean => c.get('stream-format') === 'byte-stream';
      /** In-band parameter sets of a byte-stream unit: kept for the avcC until the track starts, then checked against it. */
      const noteParameterSets = (data: Uint8Array, nals: ReturnType<typeof annexBNals>): void => {
        for (const n of nals) {
          if (n.type !== NalType.SPS && n.type !== NalType.PPS) continue;
          const set = n.type === NalType.SPS ? sps : pps;
          const bytes = data.subarray(n.offset, n.offset + n.size);
          if (set.some((x) => sameBytes(x, bytes))) continue;
          if (muxer && n.type === NalType.SPS) throw new Mp4Error('unsupported', 'the SPS changed mid-stream; one sample description per file is supported');
          if (!muxer) set.push(bytes.slice());
        }
      };
      const annexBAvcC = (c: Caps): Uint8Array | undefined => {
        if (!isAnnexB(c) || typeof c.get('codec_data') === 'string') return undefined;
        if (sps.length === 0 || pps.length === 0)
          throw new Mp4Error('invalid-argument', 'byte-stream input without SPS and PPS before its first picture: no avcC for the sample entry');
        try {
          return buildAvcC({ sps, pps });
        } catch (e) {
          if (e instanceof H264Error) throw new Mp4Error('invalid-argument', `in-band parameter sets: ${e.message}`);
          throw e;
        }
      };

      /** Starts the file with these tracks: video first, then audio, each in order of appearance. */
      const start = (list: Caps[]): void => {
        const ordered = [...list.filter((c) => !isAudioCaps(c)), ...list.filter(isAudioCaps)];
        const configs: Mp4TrackConfig[] = ordered.map((c, index) => {
          tracks.set(trackKey(c), { index, video: !isAudioCaps(c) });
          if (isAudioCaps(c)) return audioTrackFromCaps(c);
          const { track, warnings } = trackFromCaps(c, timescale, annexBAvcC(c));
          for (const w of warnings) ctx.log('warn', w);
          return track;
        });
        if (configs.length > 1) ctx.log('debug', `${configs.length} tracks: ${ordered.map((c) => c.structures[0]?.name).join(', ')}`);
        muxer = new Mp4Muxer(configs, { fragmented: isFragmented, fragmentDuration, maxFragmentDuration, mfra, contiguous });
      };
      const emit = (chunks: Mp4Chunk[]): void => {
        for (const ch of chunks) {
          if (ch.copied) ctx.ledger.record({ element: ctx.name, bytes: ch.copied, from: 'cpu', to: 'cpu', reason: 'contiguous MP4 output', explicit: true });
          const header = ch.kind === 'init' || (ch.kind === 'file' && !contiguous);
          const flags =
            (header ? PacketFlags.HEADER : 0) | (ch.kind === 'fragment' && ch.keyframe ? PacketFlags.KEYFRAME : 0) | (ch.last ? PacketFlags.MARKER : 0);
          queue.push({ caps: outCaps, pts: ch.time, dts: ch.time, duration: ch.duration, flags, memory: cpuMemory(ch.data), meta: EMPTY_META });
        }
      };
      /** The muxer's track for a packet's caps; a format change within a kind fails, as one sample description per track is written. */
      const trackOf = (c: Caps): number => {
        if (c === lastCaps) return lastIndex;
        const t = tracks.get(trackKey(c));
        if (!t) {
          const video = !isAudioCaps(c);
          const same = [...tracks.values()].filter((x) => x.video === video);
          if (same.length)
            throw new Mp4Error('unsupported', `input format changed mid-stream (${c.toString()}); one sample description per track is supported`);
          throw new Mp4Error('unsupported', `a new track appeared after the file started (${c.toString()}); set mp4Mux tracks= to wait for it`);
        }
        lastCaps = c;
        lastIndex = t.index;
        return t.index;
      };
      const add = (item: Packet): void => {
        const m = item.memory;
        const index = trackOf(item.caps);
        if (m.domain !== 'cpu' || m.data.length === 0 || item.flags & PacketFlags.GAP) return;
        let data: Uint8Array | Uint8Array[] = m.data;
        if (isAnnexB(item.caps)) {
          const parts = (gatherer ??= new AvcGatherer()).parts(m.data, annexBNals(m.data));
          if (parts.length === 0) return;
          data = parts.length === 1 ? parts[0] : parts;
        }
        emit(
          muxer!.addSample(
            {
              data,
              dts: item.dts,
              pts: item.pts,
              duration: item.duration,
              keyframe: isAudioCaps(item.caps) || (item.flags & PacketFlags.KEYFRAME) !== 0,
              droppable: (item.flags & PacketFlags.DROPPABLE) !== 0,
            },
            index
          )
        );
      };
      const startHeld = (): void => {
        start([...seen.values()]);
        for (const p of held.splice(0)) add(p);
      };
      const handle = (item: Pulled<Packet>): void => {
        if (item === EOS) {
          const c = ctx.inputCaps;
          if (!muxer && seen.size) startHeld();
          if (!muxer && c?.isFixed() && (c.get('codec_data') !== undefined || (isAnnexB(c) && sps.length && pps.length))) start([c]);
          if (muxer) emit(muxer.finish());
          done = true;
          return;
        }
        const m = item.memory;
        if (m.domain !== 'cpu' && m.domain !== 'none') throw new Mp4Error('unsupported', `mp4Mux reads CPU memory, got ${m.domain}`);
        // In-band parameter sets: what the avcC is built from before the track starts, checked against it after.
        if (isAnnexB(item.caps) && m.domain === 'cpu') noteParameterSets(m.data, annexBNals(m.data));
        // Parameter-set-only packets: in avc stream-format those live in codec_data, not in samples.
        if (item.flags & PacketFlags.HEADER) {
          if (!skippedHeaders) ctx.log('debug', 'skipping HEADER packets (parameter sets are in codec_data)');
          skippedHeaders = true;
          return;
        }
        if (muxer) return add(item);
        if (!multi) {
          start([item.caps]);
          return add(item);
        }
        const key = trackKey(item.caps);
        if (!seen.has(key)) seen.set(key, item.caps);
        held.push(item);
        const t0 = held[0].dts ?? held[0].pts ?? 0;
        const span = (item.dts ?? item.pts ?? t0) - t0;
        if ((expectTracks !== undefined && seen.size >= expectTracks) || (expectTracks === undefined && span >= TRACK_WAIT)) startHeld();
      };
      const pull = (signal: AbortSignal): MaybePromise<Pulled<Packet<CpuMemory>>> => {
        for (;;) {
          if (head < queue.length) {
            const p = queue[head++];
            if (head === queue.length) {
              queue.length = 0;
              head = 0;
            }
            return p;
          }
          if (done) return EOS;
          const r = up.pull(signal);
          if (isPromiseLike(r)) return Promise.resolve(r).then((v) => (handle(v), pull(signal)));
          handle(r);
        }
      };
      return { pull };
    },
  });
});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
