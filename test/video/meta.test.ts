import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caps } from '../../src/caps';
import { cpuMemory } from '../../src/memory/memory';
import { packet, withPacket } from '../../src/packet';
import { frameLayout, rawVideoInfo } from '../../src/video/format';
import { isPackedLayout, packedFrame, stridedLayout, videoLayoutOf, videoLayoutReader, withoutVideoMeta, withVideoMeta } from '../../src/video/meta';

const c = caps('video/x-raw', { format: 'I420', width: 5, height: 3 });

describe('video meta (strided raw frames)', () => {
  it('stridedLayout checks every row of every plane against the buffer, naming the plane', () => {
    // 5x3 I420: rows of 5, 3, 3 bytes; 3, 2, 2 rows.
    const ok = stridedLayout('I420', 5, 3, [{ offset: 0, stride: 8 }, { offset: 24, stride: 4 }, { offset: 32, stride: 4 }], 40);
    expect(ok.planes.map((p) => p.size)).toEqual([21, 7, 7]);
    expect(ok.size).toBe(39);
    expect(() => stridedLayout('I420', 5, 3, [{ offset: 0, stride: 4 }, { offset: 24, stride: 4 }, { offset: 32, stride: 4 }], 40)).toThrow(/plane 0: stride 4 is less than a row of 5/);
    expect(() => stridedLayout('I420', 5, 3, [{ offset: 0, stride: 8 }, { offset: 24, stride: 4 }, { offset: 34, stride: 4 }], 40)).toThrow(/plane 2: .* end past the 40-byte buffer/);
    expect(() => stridedLayout('I420', 5, 3, [{ offset: 0, stride: 8 }, { offset: 24, stride: 4 }], 40)).toThrow(/3 planes, got 2/);
    expect(() => stridedLayout('I420', 5, 3, [{ offset: -1, stride: 8 }, { offset: 24, stride: 4 }, { offset: 32, stride: 4 }], 40)).toThrow(/plane 0: offset/);
  });

  it('packedFrame gives the packed bytes of any placement (property), and data itself when already packed', () => {
    fc.assert(
      fc.property(fc.constantFrom('I420' as const, 'NV12' as const, 'RGBA' as const), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 7 }), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 6, maxLength: 6 }), (format, w, h, pads) => {
        const packed = frameLayout(format, w, h);
        const src = Uint8Array.from({ length: packed.size }, (_, i) => (i * 7 + 3) & 255);
        let at = 0;
        const placement = packed.planes.map((p, k) => {
          const offset = at + pads[2 * k];
          const stride = p.stride + pads[2 * k + 1];
          at = offset + stride * p.height;
          return { offset, stride };
        });
        const data = new Uint8Array(at).fill(0xee);
        packed.planes.forEach((p, k) => {
          for (let y = 0; y < p.height; y++) data.set(src.subarray(p.offset + y * p.stride, p.offset + (y + 1) * p.stride), placement[k].offset + y * placement[k].stride);
        });
        const layout = stridedLayout(format, w, h, placement, data.byteLength);
        expect(packedFrame(data, layout)).toEqual(src);
        expect(isPackedLayout(layout)).toBe(pads.slice(0, 2 * packed.planes.length).every((x) => x === 0));
      }),
    );
    const f = new Uint8Array(frameLayout('I420', 5, 3).size);
    expect(packedFrame(f, frameLayout('I420', 5, 3))).toBe(f);
  });

  it('videoLayoutOf: the meta when there is one, else the caps; withPacket with new memory drops it', () => {
    const layout = stridedLayout('I420', 5, 3, [{ offset: 0, stride: 8 }, { offset: 24, stride: 4 }, { offset: 32, stride: 4 }], 40);
    const p = packet({ caps: c, memory: cpuMemory(new Uint8Array(40)), meta: withVideoMeta({ captureTime: 5 }, layout) });
    expect(videoLayoutOf(p, rawVideoInfo(c))).toBe(layout);
    expect(videoLayoutOf(packet({ caps: c, memory: cpuMemory(new Uint8Array(24)) }), rawVideoInfo(c))).toEqual(frameLayout('I420', 5, 3));
    // Same memory: the meta still describes it. New memory: it does not.
    expect(withPacket(p, { pts: 1 }).meta.videoMeta).toBe(layout);
    const q = withPacket(p, { memory: cpuMemory(new Uint8Array(24)) });
    expect(q.meta.videoMeta).toBeUndefined();
    expect(q.meta.captureTime).toBe(5);
    expect(withoutVideoMeta(p.meta)).toEqual({ captureTime: 5 });
  });

  it('videoLayoutReader: the layout to read, checked against the caps and the bytes; caps parsed once', () => {
    const read = videoLayoutReader();
    const layout = stridedLayout('I420', 5, 3, [{ offset: 0, stride: 8 }, { offset: 24, stride: 4 }, { offset: 32, stride: 4 }], 40);
    const a = read(packet({ caps: c, memory: cpuMemory(new Uint8Array(40)), meta: withVideoMeta({}, layout) }));
    expect(a.layout).toBe(layout);
    const b = read(packet({ caps: c, memory: cpuMemory(new Uint8Array(27)) }));
    expect(b.layout).toEqual(frameLayout('I420', 5, 3));
    expect(b.info).toBe(a.info);
    // Too short for the planes the meta places; a meta for another size; packed data too short.
    expect(() => read(packet({ caps: c, memory: cpuMemory(new Uint8Array(38)), meta: withVideoMeta({}, layout) }))).toThrow(/plane 2: .* end past the 38-byte buffer/);
    expect(() => read(packet({ caps: c, memory: cpuMemory(new Uint8Array(400)), meta: withVideoMeta({}, frameLayout('I420', 6, 3)) }))).toThrow(/video meta for a 6x3 I420 frame on 5x3 I420 caps/);
    expect(() => read(packet({ caps: c, memory: cpuMemory(new Uint8Array(26)) }))).toThrow(/needs 27 bytes, got 26/);
  });
});
