/** The CLI line through parseLaunch, with rtspSrcEntry registered as the lead will wire it. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { cliRegistry } from '../../node/cli/registry';
import { parseLaunch } from '../../operators/launch';
import { setFileOpener } from '../../src/io';
import { killAllServers, startServer } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe', 'gst-rtsp-server');

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'g2g-rtsp-launch-'));
afterAll(async () => {
  await killAllServers();
  rmSync(dir, { recursive: true, force: true });
});

const registry = cliRegistry();

describe('launch', () => {
  it('rtspSrc location=rtsp://user:pass@… protocols=tcp num-buffers=300 ! h264Parse ! mp4Mux ! fileSink: an MP4 of 300 frames', async () => {
    const server = await startServer({ fps: 100, auth: 'user:pass', authMethod: 'digest' });
    const previous = installNodeFileOpener();
    try {
      const out = join(dir, 'out.mp4');
      const p = parseLaunch(
        `rtspSrc location=rtsp://user:pass@127.0.0.1:${server.port}/secure protocols=tcp num-buffers=300 ! h264Parse ! mp4Mux ! fileSink location=${out}`,
        registry
      );
      expect(p.toString()).not.toContain('pass@');
      await p.run();
      const { stdout, stderr } = await run('ffprobe', [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=codec_name,width,height,nb_read_frames',
        '-of',
        'json',
        out,
      ]);
      expect(stderr).toBe('');
      const s = JSON.parse(stdout).streams[0];
      expect(s).toMatchObject({ codec_name: 'h264', width: 320, height: 240, nb_read_frames: '300' });
      const strict = await run('ffmpeg', ['-v', 'error', '-xerror', '-err_detect', 'explode', '-i', out, '-map', '0', '-f', 'null', '-']);
      expect(strict.stderr).toBe('');
    } finally {
      setFileOpener(previous);
      await server.kill();
    }
  }, 30_000);

  it('properties: enum checked, milliseconds, user-pw not printed', () => {
    const p = parseLaunch(
      'rtspSrc location=rtsp://127.0.0.1:1/x protocols=udp latency=20 user-id=me user-pw=topsecret retry=3 backoff=10 timeout=900 ! fakeSink',
      registry
    );
    const text = p.toString();
    expect(text).toContain('protocols=udp');
    expect(text).not.toContain('topsecret');
    expect(() => parseLaunch('rtspSrc location=rtsp://127.0.0.1:1/x protocols=sctp ! fakeSink', registry)).toThrow(/protocols/);
    expect(() => parseLaunch('rtspSrc ! fakeSink', registry)).toThrow(/location/);
    expect(() => parseLaunch('rtspSrc location=http://x/ ! fakeSink', registry)).toThrow(/rtsp:\/\//);
  });
});
