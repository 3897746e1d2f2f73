import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../node/cli/io';
import { remux } from '../../node/cli/remux';
import { fileSrc } from '../../operators/file-src';
import { merge } from '../../operators/merge';
import { mp4Demux } from '../../operators/mp4-demux';
import { mp4Mux } from '../../operators/mp4-mux';
import { fileSink } from '../../operators/file-sink';
import { parseAudioSpecificConfig, parseDOps, parseEsds, buildEsds } from '../../src/formats/mp4/audio-config';
import { hexToBytes } from '../../src/formats/mp4/avcc';
import { parseBoxes } from '../../src/formats/mp4/isobmff-reader';
import { Mp4Demuxer, type Mp4Track } from '../../src/formats/mp4/mp4-demuxer';
import { pipe } from '../../src/pipeline/pipeline';
import type { Packet } from '../../src/packet';
import { ticksToNs } from '../../src/time';
import { installNodeFileOpener, nodeFileOpener } from '../../node/drivers/fs';
import { parseLaunch } from '../../operators/launch';
import { requirePeer } from '../peers';
import { collectSink, readBytes, tempDir, tool } from './helpers';

requirePeer('ffmpeg', 'ffprobe');

let dir: string;
let cleanup: () => void;
/** The files: 2 s of testsrc2 (H.264) + a 440 Hz sine (AAC or Opus), as ffmpeg writes them. */
const files = { aac: '', opus: '', gop: '', aacFrag: '' };

function ffmpeg(args: string[]): void {
  const r = tool('ffmpeg', ['-v', 'error', '-y', ...args]);
  if (r.status !== 0) throw new Error(r.stderr);
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  const av = (audio: string, extra: string[] = []) => [
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=f=440:sample_rate=48000', '-t', '2'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', ...extra, '-c:a', audio],
  ];
  files.aac = join(dir, 'aac.mp4');
  files.opus = join(dir, 'opus.mp4');
  files.gop = join(dir, 'gop.mp4');
  files.aacFrag = join(dir, 'aac-frag.mp4');
  ffmpeg([...av('aac'), files.aac]);
  ffmpeg([...av('libopus'), files.opus]);
  // B-frames and a keyframe every 15 frames: 4 GOPs, so fragments can be cut at each.
  ffmpeg([...av('aac', ['-bf', '2', '-g', '15', '-keyint_min', '15', '-sc_threshold', '0']), files.gop]);
  ffmpeg(['-i', files.aac, '-c', 'copy', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', files.aacFrag]);
}, 60_000);
afterAll(() => cleanup());

interface StreamPacket {
  pts: number;
  dts: number;
  duration: number | null;
  size: number;
  flags: string;
}

/** ffprobe's packets of one stream, in ticks of its time base, and the time base. */
function ffprobeStream(file: string, index: number): { timescale: number; packets: StreamPacket[] } {
  const r = tool('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    String(index),
    '-show_entries',
    'stream=time_base:packet=pts,dts,duration,size,flags',
    '-of',
    'json',
    file,
  ]);
  expect(r.stderr).toBe('');
  const j = JSON.parse(r.stdout);
  const packets = j.packets.map((p: Record<string, string | number>) => ({
    pts: Number(p.pts),
    dts: Number(p.dts),
    duration: p.duration === undefined ? null : Number(p.duration),
    size: Number(p.size),
    flags: String(p.flags),
  }));
  return { timescale: Number(String(j.streams[0].time_base).split('/')[1]), packets };
}

/** Every track and sample, as our demuxer reads a file. */
function demuxFile(file: string, track: 'video' | 'audio' | 'all' | number = 'all') {
  const d = new Mp4Demuxer({ track });
  d.push(readBytes(file));
  d.end();
  const tracks: Mp4Track[] = [];
  const samples = new Map<number, { pts: number; dts: number; duration: number; size: number; key: boolean }[]>();
  for (let ev = d.next(); ev && ev.kind !== 'end'; ev = d.next()) {
    if (ev.kind === 'error') throw ev.error;
    if (ev.kind === 'track') tracks.push(ev.track);
    if (ev.kind === 'sample') {
      const s = ev.sample;
      const list = samples.get(s.trackId) ?? [];
      list.push({ pts: s.pts, dts: s.dts, duration: s.duration, size: s.data.length, key: s.keyframe });
      samples.set(s.trackId, list);
    }
  }
  return { tracks, samples };
}

