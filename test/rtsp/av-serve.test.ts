/**
 * `g2g serve in.mp4` with H.264 + AAC (or Opus): one RTSP session with a stream per track. ffmpeg records
 * both (TCP and UDP), every packet arrives unchanged, and the A/V offset (audio's shift minus video's,
 * matching packets by content) is under one audio frame; GStreamer's rtspsrc plays both streams.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { serve } from '../../node/cli/serve';
import { rtspSrc } from '../../node/elements/rtsp-src';
import { fakeSink } from '../../operators/fake-sink';
import { fileSink } from '../../operators/file-sink';
import { identity } from '../../operators/identity';
import { mp4Mux } from '../../operators/mp4-mux';
import { PacketFlags, type Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline/pipeline';
import { requirePeer } from '../peers';
import { tempDir, tool } from '../mp4/helpers';

requirePeer('ffmpeg', 'ffprobe', 'gstreamer');

const run = promisify(execFile);
let dir: string;
let cleanup: () => void;
const files = { aac: '', opus: '' };
/** Without B-frames: rtspSrc gives no dts, so mp4Mux after it needs pictures in presentation order. */
const flat = { aac: '', opus: '' };

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  for (const [codec, enc] of [
    ['aac', 'aac'],
    ['opus', 'libopus'],
  ] as const) {
    files[codec] = join(dir, `${codec}.mp4`);
    flat[codec] = join(dir, `${codec}-flat.mp4`);
    for (const [file, bf] of [
      [files[codec], []],
      [flat[codec], ['-bf', '0']],
    ] as const) {
      const r = tool('ffmpeg', [
        ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=f=440:sample_rate=48000', '-t', '3'],
        ...['-c:v', 'libx264', '-preset', 'veryfast', '-g', '30', ...bf, '-c:a', enc, file],
      ]);
      if (r.status !== 0) throw new Error(r.stderr);
    }
  }
}, 60_000);
afterAll(() => cleanup());

interface Pkt {
  stream: number;
  pts: number;
  /** What identifies the packet's content: audio frames travel unchanged (MD5); H.264 changes framing (length prefixes in MP4, start codes of the
   * same size from RTSP, parameter sets added before keyframes), so a non-key picture is known by its size. */
  key: string;
}

/** Packets per stream (0 video, 1 audio in both files), pts in seconds and an MD5 of the payload. */
async function packets(file: string, extra: string[] = []): Promise<Pkt[][]> {
  const { stdout } = await run(
    'ffprobe',
    [
      '-v',
      'error',
      ...extra,
      '-show_packets',
      '-show_data_hash',
      'MD5',
      '-show_entries',
      'packet=stream_index,pts_time,data_hash,size,flags',
      '-of',
      'json',
      file,
    ],
    {
      maxBuffer: 64 << 20,
      timeout: 30_000,
    }
  );
  const all = (JSON.parse(stdout).packets as { stream_index: number; pts_time: string; data_hash: string; size: string; flags: string }[]).map((p) => ({
    stream: p.stream_index,
    pts: Number(p.pts_time),
    key: p.stream_index === 0 ? (p.flags.startsWith('K') ? 'key' : `size ${p.size}`) : p.data_hash,
  }));
  return [0, 1].map((s) => all.filter((p) => p.stream === s));
}

async function codecs(file: string): Promise<string[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]);
  return stdout.trim().split('\n');
}

/** The median of (received pts − source pts) over packets found in both by content, in decode order (a sine's frames repeat). */
function shift(src: Pkt[], rec: Pkt[]): { shift: number; matched: number } {
  const d: number[] = [];
  let at = 0;
  for (const p of rec) {
    if (p.key === 'key') continue;
    const i = src.findIndex((q, k) => k >= at && q.key === p.key);
    if (i < 0) continue;
    at = i + 1;
    d.push(p.pts - src[i].pts);
  }
  d.sort((x, y) => x - y);
  return { shift: d[d.length >> 1], matched: d.length };
}

