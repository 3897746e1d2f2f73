/** examples/decode-frames.ts on files ffmpeg encoded and on a live in-process RTSP camera. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeFrames, main, type FrameInfo } from '../../examples/decode-frames';
import { requirePeer } from '../peers';
import { CAMERA, startTestCamera, type TestCamera } from './rtsp-fixture';

requirePeer('native', 'ffmpeg');

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'g2g-example-decode-'));
const h264 = join(dir, 'in.h264');
const mp4 = join(dir, 'in.mp4');
let camera: TestCamera | undefined;

beforeAll(async () => {
  // 40 frames of 176x144 with B-frames (decode order differs from presentation order), 25 fps.
  const enc = [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=176x144:rate=25',
    '-frames:v',
    '40',
    '-c:v',
    'libx264',
    '-bf',
    '2',
    '-g',
    '10',
    '-pix_fmt',
    'yuv420p',
    '-y',
  ];
  await run('ffmpeg', [...enc, '-f', 'h264', h264]);
  await run('ffmpeg', [...enc, mp4]);
  camera = await startTestCamera();
});
afterAll(async () => {
  await camera?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => void vi.restoreAllMocks());

async function decodeAll(input: string, frames?: number): Promise<FrameInfo[]> {
  const seen: FrameInfo[] = [];
  const s = await decodeFrames(input, { frames, onFrame: (f) => void seen.push(f) });
  expect(s.frames).toBe(seen.length);
  expect(s.last).toEqual(seen.at(-1));
  return seen;
}

describe('examples/decode-frames.ts', () => {
  it('an MP4: every frame, 176x144 I420, in presentation order 40 ms apart', async () => {
    const frames = await decodeAll(mp4);
    expect(frames).toHaveLength(40);
    expect(frames.every((f) => f.width === 176 && f.height === 144 && f.format === 'I420' && !f.corrupt)).toBe(true);
    frames.forEach((f, i) => expect(f.pts! - frames[0].pts!).toBe(i * 40_000_000));
  });

  it('an Annex B .h264 file, the first 12 units', async () => {
    const frames = await decodeAll(h264, 12);
    expect(frames.map((f) => f.index)).toEqual([...Array(12).keys()]);
    expect(frames.every((f) => f.width === 176 && f.height === 144)).toBe(true);
  });

  it('a live RTSP stream: the camera frames, joined at a keyframe', async () => {
    const frames = await decodeAll(camera!.url, 20);
    expect(frames).toHaveLength(20);
    expect(frames.every((f) => f.width === CAMERA.width && f.height === CAMERA.height && !f.corrupt)).toBe(true);
    expect(frames.every((f, i) => i === 0 || f.pts! > frames[i - 1].pts!)).toBe(true);
  });

  it('main(): a line per frame and a summary, exit 0; exit 1 when nothing decodes; exit 2 on a bad command line', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await main([mp4, '--frames', '3'])).toBe(0);
    expect(log.mock.calls.map((c) => c[0])).toEqual([
      expect.stringMatching(/^frame 0: 176x144 I420 pts 0:00:00\.\d{9}$/),
      expect.stringMatching(/^frame 1: 176x144 I420 pts /),
      expect.stringMatching(/^frame 2: 176x144 I420 pts /),
      expect.stringMatching(/^decoded 3 frames, 176x144 I420, in /),
    ]);
    log.mockClear();
    expect(await main([h264, '--quiet'])).toBe(0);
    expect(log.mock.calls.map((c) => c[0])).toEqual([expect.stringMatching(/^decoded 40 frames, 176x144 I420, in /)]);

    // Bytes with no H.264 in them: the parser finds no access unit, so no frame comes.
    const junk = join(dir, 'junk.h264');
    writeFileSync(junk, 'not a video at all\n'.repeat(100));
    expect(await main([junk])).toBe(1);
    expect(err.mock.calls.at(-1)?.[0]).toBe(`decode-frames: no frame decoded from ${junk}`);
    expect(await main([join(dir, 'missing.mp4')])).toBe(1);
    expect(err.mock.calls.at(-1)?.[0]).toMatch(/^decode-frames: .*ENOENT/);
    expect(await main([])).toBe(2);
    expect(await main([mp4, '--frames', '0'])).toBe(2);
    expect(err.mock.calls.at(-1)?.[0]).toMatch(/usage: node decode-frames\.js/);
  });
});