describe('esds, AudioSpecificConfig and dOps', () => {
  it('esds round-trips through build and parse; bad input is an error, not a throw', () => {
    const asc = Uint8Array.of(0x11, 0x88);
    const built = buildEsds({ bufferSizeDB: 300, maxBitrate: 70000, avgBitrate: 69000, decoderSpecificInfo: asc });
    const e = parseEsds(built);
    expect(e).toMatchObject({ objectTypeIndication: 0x40, bufferSizeDB: 300, maxBitrate: 70000, avgBitrate: 69000 });
    expect([...(e as { decoderSpecificInfo: Uint8Array }).decoderSpecificInfo]).toEqual([0x11, 0x88]);
    expect(parseAudioSpecificConfig(asc)).toEqual({ objectType: 2, sampleRate: 48000, channels: 1 });
    for (let n = 0; n < built.length; n++) expect(() => parseEsds(built.subarray(0, n))).not.toThrow();
    expect(parseEsds(built.subarray(0, 10))).toBeInstanceOf(Error);
    expect(parseDOps(new Uint8Array(5))).toBeInstanceOf(Error);
  });
});

describe('mp4Demux: AAC and Opus tracks', () => {
  for (const codec of ['aac', 'opus'] as const) {
    it(`${codec}: track=audio gives every audio packet as ffprobe reports it (pts, dts, duration, size), with its caps`, async () => {
      const file = files[codec];
      const ref = ffprobeStream(file, 1);
      const { sink, packets } = collectSink<Packet>();
      await pipe(fileSrc({ location: file, blocksize: 4096, opener: nodeFileOpener }), mp4Demux({ track: 'audio' }), sink).run();
      expect(packets.length).toBe(ref.packets.length);
      packets.forEach((p, i) => {
        const r = ref.packets[i];
        expect([p.pts, p.dts, p.memory.domain === 'cpu' ? p.memory.data.length : -1]).toEqual([
          ticksToNs(r.pts, ref.timescale),
          ticksToNs(r.dts, ref.timescale),
          r.size,
        ]);
        // ffprobe leaves the first packet's duration out where an edit list trims it.
        if (r.duration !== null) expect(p.duration).toBe(ticksToNs(r.dts + r.duration, ref.timescale) - ticksToNs(r.dts, ref.timescale));
      });
      const caps = packets[0].caps;
      const probed = JSON.parse(
        tool('ffprobe', ['-v', 'error', '-select_streams', '1', '-show_entries', 'stream=sample_rate,channels,profile', '-of', 'json', file]).stdout
      ).streams[0];
      expect(caps.get('rate')).toBe(Number(probed.sample_rate));
      expect(caps.get('channels')).toBe(probed.channels);
      if (codec === 'aac') {
        expect(caps.toString()).toMatch(/^audio\/mpeg, mpegversion=\(int\)4, stream-format=\(string\)raw/);
        expect(caps.get('profile')).toBe('lc');
        expect(probed.profile).toBe('LC');
        expect(parseAudioSpecificConfig(hexToBytes(String(caps.get('codec_data')))!)).toMatchObject({ objectType: 2, sampleRate: 48000, channels: 1 });
      } else {
        expect(caps.structures[0].name).toBe('audio/x-opus');
        // ffmpeg's edit list trims exactly the pre-skip: the first packet starts that far before 0.
        expect(caps.get('pre-skip')).toBe(-ref.packets[0].pts);
        expect(parseDOps(hexToBytes(String(caps.get('codec_data')))!)).toMatchObject({ channels: 1, preSkip: 312, inputSampleRate: 48000 });
      }
    });
  }

  it('track=all reads both tracks of every ffmpeg layout (progressive and fragmented) as ffprobe does; video stays the default', () => {
    for (const file of [files.aac, files.aacFrag, files.gop]) {
      const { tracks, samples } = demuxFile(file);
      expect(tracks.map((t) => [t.trackId, t.kind, t.codec])).toEqual([
        [1, 'video', 'avc1'],
        [2, 'audio', 'mp4a'],
      ]);
      for (const index of [0, 1]) {
        const ref = ffprobeStream(file, index);
        const got = samples.get(index + 1)!;
        expect(got.map((s) => [s.pts, s.dts, s.size])).toEqual(
          ref.packets.map((p) => [ticksToNs(p.pts, ref.timescale), ticksToNs(p.dts, ref.timescale), p.size])
        );
      }
      expect(demuxFile(file, 'video').samples.size).toBe(1);
      expect([...demuxFile(file, 'video').samples.keys()]).toEqual([1]);
      expect([...demuxFile(file, 2).samples.keys()]).toEqual([2]);
    }
  });

  it('a track that is not there names what is', () => {
    const d = new Mp4Demuxer({ track: 'audio' });
    d.push(readBytes(files.aac));
    d.end();
    expect(() => new Mp4Demuxer({ track: 'sound' as 'audio' })).toThrow(/video, audio, all/);
    const only = join(dir, 'video-only.mp4');
    ffmpeg(['-i', files.aac, '-map', '0:v', '-c', 'copy', only]);
    const v = new Mp4Demuxer({ track: 'audio' });
    v.push(readBytes(only));
    v.end();
    let ev = v.next();
    while (ev && ev.kind === 'track') ev = v.next();
    expect(ev).toMatchObject({ kind: 'error', error: { code: 'unsupported' } });
    expect(ev?.kind === 'error' && ev.error.message).toMatch(/no AAC or Opus audio track \(found: track 1 'vide' avc1\)/);
  });
});

