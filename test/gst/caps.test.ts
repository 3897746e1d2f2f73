import { describe, expect, it } from 'vitest';
import { Caps } from '../../src/caps';
import { acceptedCaps, fromGstCaps, toGstCaps } from '../../node/elements/gst/bridge';

/** Caps text as GStreamer 1.22 prints it (gst-launch -v), through the bridge's mapping. */
describe('GStreamer caps ↔ glass2glass caps', () => {
  it('parses what h264parse prints after matroskademux (uint, buffer, boolean fields)', () => {
    const text =
      'video/x-h264, level=(string)1.3, profile=(string)high, codec_data=(buffer)0164000dffe100196764000dacd94141fb011000000300100000030320f142996001000668ebe3cb22c0, stream-format=(string)avc, alignment=(string)au, width=(int)320, height=(int)240, framerate=(fraction)25/1, interlace-mode=(string)progressive, pixel-aspect-ratio=(fraction)1/1, coded-picture-structure=(string)frame, chroma-format=(string)4:2:0, bit-depth-luma=(uint)8, bit-depth-chroma=(uint)8, parsed=(boolean)true';
    const c = fromGstCaps(text);
    expect(c.isAny).toBe(false);
    expect(c.isFixed()).toBe(true);
    expect(c.structures[0].get('width')).toBe(320);
    expect(c.structures[0].get('bit-depth-luma')).toBe(8);
  });

  it('drops fields of GStreamer-only types (flag sets) rather than the caps', () => {
    const c = fromGstCaps(
      'video/x-raw, format=(string)I420, width=(int)320, height=(int)240, multiview-mode=(string)mono, multiview-flags=(GstVideoMultiviewFlagsSet)0:ffffffff:/right-view-first/left-flipped/left-flopped/right-flipped/right-flopped/half-aspect/mixed-mono, framerate=(fraction)30/1'
    );
    expect(c.isFixed()).toBe(true);
    expect(c.structures[0].get('framerate')).toBeDefined();
  });

  it('maps ANY and EMPTY both ways', () => {
    expect(toGstCaps(Caps.any())).toBe('ANY');
    expect(toGstCaps(Caps.empty())).toBe('EMPTY');
    expect(fromGstCaps('ANY').isAny).toBe(true);
    expect(fromGstCaps('EMPTY').isEmpty()).toBe(true);
  });

  it("reads a fragment's accepted caps without their ranges (an unstated size still fits, as in GStreamer)", () => {
    const c = acceptedCaps(
      'video/x-h264, stream-format=(string){ avc, avc3 }, alignment=(string)au, width=(int)[ 16, 2147483647 ], height=(int)[ 16, 2147483647 ]; video/x-h264, framerate=(fraction)[ 0/1, 2147483647/1 ]'
    );
    expect(c.toString()).toBe('video/x-h264, stream-format=(string){ avc, avc3 }, alignment=(string)au; video/x-h264');
    expect(Caps.parse('video/x-h264, stream-format=(string)avc, alignment=(string)au').isSubset(c)).toBe(true);
  });
});
