import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { Caps, caps } from '../src/caps';
import { fraction, type FieldValue } from '../src/caps/value';
import { EOS, type Pulled, type Reader } from '../src/element';
import { aacProfileName } from '../src/formats/mp4/audio-config';
import { bytesToHex, h264LevelName, h264ProfileName } from '../src/formats/mp4/avcc';
import { Mp4Error } from '../src/formats/mp4/errors';
import { Mp4Demuxer, type Mp4AudioTrack, type Mp4Track, type Mp4TrackSelection, type Mp4VideoTrack } from '../src/formats/mp4/mp4-demuxer';
import { cpuMemory, type CpuMemory } from '../src/memory/memory';
import { defineTransform, type Transform } from '../src/operator';
import { EMPTY_META, PacketFlags, type Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';

const SINK_CAPS = Caps.parse('application/octet-stream; video/quicktime');
const SRC_CAPS = Caps.parse(
  'video/x-h264, stream-format=(string){ avc, avc3 }, alignment=(string)au; audio/mpeg, mpegversion=(int)4, stream-format=(string)raw; audio/x-opus'
);

export const MP4_DEMUX = defineElement({
  name: 'mp4Demux',
  kind: 'transform',
  description: 'Reads ISO BMFF (MP4, progressive or fragmented) from a byte stream into H.264 access units, AAC and Opus frames',
  caps: { sink: SINK_CAPS, src: SRC_CAPS },
  notes:
    "GStreamer's qtdemux for one track (H.264, AAC or Opus), or every track as one stream in file order (track=all: each packet carries its track's caps, as merge's output does; mp4Mux takes it): bytes in (any chunking), one packet per sample out with pts/dts in ns (edit list applied), KEYFRAME on sync samples; samples are views of the input where they lie in one chunk. The stream decides the output caps. Damage confined to other tracks is a warning; a graceful stop (EOS asked of the pipeline) is not truncation.",
  properties: {
    trackId: prop.uint({
      min: 1,
      defaultDoc: 'the first H.264 video track',
      doc: 'Track to read (tkhd track_ID); the same as track=<id>',
    }),
    track: prop.string({
      default: 'video',
      pattern: /^(video|audio|all|[1-9][0-9]{0,9})$/,
      accepts: 'video, audio, all or a track id',
      doc: 'Tracks to read: the first H.264 video track, the first AAC/Opus track, every readable track (interleaved in file order), or one by its tkhd track_ID',
    }),
    maxBufferBytes: prop.uint({
      default: 1 << 30,
      min: 1,
      doc: 'Most bytes held at once (a moov after its mdat, read as a stream, holds the whole mdat)',
    }),
    onTruncated: prop.enum(['error', 'eos'], {
      default: 'error',
      doc: 'A truncated input fails the run after every complete sample has gone downstream, or (eos) warns and ends the stream so downstream finalises',
    }),
  },
});

export type Mp4DemuxOptions = ElementOptions<typeof MP4_DEMUX>;

/** The demuxer's track selection from the element's properties (`trackId` wins where only it is set). */
function selection(o: { track: string; trackId?: number }): Mp4TrackSelection {
  if (o.trackId !== undefined && o.track === 'video') return o.trackId;
  return /^[0-9]+$/.test(o.track) ? Number(o.track) : (o.track as Mp4TrackSelection);
}

/**
 * Output caps of a track. H.264: codec_data is the avcC as lowercase hex. AAC: GStreamer's
 * `audio/mpeg, mpegversion=4, stream-format=raw` with the AudioSpecificConfig as codec_data. Opus:
 * `audio/x-opus` with rate (the encoder's input rate), channels, pre-skip and the dOps as codec_data.
 */
export function trackCaps(track: Mp4Track): Caps {
  if (track.kind === 'audio') return audioCaps(track);
  return videoCaps(track);
}

function audioCaps(track: Mp4AudioTrack): Caps {
  if (track.codec === 'Opus')
    return caps('audio/x-opus', {
      rate: track.sampleRate,
      channels: track.channels,
      'pre-skip': track.preSkip ?? 0,
      'channel-mapping-family': track.codecPrivate[10] ?? 0,
      codec_data: bytesToHex(track.codecPrivate),
    });
  const fields: Record<string, FieldValue> = { mpegversion: 4, 'stream-format': 'raw', rate: track.sampleRate, channels: track.channels };
  const profile = track.objectType !== undefined ? aacProfileName(track.objectType) : undefined;
  if (profile) fields.profile = profile;
  fields.codec_data = bytesToHex(track.codecPrivate);
  return caps('audio/mpeg', fields);
}

function videoCaps(track: Mp4VideoTrack): Caps {
  const fields: Record<string, FieldValue> = {
    'stream-format': track.codec === 'avc3' ? 'avc3' : 'avc',
    alignment: 'au',
    width: track.width,
    height: track.height,
    framerate: fraction(track.framerate.num, track.framerate.den),
  };
  const par = track.pixelAspectRatio;
  if (par) fields['pixel-aspect-ratio'] = fraction(par.num, par.den);
  const profile = h264ProfileName(track.config);
  if (profile) fields.profile = profile;
  const level = h264LevelName(track.config);
  if (level) fields.level = level;
  fields.codec_data = bytesToHex(track.codecPrivate);
  return caps('video/x-h264', fields);
}

/**
 * MP4 (ISO BMFF) demuxer, as GStreamer's qtdemux for one H.264 video track: bytes in (any chunking, e.g.
 * fileSrc), one packet per sample out with pts/dts in ns (edit list applied) and KEYFRAME on sync samples.
 * Reads progressive files (moov first, or after the mdat: then the mdat is held until the moov arrives)
 * and fragmented ones. Samples are views of the input where they lie in one chunk.
 */
export const mp4Demux = MP4_DEMUX.implement((options): Transform<Packet, Packet<CpuMemory>> => {
  const { onTruncated } = options;
  // Validate now, not at open: a bad option fails where it is written.
  const track = selection(options);
  new Mp4Demuxer({ track, maxBufferBytes: options.maxBufferBytes });
  return defineTransform<Packet, Packet<CpuMemory>>({
    sinkCaps: SINK_CAPS,
    srcCaps: SRC_CAPS,
    // The stream decides (codec_data, size, rate): the first packet's caps renegotiate downstream.
    outputCaps: (_input, allowed) => allowed,
    open(ctx, up): Reader<Packet<CpuMemory>> {
      const demux = new Mp4Demuxer({ track, maxBufferBytes: options.maxBufferBytes });
      // Per track: its caps, and whether its first packet has gone (DISCONT).
      const outCaps = new Map<number, Caps>();
      const started = new Set<number>();
      const feed = (item: Pulled<Packet>): void => {
        // A graceful stop (Ctrl-C, a frame limit) ends the input early on purpose: not a truncated file.
        if (item === EOS) return ctx.eosRequested ? demux.stop() : demux.end();
        const m = item.memory;
        if (m.domain === 'cpu') demux.push(m.data);
        else if (m.domain !== 'none') throw new Mp4Error('unsupported', `mp4Demux reads CPU memory, got ${m.domain}`);
      };
      const pull = (signal: AbortSignal): MaybePromise<Pulled<Packet<CpuMemory>>> => {
        // Asked to end (Ctrl-C, a frame limit): stop now, as a source would, rather than hand out every
        // sample already buffered (a frame limit would pay for each downstream).
        if (ctx.eosRequested) demux.stop();
        for (;;) {
          const ev = demux.next();
          if (ev === undefined) {
            const r = up.pull(signal);
            if (isPromiseLike(r)) return Promise.resolve(r).then((v) => (feed(v), pull(signal)));
            feed(r);
            continue;
          }
          switch (ev.kind) {
            case 'track':
              outCaps.set(ev.track.trackId, trackCaps(ev.track));
              ctx.log('debug', `track ${ev.track.trackId}: ${outCaps.get(ev.track.trackId)!.toString()}`);
              continue;
            case 'sample': {
              const s = ev.sample;
              if (s.copied)
                ctx.ledger.record({
                  element: ctx.name,
                  bytes: s.data.length,
                  from: 'cpu',
                  to: 'cpu',
                  reason: 'MP4 sample spans input chunks (framing a byte stream: counted, never refused)',
                  explicit: true,
                });
              const first = !started.has(s.trackId);
              started.add(s.trackId);
              const flags = (s.keyframe ? PacketFlags.KEYFRAME : 0) | (first ? PacketFlags.DISCONT : 0);
              return {
                caps: outCaps.get(s.trackId)!,
                pts: s.pts,
                dts: s.dts,
                duration: s.duration,
                flags,
                memory: cpuMemory(s.data),
                meta: EMPTY_META,
              };
            }
            case 'warning':
              ctx.log('warn', ev.error.message);
              continue;
            case 'error':
              if (ev.error.code === 'truncated' && onTruncated === 'eos') {
                ctx.log('warn', ev.error.message);
                continue;
              }
              throw ev.error;
            case 'end':
              return EOS;
          }
        }
      };
      return { pull };
    },
  });
});