/** ffprobe's strict checks and a decode of every stream: nothing on stderr. */
function expectValid(file: string): void {
  const p = tool('ffprobe', ['-v', 'error', '-show_streams', '-show_packets', file]);
  expect(p.stderr).toBe('');
  const d = tool('ffmpeg', ['-v', 'error', '-xerror', '-err_detect', 'explode', '-i', file, '-map', '0', '-f', 'null', '-']);
  expect(d.stderr).toBe('');
  expect(d.status).toBe(0);
}

/** MD5 of a stream decoded by ffmpeg (edit lists applied): the same for source and remux if nothing was lost. */
function decodedMd5(file: string, stream: 'v' | 'a'): string {
  const r = tool('ffmpeg', ['-v', 'error', '-i', file, '-map', `0:${stream}`, '-f', 'md5', '-']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** The audio decoded by ffmpeg as s16le bytes. */
function decodedPcm(file: string): Buffer {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a', '-f', 's16le', '-'], { maxBuffer: 64 * 2 ** 20 });
  expect(r.status, String(r.stderr)).toBe(0);
  return r.stdout;
}

describe('mp4Mux with audio: g2g remux in.mp4 out.mp4 keeps both tracks', () => {
  for (const codec of ['aac', 'opus', 'gop'] as const) {
    for (const layout of ['progressive', 'fragmented'] as const) {
      it(`${codec}, ${layout}: same packets per stream as ffprobe reads the source, same decoded audio and video`, async () => {
        const src = files[codec];
        const out = join(dir, `${codec}-${layout}.mp4`);
        const io = bufferIo();
        const code = await remux([src, out, '-q', ...(layout === 'progressive' ? ['--progressive'] : [])], io, {
          progress: undefined,
          onInterrupt: () => () => undefined,
        });
        expect(io.stderr).toEqual([]);
        expect(code).toBe(0);
        expectValid(out);
        for (const index of [0, 1]) {
          const a = ffprobeStream(src, index);
          const b = ffprobeStream(out, index);
          expect(b.timescale).toBe(a.timescale);
          if (layout === 'progressive') expect(b.packets).toEqual(a.packets);
          // ffprobe reads a fragmented file's first and last durations (and the discard flag) its own way, the
          // same way for ffmpeg's own fragmented output; counts, sizes and timestamps must still be equal.
          else expect(b.packets.map((p) => [p.pts, p.dts, p.size, p.flags[0]])).toEqual(a.packets.map((p) => [p.pts, p.dts, p.size, p.flags[0]]));
        }
        // Our reading of the remux, durations included, equals our reading of the source.
        expect(demuxFile(out).samples).toEqual(demuxFile(src).samples);
        expect(decodedMd5(out, 'v')).toBe(decodedMd5(src, 'v'));
        if (layout === 'progressive') expect(decodedMd5(out, 'a')).toBe(decodedMd5(src, 'a'));
        else {
          // ffmpeg does not trim an AAC track's priming through a fragmented file's open-ended edit (nor does
          // its own fragmented output keep the edit at all): the same samples, with the priming (the source's
          // first pts before 0) decoded in front.
          const a = decodedPcm(src);
          const b = decodedPcm(out);
          const priming = -ffprobeStream(src, 1).packets[0].pts * 2;
          expect([0, priming]).toContain(b.length - a.length);
          expect(b.subarray(b.length - a.length).equals(a)).toBe(true);
        }
      });
    }
  }

  it('audio only (AAC, Opus): the priming stays before 0, packets as ffprobe reads the source', async () => {
    for (const codec of ['aac', 'opus'] as const) {
      const src = join(dir, `${codec}-only.mp4`);
      ffmpeg(['-i', files[codec], '-map', '0:a', '-c', 'copy', src]);
      for (const layout of ['progressive', 'fragmented'] as const) {
        const out = join(dir, `${codec}-only-${layout}.mp4`);
        const io = bufferIo();
        expect(
          await remux([src, out, '-q', ...(layout === 'progressive' ? ['--progressive'] : [])], io, { progress: undefined, onInterrupt: () => () => undefined })
        ).toBe(0);
        expectValid(out);
        const a = ffprobeStream(src, 0);
        const b = ffprobeStream(out, 0);
        expect(b.packets[0].pts).toBeLessThan(0);
        if (layout === 'progressive') expect(b.packets).toEqual(a.packets);
        else expect(b.packets.map((p) => [p.pts, p.dts, p.size])).toEqual(a.packets.map((p) => [p.pts, p.dts, p.size]));
      }
    }
  });

  it('fragments are cut at video keyframes, each holding the audio of its time', async () => {
    const out = join(dir, 'gop-every-key.mp4');
    const io = bufferIo();
    expect(await remux([files.gop, out, '-q', '--fragment-duration', '0'], io, { progress: undefined, onInterrupt: () => () => undefined })).toBe(0);
    const boxes = parseBoxes(readBytes(out));
    expect(boxes).not.toBeInstanceOf(Error);
    const moofs = (
      boxes as { type: string; children?: { type: string; children?: { type: string; trackId?: number; baseMediaDecodeTime?: number }[] }[] }[]
    ).filter((b) => b.type === 'moof');
    const keys = ffprobeStream(files.gop, 0).packets.filter((p) => p.flags.startsWith('K')).length;
    expect(keys).toBe(4);
    expect(moofs.length).toBe(keys);
    for (const m of moofs) {
      const trafs = m.children!.filter((c) => c.type === 'traf');
      expect(trafs.map((t) => t.children!.find((c) => c.type === 'tfhd')!.trackId)).toEqual([1, 2]);
    }
    const { samples } = demuxFile(out);
    expect(samples.get(1)!.filter((s) => s.key).length).toBe(4);
    expect(samples).toEqual(demuxFile(files.gop).samples);
  });

  it('merge of a video and an audio branch into one mp4Mux (N inputs) writes the source again', async () => {
    const out = join(dir, 'merged.mp4');
    const branch = (track: 'video' | 'audio') => pipe(fileSrc({ location: files.aac, opener: nodeFileOpener }), mp4Demux({ track }));
    await pipe(merge([branch('audio'), branch('video')]), mp4Mux({ fragmented: false }), fileSink({ location: out, opener: nodeFileOpener })).run();
    expectValid(out);
    // Video first whatever the order of the inputs: track 1 is the video, as in the source.
    for (const index of [0, 1]) expect(ffprobeStream(out, index).packets).toEqual(ffprobeStream(files.aac, index).packets);
    // Fragmented without tracks=: the tracks are found in the first second of input, then the file starts.
    const frag = join(dir, 'merged-frag.mp4');
    await pipe(merge([branch('audio'), branch('video')]), mp4Mux({ fragmented: true }), fileSink({ location: frag, opener: nodeFileOpener })).run();
    expectValid(frag);
    expect(demuxFile(frag).samples).toEqual(demuxFile(files.aac).samples);
  });

  it('launch lines: mp4Demux track=all ! mp4Mux, and merge of track=video and track=audio branches', async () => {
    installNodeFileOpener();
    const a = join(dir, 'launch-all.mp4');
    const b = join(dir, 'launch-merge.mp4');
    await parseLaunch(`fileSrc location=${files.gop} ! mp4Demux track=all ! mp4Mux fragmented=false tracks=2 ! fileSink location=${a}`).run();
    await parseLaunch(
      `merge name=m ! mp4Mux fragmented=false ! fileSink location=${b}  fileSrc location=${files.gop} ! mp4Demux track=video ! m.  fileSrc location=${files.gop} ! mp4Demux track=2 ! m.`
    ).run();
    for (const out of [a, b]) for (const index of [0, 1]) expect(ffprobeStream(out, index).packets).toEqual(ffprobeStream(files.gop, index).packets);
    expect(() => parseLaunch(`fileSrc location=${files.gop} ! mp4Demux track=sound ! fakeSink`)).toThrow(/video, audio, all or a track id/);
  });

  it('a new kind of track after the file started fails, naming it', async () => {
    const out = join(dir, 'late.mp4');
    const branch = (track: 'video' | 'audio') => pipe(fileSrc({ location: files.aac, opener: nodeFileOpener }), mp4Demux({ track }));
    const run = pipe(merge([branch('audio'), branch('video')]), mp4Mux({ tracks: 1 }), fileSink({ location: out, opener: nodeFileOpener })).run();
    await expect(run).rejects.toThrow(/new track appeared after the file started/);
  });
});
