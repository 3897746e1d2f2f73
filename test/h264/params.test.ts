import { describe, expect, it } from 'vitest';
import {
  AccessUnitAssembler,
  buildAvcC,
  levelName,
  parseAvcC,
  parsePps,
  parseSps,
  profileName,
  reorderDepth,
  splitAnnexB,
  toHex,
  fromHex,
  H264Error,
  type Sps,
} from '../../src/codecs/h264';
import { encodeH264, ffprobeStream, mp4ToAnnexB, readBytes, type EncodeOptions } from '../fixtures/h264';
import { BitWriter } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe');

const PROFILE_NAMES: Record<string, string> = {
  'Constrained Baseline': 'constrained-baseline',
  Baseline: 'baseline',
  Main: 'main',
  High: 'high',
};

function firstOfType(stream: Uint8Array, type: number): Uint8Array {
  const nal = splitAnnexB(stream).find((n) => (n[0] & 0x1f) === type);
  if (!nal) throw new Error(`no NAL of type ${type}`);
  return nal;
}

const CASES: { name: string; opts: EncodeOptions; fps: { num: number; den: number } }[] = [
  { name: 'baseline 320x240', opts: { profile: 'baseline', frames: 5 }, fps: { num: 30, den: 1 } },
  { name: 'main 352x288 with B-frames', opts: { profile: 'main', width: 352, height: 288, frames: 5, bframes: 1 }, fps: { num: 30, den: 1 } },
  { name: 'high 320x240 B-pyramid at 30000/1001', opts: { profile: 'high', frames: 5, bframes: 3, fps: '30000/1001' }, fps: { num: 30000, den: 1001 } },
  { name: 'high 1920x1080 (coded 1920x1088)', opts: { profile: 'high', width: 1920, height: 1080, frames: 2, preset: 'ultrafast', fps: 25 }, fps: { num: 25, den: 1 } },
  { name: 'high 4K', opts: { profile: 'high', width: 3840, height: 2160, frames: 2, preset: 'ultrafast' }, fps: { num: 30, den: 1 } },
  { name: 'odd size 318x178 (cropping on both axes)', opts: { profile: 'main', width: 318, height: 178, frames: 3 }, fps: { num: 30, den: 1 } },
];

describe('SPS against ffprobe', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const path = await encodeH264(c.opts);
      const probe = await ffprobeStream(path);
      const sps = parseSps(firstOfType(readBytes(path), 7));
      expect(profileName(sps)).toBe(PROFILE_NAMES[probe.profile]);
      expect(sps.levelIdc).toBe(probe.level);
      expect(levelName(sps)).toBe(probe.level % 10 ? `${Math.floor(probe.level / 10)}.${probe.level % 10}` : String(probe.level / 10));
      expect([sps.width, sps.height]).toEqual([probe.width, probe.height]);
      // Coded size is macroblock aligned (ffprobe 5 reports the cropped size as coded size, so derive it).
      expect([sps.codedWidth, sps.codedHeight]).toEqual([Math.ceil(probe.width / 16) * 16, Math.ceil(probe.height / 16) * 16]);
      expect(sps.framerate).toEqual(c.fps);
      expect(`${sps.framerate!.num}/${sps.framerate!.den}`).toBe(probe.rFrameRate);
      expect(reorderDepth(sps)).toBe(probe.hasBFrames);
      expect(sps.chromaFormatIdc).toBe(1);
      expect(sps.bitDepthLuma).toBe(8);
    });
  }

  it('reads the 1080p cropping window exactly: 8 lines off the bottom', async () => {
    const sps = parseSps(firstOfType(readBytes(await encodeH264(CASES[3].opts)), 7));
    expect(sps.crop).toEqual({ left: 0, right: 0, top: 0, bottom: 4 }); // in 2-line chroma units
    expect([sps.codedWidth, sps.codedHeight, sps.width, sps.height]).toEqual([1920, 1088, 1920, 1080]);
    expect(sps.frameMbsOnly).toBe(true);
  });

  it('PPS: entropy coding and 8x8 transform as the profile implies', async () => {
    const base = parsePps(firstOfType(readBytes(await encodeH264(CASES[0].opts)), 8));
    const high = parsePps(firstOfType(readBytes(await encodeH264(CASES[2].opts)), 8));
    expect([base.entropyCodingMode, base.transform8x8Mode]).toEqual([false, false]);
    expect([high.entropyCodingMode, high.transform8x8Mode]).toEqual([true, true]);
    expect(high.spsId).toBe(0);
  });

  it('an SPS without VUI: no frame rate, reorder depth from the profile or level', () => {
    const sps = parseSps(writeSps({ profileIdc: 77, levelIdc: 30, widthMbs: 20, heightMbs: 15, pocType: 0 }));
    expect(sps.vui).toBeUndefined();
    expect(sps.framerate).toBeUndefined();
    expect([sps.width, sps.height]).toEqual([320, 240]);
    // Main profile without bitstream_restriction: the level's DPB size (8100 MBs / 300 = 27, max 16).
    expect(reorderDepth(sps)).toBe(16);
    expect(reorderDepth(parseSps(writeSps({ profileIdc: 66, levelIdc: 30, widthMbs: 20, heightMbs: 15, pocType: 0 })))).toBe(0);
    expect(reorderDepth(parseSps(writeSps({ profileIdc: 77, levelIdc: 30, widthMbs: 20, heightMbs: 15, pocType: 2 })))).toBe(0);
    expect(profileName({ profileIdc: 66, constraintFlags: 0 })).toBe('baseline');
    expect(levelName({ profileIdc: 66, constraintFlags: 0x10, levelIdc: 11 })).toBe('1b');
  });

  it('damaged parameter sets throw H264Error, never anything else', () => {
    const sps = writeSps({ profileIdc: 77, levelIdc: 30, widthMbs: 20, heightMbs: 15, pocType: 0 });
    for (let cut = 1; cut < sps.length - 1; cut++) {
      try {
        parseSps(sps.subarray(0, cut));
      } catch (e) {
        expect(e).toBeInstanceOf(H264Error);
      }
    }
    expect(() => parseSps(new Uint8Array([0x68, 1, 2, 3]))).toThrowError(H264Error);
  });
});

