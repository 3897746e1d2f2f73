import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src';
import { parseLaunch } from '../../operators/launch';
import { cliRegistry } from '../../node/cli/registry';
import { setFileOpener } from '../../src/io';
import { frameLayout, readPixel } from '../../src/video';
import { installNodeFileOpener } from '../../node/drivers/fs';

const dir = mkdtempSync(join(tmpdir(), 'g2g-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const registry = cliRegistry();

describe('launch syntax entries', () => {
  it('videoTestSrc ! capsfilter ! fileSink location=… writes raw frames once the Node opener is installed', async () => {
    const previous = installNodeFileOpener();
    try {
      const out = join(dir, 'out.rgba');
      const p = parseLaunch(`videoTestSrc num-buffers=2 pattern=solid foreground-color=0xff336699 ! video/x-raw,format=RGBA,width=16,height=8 ! fileSink location=${out}`, registry);
      await p.run({ clock: new VirtualClock() });
      const size = frameLayout('RGBA', 16, 8).size;
      expect(statSync(out).size).toBe(2 * size);
      expect(readPixel({ layout: frameLayout('RGBA', 16, 8), data: readFileSync(out) }, 15, 7)).toEqual([0x33, 0x66, 0x99, 0xff]);

      const copy = join(dir, 'copy.rgba');
      await parseLaunch(`fileSrc location=${out} blocksize=100 ! queue ! fileSink location=${copy}`, registry).run();
      expect(readFileSync(copy).equals(readFileSync(out))).toBe(true);
    } finally {
      setFileOpener(previous);
    }
  });

  it('without an opener, a location fails at start naming the location and the fix', async () => {
    const previous = setFileOpener(undefined);
    try {
      writeFileSync(join(dir, 'x.bin'), 'x');
      await expect(parseLaunch(`fileSrc location=${join(dir, 'x.bin')} ! fakeSink`, registry).run()).rejects.toThrow(/no file opener is installed .*installNodeFileOpener/);
    } finally {
      setFileOpener(previous);
    }
  });

  it('validates property values', () => {
    expect(() => parseLaunch('videoTestSrc pattern=snow ! fakeSink', registry)).toThrow(/smpte/);
    expect(() => parseLaunch('videoTestSrc foreground-color=purple ! fakeSink', registry)).toThrow(/0xAARRGGBB/);
    expect(() => parseLaunch('fileSrc ! fakeSink', registry)).toThrow(/exactly one of location or source/);
  });
});
