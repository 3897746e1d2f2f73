/** examples/rtsp-record.ts against a live in-process RTSP camera; the MP4 checked by ffprobe. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main, record } from '../../examples/rtsp-record';
import { requirePeer } from '../peers';
import { CAMERA, startTestCamera, type TestCamera } from './rtsp-fixture';

requirePeer('native', 'ffprobe');

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'g2g-example-record-'));
let camera: TestCamera | undefined;

beforeAll(async () => {
  camera = await startTestCamera();
});
afterAll(async () => {
  await camera?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => void vi.restoreAllMocks());

/** ffprobe's view of the file's video stream, every frame decoded and counted. */
export async function probe(file: string): Promise<{ codec_name: string; width: number; height: number; nb_read_frames: string }> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,width,height,nb_read_frames',
    '-of',
    'json',
    file,
  ]);
  return JSON.parse(stdout).streams[0];
}

describe('examples/rtsp-record.ts', () => {
  it('record(): N frames of H.264 in an MP4 ffprobe reads, and a summary that matches it', async () => {
    const out = join(dir, 'api.mp4');
    const s = await record(camera!.url, out, { frames: 45 });
    expect(s.frames).toBe(45);
    expect(s.bytes).toBeGreaterThan(1000);
    // 45 frames at 30 fps: 1.5 s of media time (the camera's pts; its own jitter is a frame at most).
    expect(s.duration / 1e9).toBeGreaterThan(1.4);
    expect(s.duration / 1e9).toBeLessThan(1.6);
    expect(await probe(out)).toEqual({ codec_name: 'h264', width: CAMERA.width, height: CAMERA.height, nb_read_frames: '45' });
  });

  it('main(): prints one summary line and exits 0', async () => {
    const out = join(dir, 'cli.mp4');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await main([camera!.url, out, '--frames', '20'])).toBe(0);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toMatch(new RegExp(`^recorded 20 frames, \\d+ bytes, 0\\.\\d{3} s of video to ${out} \\(took `));
    expect((await probe(out)).nb_read_frames).toBe('20');
  });

  it('main(): exits 1 with the reason when there is no server or no such stream, 2 on a bad command line', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const messages = () => err.mock.calls.map((c) => String(c[0])).join('\n');
    // A port nobody listens on (the camera's, on a path it does not serve, is the other failure).
    expect(await main(['rtsp://127.0.0.1:1/none', join(dir, 'refused.mp4')])).toBe(1);
    expect(messages()).toMatch(/^rtsp-record: .*ECONNREFUSED/m);
    expect(await main([camera!.url.replace(/\/live$/, '/nothing'), join(dir, 'missing.mp4')])).toBe(1);
    expect(messages()).toMatch(/^rtsp-record: .*404/m);
    expect(await main(['http://127.0.0.1/x', join(dir, 'bad.mp4')])).toBe(1);
    expect(messages()).toMatch(/rtsp:\/\//);
    err.mockClear();
    expect(await main([camera!.url])).toBe(2);
    expect(await main([camera!.url, join(dir, 'x.mp4'), '--frames', 'ten'])).toBe(2);
    expect(await main([camera!.url, join(dir, 'x.mp4'), '--fps', '3'])).toBe(2);
    expect(messages()).toMatch(/usage: node rtsp-record\.js/);
    expect(existsSync(join(dir, 'x.mp4'))).toBe(false);
  });
});
