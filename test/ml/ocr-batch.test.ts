// The PP-OCR stages on streamMux batches: ocrDetect runs the frames of a batch as one detector run and
// boxes each frame in its own geometry; batchSplit hands each source its frames. Each source's boxes (and
// text) equal those of its single-stream run; the sources differ, so a mix-up of slots fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ocrDetect, ocrPreprocess, ocrRecognise, type FramePacket } from '../../node/ml/ocr-stages';
import { gutenyeOcrModels, PpOcr } from '../../node/ml/pp-ocr';
import { batchSplit, fakeSink, streamMux, videoTestSrc, type BatchPacket } from '../../operators';
import { VirtualClock } from '../../src/clock';
import type { TextBox } from '../../src/ml/postprocess/db';
import type { Source } from '../../src/operator';
import { pipe } from '../../src/pipeline';
import { requirePeer } from '../peers';

requirePeer('onnxruntime');

const FRAMES = 2;
/** Two cameras: different text, background, place and size (the second's detection input is smaller). */
const SOURCES = [
  { width: 320, height: 240, pattern: 'smpte', text: 'HELLO 42', overlayX: 16, overlayY: 32 },
  { width: 320, height: 240, pattern: 'black', text: 'AB 7', overlayX: 120, overlayY: 150 },
  { width: 256, height: 160, pattern: 'black', text: 'HI 35', overlayX: 40, overlayY: 60 },
] as const;

const camera = (k: number): Source<FramePacket> => {
  const s = SOURCES[k];
  return videoTestSrc({
    format: 'I420',
    width: s.width,
    height: s.height,
    numBuffers: FRAMES,
    pattern: s.pattern,
    overlay: 'text',
    text: s.text,
    overlayScale: 5,
    overlayX: s.overlayX,
    overlayY: s.overlayY,
  }) as Source<FramePacket>;
};

/** A box as numbers rounded to 1/100 pixel, to compare runs. */
const round = (b: TextBox) => ({
  score: Math.round(b.score * 1e3) / 1e3,
  points: b.points.map((p) => [Math.round(p.x * 100) / 100, Math.round(p.y * 100) / 100]),
});
const boxesOf = (p: FramePacket) => ((p.meta.ocrBoxes as TextBox[] | undefined) ?? []).map(round);

describe('PP-OCR stages on streamMux batches', () => {
  let ocr: PpOcr;
  /** Per source, per frame: its boxes and text from a single-stream run. */
  const single: { boxes: ReturnType<typeof boxesOf>; text: unknown }[][] = [];
  beforeAll(async () => {
    ocr = await PpOcr.load(gutenyeOcrModels(), { thread: 'main' });
    for (let k = 0; k < SOURCES.length; k++) {
      const frames: FramePacket[] = [];
      await pipe(camera(k), ocrPreprocess(), ocrDetect(ocr), ocrRecognise(ocr), fakeSink<FramePacket>({ onPacket: (p) => void frames.push(p) })).run({
        clock: new VirtualClock(),
      });
      single.push(frames.map((p) => ({ boxes: boxesOf(p), text: p.meta.ocrText })));
    }
  });
  afterAll(() => ocr.release());

  it('each source gets its own boxes and text, as in its single-stream run; one detector run per detection size', async () => {
    // What makes a mix-up visible: the sources read differently.
    expect(single.map((s) => s[0].text)).toEqual(SOURCES.map((s) => s.text));
    expect(single[0][0].boxes).not.toEqual(single[1][0].boxes);
    const runs: number[][] = [];
    const run = ocr.det.run.bind(ocr.det);
    (ocr.det as { run: typeof run }).run = (data, dims, ...rest) => (runs.push([...dims]), run(data, dims, ...rest));
    const got: FramePacket[][] = SOURCES.map(() => []);
    try {
      await pipe(
        streamMux(
          SOURCES.map((_, k) => pipe(camera(k), ocrPreprocess())),
          { batchSize: SOURCES.length, batchedPushTimeout: 1_000_000_000 }
        ),
        ocrDetect<BatchPacket<FramePacket>>(ocr),
        ocrRecognise<BatchPacket<FramePacket>>(ocr),
        batchSplit({ branches: got.map((g) => fakeSink<FramePacket>({ onPacket: (p) => void g.push(p) })) })
      ).run({ clock: new VirtualClock() });
    } finally {
      (ocr.det as { run: typeof run }).run = run;
    }
    got.forEach((frames, k) => {
      expect(frames).toHaveLength(FRAMES);
      frames.forEach((p, i) => {
        expect(boxesOf(p)).toEqual(single[k][i].boxes);
        expect(p.meta.ocrText).toBe(single[k][i].text);
      });
    });
    // Per batch: the two 320x240 cameras stacked in one run, the smaller one alone.
    expect(runs.map((d) => d[0]).sort()).toEqual(
      Array.from({ length: FRAMES }, () => [1, 2])
        .flat()
        .sort()
    );
  });

  it('a batch frame without ocrPreprocess fails, naming the stage', async () => {
    const run = pipe(streamMux([camera(0)], { batchSize: 1 }), ocrDetect<BatchPacket<FramePacket>>(ocr, 'det'), fakeSink()).run({ clock: new VirtualClock() });
    await expect(run).rejects.toThrow(/det: frame 0 of the batch has no meta.ocrInput/);
  });
});
