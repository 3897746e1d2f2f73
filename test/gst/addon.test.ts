import { describe, expect, it } from 'vitest';
import { loadGst } from '../../node/elements/gst/addon';
import { NativeAddonError } from '../../node/native/loader';

describe('the GStreamer bridge addon', () => {
  it('is loaded only on demand, and a missing one says what to install and build', () => {
    let e: unknown;
    try {
      loadGst('/nonexistent/g2g_gst.node');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(NativeAddonError);
    expect((e as Error).message).toMatch(/g2g_gst\.node: file not found/);
    expect((e as Error).message).toMatch(/libgstreamer1\.0-0/);
    expect((e as Error).message).toMatch(/scripts\/build-native-gst\.sh/);
  });
});
