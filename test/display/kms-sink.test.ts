/**
 * kmsSink where it can be checked without a display: this machine (and CI) has no /dev/dri and no vkms, so
 * what runs here is the failure before data flows (no device, a device path that is not a card) and the
 * element's declaration; the DRM path itself (modeset, flips) is untested here (DESIGN.md, kmsSink).
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliRegistry } from '../../node/cli/registry';
import { kmsSink } from '../../node/elements/kms-sink';
import { loadNative } from '../../node/native/loader';
import { identity } from '../../operators/identity';
import { parseLaunch } from '../../operators/launch';
import { videoTestSrc } from '../../operators/video-test-src';
import { pipe } from '../../src';
import { ElementError } from '../../src/pipeline/errors';
import { requirePeer } from '../peers';

requirePeer('native');

const fds = (): number => readdirSync('/proc/self/fd').length;

/** Runs a pipeline into the sink, counting the frames that reach it; resolves to the run's error. */
async function failure(sink: ReturnType<typeof kmsSink>): Promise<{ err: unknown; made: number }> {
  let made = 0;
  const err = await pipe(
    videoTestSrc({ numBuffers: 5 }),
    identity({ handoff: () => void made++ }),
    sink
  )
    .run()
    .then(
      () => undefined,
      (e: unknown) => e
    );
  return { err, made };
}

describe('kmsSink without a display', () => {
  it.skipIf(existsSync('/dev/dri'))('no /dev/dri: an ElementError naming the sink and the path, before any frame', async () => {
    const { err, made } = await failure(kmsSink());
    expect(err).toBeInstanceOf(ElementError);
    expect((err as ElementError).element).toMatch(/^kmsSink/);
    expect((err as Error).message).toMatch(/^kmsSink\d* failed: no DRM device found: \/dev\/dri cannot be read/);
    expect(made).toBe(0);
  });

  it('a device that does not exist: named in the error, before any frame', async () => {
    const { err, made } = await failure(kmsSink({ device: '/nonexistent/dri/card7' }));
    expect(err).toBeInstanceOf(ElementError);
    expect((err as Error).message).toMatch(/^kmsSink\d* failed: no DRM device at \/nonexistent\/dri\/card7: No such file or directory/);
    expect(made).toBe(0);
  });

  it('a file that is not a DRM card: the first ioctl is refused, nothing is left open', () => {
    const addon = loadNative();
    const before = fds();
    // /dev/null opens read-write, so this reaches the addon's first DRM ioctl (SET_CLIENT_CAP).
    expect(() => new addon.KmsDisplay({ device: '/dev/null' })).toThrow(/^\/dev\/null does not support atomic modesetting: Inappropriate ioctl for device/);
    expect(fds()).toBe(before);
  });

  it('from launch text, with connector and mode given', async () => {
    const err = await parseLaunch('videoTestSrc num-buffers=3 ! kmsSink device=/nonexistent/card0 connector=HDMI-A-1 mode=1920x1080@60', cliRegistry())
      .run()
      .then(
        () => undefined,
        (e: unknown) => e
      );
    expect(err).toBeInstanceOf(ElementError);
    expect((err as Error).message).toMatch(/no DRM device at \/nonexistent\/card0/);
  });

  it('a malformed mode is refused when the pipeline is built, saying what is accepted', () => {
    expect(() => kmsSink({ mode: '1080p' })).toThrow(/WIDTHxHEIGHT or WIDTHxHEIGHT@HZ/);
    expect(() => parseLaunch('videoTestSrc ! kmsSink mode=big', cliRegistry())).toThrow(/WIDTHxHEIGHT/);
    // The addon checks too, for callers that bypass the element.
    expect(() => new (loadNative().KmsDisplay)({ device: '/nonexistent/card0', mode: '0x0' })).toThrow(/mode '0x0' is not WIDTHxHEIGHT/);
  });

  it('is a registered Node element with its properties', () => {
    const d = cliRegistry().get('kmsSink');
    expect(d).toBeDefined();
    const names = Object.keys(d!.properties);
    expect(names).toEqual(expect.arrayContaining(['device', 'connector', 'mode', 'buffers', 'sync']));
  });
});