async function serving(file: string): Promise<{ url: string; stop: () => Promise<number>; lines: string[] }> {
  const lines: string[] = [];
  let onUrl!: (u: string) => void;
  const url = new Promise<string>((r) => (onUrl = r));
  let interrupt: (() => void) | undefined;
  const io = { out: (t: string) => void lines.push(t), err: (t: string) => void lines.push(`ERR ${t}`) };
  const code = serve([file, '--port', '0', '--loop'], io, { onListening: onUrl, onInterrupt: (h) => ((interrupt = h), () => undefined) });
  const u = await Promise.race([url, code.then((c) => Promise.reject(new Error(`serve exited ${c}: ${lines.join('\n')}`)))]);
  return { url: u, lines, stop: () => (interrupt!(), code) };
}

describe('g2g serve with audio', () => {
  for (const codec of ['aac', 'opus'] as const)
    for (const transport of codec === 'aac' ? (['tcp', 'udp'] as const) : (['tcp'] as const))
      it(`H.264 + ${codec} over ${transport}: ffprobe reads both streams, packets unchanged, A/V offset under one audio frame`, async () => {
        const s = await serving(files[codec]);
        let rv: Pkt[], ra: Pkt[];
        try {
          // ffprobe reads the session itself: the timestamps its RTSP demuxer derives (sender reports), no muxer between.
          [rv, ra] = await packets(s.url, ['-rtsp_transport', transport, '-read_intervals', '%+2.5']);
        } finally {
          expect(await s.stop()).toBe(0);
        }
        const [sv, sa] = await packets(files[codec]);
        const v = shift(sv, rv);
        const a = shift(sa, ra);
        // Nearly everything recorded is a packet of the file, unchanged (2.5 s of 30 fps video; 20–21 ms audio frames).
        expect(v.matched).toBeGreaterThan(60);
        expect(a.matched).toBeGreaterThan(100);
        const frame = codec === 'aac' ? 1024 / 48000 : 0.02;
        // Measured here: 0.04–0.06 ms (printed for the record).
        console.log(
          `${codec}/${transport}: video shift ${v.shift.toFixed(4)} s, audio shift ${a.shift.toFixed(4)} s, A/V offset ${((a.shift - v.shift) * 1000).toFixed(
            2
          )} ms`
        );
        expect(Math.abs(a.shift - v.shift)).toBeLessThan(frame);
      }, 60_000);

  it('ffmpeg records both streams into an MP4 (-c copy)', async () => {
    const s = await serving(files.aac);
    const out = join(dir, 'recorded.mp4');
    try {
      await run('ffmpeg', ['-v', 'error', '-y', '-rtsp_transport', 'tcp', '-i', s.url, '-t', '2', '-c', 'copy', out], { timeout: 30_000 });
    } finally {
      expect(await s.stop()).toBe(0);
    }
    expect(await codecs(out)).toEqual(['h264', 'aac']);
    const [v, a] = await packets(out);
    expect(v.length).toBeGreaterThanOrEqual(55);
    expect(a.length).toBeGreaterThanOrEqual(85);
  }, 60_000);

  for (const [codec, protocols] of [
    ['aac', 'tcp'],
    ['aac', 'udp'],
    ['opus', 'tcp'],
  ] as const)
    it(`rtspSrc media=audio (${codec}, ${protocols}): the file's frames, unchanged, with the SDP's caps; media=video: its pictures`, async () => {
      const s = await serving(files[codec]);
      const audio: Packet[] = [];
      const video: Packet[] = [];
      try {
        await Promise.all([
          pipe(rtspSrc({ location: s.url, media: 'audio', protocols, numBuffers: 60 }), fakeSink({ dropLate: false, onPacket: (p) => void audio.push(p) })).run(
            { profile: 'live' }
          ),
          pipe(rtspSrc({ location: s.url, protocols, numBuffers: 30 }), fakeSink({ dropLate: false, onPacket: (p) => void video.push(p) })).run({
            profile: 'live',
          }),
        ]);
      } finally {
        expect(await s.stop()).toBe(0);
      }
      const [, sa] = await packets(files[codec]);
      const md5 = (p: Packet) =>
        'MD5:' +
        createHash('md5')
          .update((p.memory as { data: Uint8Array }).data)
          .digest('hex');
      const got = audio.map(md5);
      expect(got).toHaveLength(60);
      // In order and consecutive: the run of the file's frames starting where the session joined.
      const first = sa.findIndex((p) => p.key === got[0]);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(got).toEqual(sa.slice(first, first + 60).map((p) => p.key));
      expect(audio[0].caps.structures[0].name).toBe(codec === 'aac' ? 'audio/mpeg' : 'audio/x-opus');
      expect(audio[0].caps.get('channels')).toBe(1); // ffmpeg's sine is mono: AAC's rtpmap says 1, Opus's sprop-stereo=0
      // pts advance by the frames' duration (1024 samples; Opus 20 ms).
      const step = codec === 'aac' ? (1024 / 48000) * 1e9 : 20e6;
      expect(Math.abs(audio[10].pts! - audio[9].pts! - step)).toBeLessThan(1e3);
      expect(video).toHaveLength(30);
      expect(video[0].flags & PacketFlags.KEYFRAME).toBeTruthy();
    }, 60_000);

  for (const codec of ['aac', 'opus'] as const)
    it(`rtspSrc media=all (${codec}) → mp4Mux: one session, both streams in one file, A/V offset under one audio frame`, async () => {
      const s = await serving(flat[codec]);
      const out = join(dir, `all-${codec}.mp4`);
      const seen = new Set<string>();
      try {
        await pipe(
          rtspSrc({ location: s.url, media: 'all', numBuffers: 150 }),
          identity({ handoff: (p: Packet) => void seen.add(p.caps.structures[0].name) }),
          mp4Mux({ tracks: 2 }),
          fileSink({ location: out })
        ).run({ profile: 'live' });
      } finally {
        expect(await s.stop()).toBe(0);
      }
      expect([...seen].sort()).toEqual([codec === 'aac' ? 'audio/mpeg' : 'audio/x-opus', 'video/x-h264']);
      expect(await codecs(out)).toEqual(['h264', codec]);
      // RTP caps state no size: the sample entry takes the SPS's.
      const size = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'stream_tags=:stream=width,height', '-of', 'csv=p=0', out]);
      expect(size.stdout.trim()).toBe('320,240');
      const [sv, sa] = await packets(flat[codec]);
      const [rv, ra] = await packets(out);
      const v = shift(sv, rv);
      const a = shift(sa, ra);
      expect(v.matched).toBeGreaterThan(30);
      expect(a.matched).toBeGreaterThan(40);
      console.log(`rtspSrc media=all ${codec}: A/V offset ${((a.shift - v.shift) * 1000).toFixed(2)} ms`);
      expect(Math.abs(a.shift - v.shift)).toBeLessThan(codec === 'aac' ? 1024 / 48000 : 0.02);
    }, 60_000);

  it('rtspSrc media=all over UDP is refused where it is made', () => {
    expect(() => rtspSrc({ location: 'rtsp://127.0.0.1/x', media: 'all', protocols: 'udp' })).toThrow(/media=all plays over TCP/);
  });

  it("GStreamer's rtspsrc plays both streams (rtph264depay and rtpmp4gdepay to decoders)", async () => {
    const s = await serving(files.aac);
    let r: { stdout: string; stderr: string };
    try {
      r = await run(
        'gst-launch-1.0',
        [
          ...['-q', 'rtspsrc', `location=${s.url}`, 'protocols=tcp', 'name=src'],
          ...['src.', '!', 'rtph264depay', '!', 'avdec_h264', '!', 'fakesink', 'num-buffers=45', 'name=v'],
          ...['src.', '!', 'rtpmp4gdepay', '!', 'avdec_aac', '!', 'fakesink', 'num-buffers=60', 'name=a'],
        ],
        { timeout: 30_000 }
      );
    } finally {
      expect(await s.stop()).toBe(0);
    }
    expect(r.stderr).not.toMatch(/ERROR|WARN/);
  }, 60_000);
});
