/** examples/restream.ts between a live in-process RTSP camera and the recorder example, checked by ffprobe. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { record } from '../../examples/rtsp-record';
import { main, restream, type Restream } from '../../examples/restream';
import { requirePeer } from '../peers';
import { CAMERA, startTestCamera, type TestCamera } from './rtsp-fixture';

requirePeer('native', 'ffprobe');

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'g2g-example-restream-'));
let camera: TestCamera | undefined;
const relays: Restream[] = [];

beforeAll(async () => {
  camera = await startTestCamera();
});
afterAll(async () => {
  await Promise.all(relays.map((r) => r.stop().catch(() => undefined)));
  await camera?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => void vi.restoreAllMocks());

async function probe(file: string): Promise<{ codec_name: string; width: number; height: number; nb_read_frames: string }> {
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

describe('examples/restream.ts', () => {
  it('serves the camera again at its own URL to two clients at once; stop() ends it and frees the port', async () => {
    const relay = await restream(camera!.url, { port: 0, path: '/again' });
    relays.push(relay);
    expect(relay.url).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/again$/);
    expect(relay.url).not.toBe(camera!.url);
    const [a, b] = [join(dir, 'a.mp4'), join(dir, 'b.mp4')];
    const [ra, rb] = await Promise.all([record(relay.url, a, { frames: 30 }), record(relay.url, b, { frames: 15 })]);
    expect([ra.frames, rb.frames]).toEqual([30, 15]);
    expect(await probe(a)).toEqual({ codec_name: 'h264', width: CAMERA.width, height: CAMERA.height, nb_read_frames: '30' });
    expect(await probe(b)).toEqual({ codec_name: 'h264', width: CAMERA.width, height: CAMERA.height, nb_read_frames: '15' });
    const stats = await relay.stop();
    expect(stats.delivered).toBeGreaterThanOrEqual(30);
    // Stopped means gone: nobody answers at the URL any more.
    await expect(record(relay.url, join(dir, 'after.mp4'), { frames: 1 })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('restream() rejects when the camera is not there, and serves nothing', async () => {
    await expect(restream('rtsp://127.0.0.1:1/none', { port: 0 })).rejects.toThrow(/ECONNREFUSED/);
    await expect(restream('not-a-url', { port: 0 })).rejects.toThrow(/rtsp:\/\//);
  });

  it('main(): prints the URL, exits 0 with a summary when the camera ends its stream; 1 on failure; 2 on a bad command line', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const own = await startTestCamera('/own');
    try {
      const code = main([own.url, '--port', '0', '--path', '/cli']);
      await vi.waitFor(() => expect(log).toHaveBeenCalled(), { timeout: 10_000 });
      expect(log.mock.calls[0][0]).toMatch(new RegExp(`^restreaming ${own.url} at rtsp://127\\.0\\.0\\.1:\\d+/cli \\(Ctrl-C stops\\)$`));
      const served = /at (\S+)/.exec(log.mock.calls[0][0] as string)![1];
      expect((await record(served, join(dir, 'cli.mp4'), { frames: 10 })).frames).toBe(10);
      await own.stop(); // the camera's end of stream (RTCP BYE) ends the relay
      expect(await code).toBe(0);
      expect(log.mock.calls[1][0]).toMatch(/^relayed \d+ frames$/);
    } finally {
      await own.stop();
    }
    expect(await main(['rtsp://127.0.0.1:1/none', '--port', '0'])).toBe(1);
    expect(err.mock.calls.at(-1)?.[0]).toMatch(/^restream: .*ECONNREFUSED/);
    expect(await main([])).toBe(2);
    expect(await main([camera!.url, '--port', 'http'])).toBe(2);
    expect(err.mock.calls.at(-1)?.[0]).toMatch(/usage: node restream\.js/);
  });
});
