import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { Caps, caps } from '../src/caps';
import { fraction, type FieldValue } from '../src/caps/value';
import { EOS, type Pulled, type Reader } from '../src/element';
import { bytesToHex, h264LevelName, h264ProfileName } from '../src/formats/mp4/avcc';
import { Mp4Error } from '../src/formats/mp4/errors';
import { Mp4Demuxer, type Mp4VideoTrack } from '../src/formats/mp4/mp4-demuxer';
import { cpuMemory, type CpuMemory } from '../src/memory/memory';
import { defineTransform, type Transform } from '../src/operator';
import { EMPTY_META, PacketFlags, type Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';

const SINK_CAPS = Caps.parse('application/octet-stream; video/quicktime');
const SRC_CAPS = Caps.parse('video/x-h264, stream-format=(string){ avc, avc3 }, alignment=(string)au');

export const MP4_DEMUX = defineElement({
  name: 'mp4Demux',
  kind: 'transform',
  description: 'Reads ISO BMFF (MP4, progressive or fragmented) from a byte stream into H.264 access units',
  caps: { sink: SINK_CAPS, src: SRC_CAPS },
  notes:
    "GStreamer's qtdemux for one H.264 video track: bytes in (any chunking), one packet per sample out with pts/dts in ns (edit list applied), KEYFRAME on sync samples; samples are views of the input where they lie in one chunk. The stream decides the output caps. Damage confined to other tracks is a warning; a graceful stop (EOS asked of the pipeline) is not truncation.",
  properties: {
    trackId: prop.uint({
      min: 1,
      defaultDoc: 'the first H.264 video track',
      doc: 'Track to read (tkhd track_ID)',
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

/** Output caps of a track, in the caps contract of H.264 (codec_data as lowercase hex of the avcC). */
export function trackCaps(track: Mp4VideoTrack): Caps {
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
  new Mp4Demuxer({
    trackId: options.trackId,
    maxBufferBytes: options.maxBufferBytes,
  });
  return defineTransform<Packet, Packet<CpuMemory>>({
    sinkCaps: SINK_CAPS,
    srcCaps: SRC_CAPS,
    // The stream decides (codec_data, size, rate): the first packet's caps renegotiate downstream.
    outputCaps: (_input, allowed) => allowed,
    open(ctx, up): Reader<Packet<CpuMemory>> {
      const demux = new Mp4Demuxer({
        trackId: options.trackId,
        maxBufferBytes: options.maxBufferBytes,
      });
      let outCaps: Caps | undefined;
      let first = true;
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
              outCaps = trackCaps(ev.track);
              ctx.log('debug', `track ${ev.track.trackId}: ${outCaps.toString()}`);
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
              const flags = (s.keyframe ? PacketFlags.KEYFRAME : 0) | (first ? PacketFlags.DISCONT : 0);
              first = false;
              return {
                caps: outCaps!,
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