describe('avcC', () => {
  for (const opts of [CASES[0].opts, CASES[2].opts]) {
    it(`built from the SPS/PPS equals what FFmpeg writes into an MP4 (${opts.profile})`, async () => {
      const mp4 = await encodeH264({ ...opts, container: 'mp4' });
      const probe = await ffprobeStream(mp4);
      const stream = readBytes(await mp4ToAnnexB(mp4));
      const record = buildAvcC({ sps: [firstOfType(stream, 7)], pps: [firstOfType(stream, 8)] });
      expect(toHex(record)).toBe(probe.extradata);
      const parsed = parseAvcC(fromHex(probe.extradata!));
      expect(parsed.lengthSize).toBe(4);
      expect(toHex(parsed.sps[0])).toBe(toHex(firstOfType(stream, 7)));
      expect(toHex(parsed.pps[0])).toBe(toHex(firstOfType(stream, 8)));
      expect(parsed.profileIdc).toBe(firstOfType(stream, 7)[1]);
      expect(toHex(buildAvcC(parsed))).toBe(probe.extradata);
    });
  }

  it('rejects malformed records with H264Error', () => {
    expect(() => parseAvcC(new Uint8Array([1, 2, 3]))).toThrowError(H264Error);
    expect(() => parseAvcC(new Uint8Array([0, 66, 0, 30, 0xff, 0xe1, 0, 9]))).toThrowError(H264Error);
    expect(() => parseAvcC(new Uint8Array([1, 66, 0, 30, 0xff, 0xe1, 0, 9, 0x67]))).toThrowError(H264Error);
    expect(() => buildAvcC({ sps: [], pps: [] })).toThrowError(H264Error);
    expect(() => fromHex('xyz')).toThrowError(H264Error);
  });

  it('the assembler accepts parameter sets from avcC', async () => {
    const stream = readBytes(await encodeH264(CASES[0].opts));
    const asm = new AccessUnitAssembler();
    const rec = parseAvcC(buildAvcC({ sps: [firstOfType(stream, 7)], pps: [firstOfType(stream, 8)] }));
    expect(rec.sps.every((n) => asm.addParameterSet(n))).toBe(true);
    expect(asm.params.sps(0)?.width).toBe(320);
    expect(asm.addParameterSet(new Uint8Array([0x67]))).toBe(false);
  });
});

/** A minimal SPS without VUI (profiles 66/77: no chroma/bit-depth part), for the no-VUI paths. */
function writeSps(o: { profileIdc: number; levelIdc: number; widthMbs: number; heightMbs: number; pocType: 0 | 2 }): Uint8Array {
  const w = new BitWriter().u(8, 0x67).u(8, o.profileIdc).u(8, 0).u(8, o.levelIdc).ue(0);
  w.ue(0); // log2_max_frame_num_minus4
  w.ue(o.pocType);
  if (o.pocType === 0) w.ue(2);
  w.ue(1).u(1, 0); // max_num_ref_frames, gaps
  w.ue(o.widthMbs - 1).ue(o.heightMbs - 1);
  w.u(1, 1).u(1, 1); // frame_mbs_only, direct_8x8_inference
  w.u(1, 0).u(1, 0); // no cropping, no VUI
  return w.trailing();
}

export type { Sps };
