import { prop } from '../descriptor/property';
import { MAX_DIMENSION } from '../video/format';

/** The properties of every frame → tensor element (tensorPreprocess on the CPU, wgpuPreprocess on WebGPU): PreprocessOptions as a declaration. */
export const PREPROCESS_PROPERTIES = {
  width: prop.uint({ required: true, min: 1, max: MAX_DIMENSION, doc: 'Tensor width' }),
  height: prop.uint({ required: true, min: 1, max: MAX_DIMENSION, doc: 'Tensor height' }),
  layout: prop.enum(['NCHW', 'NHWC'], { default: 'NCHW', doc: 'Dimension order' }),
  resize: prop.enum(['stretch', 'letterbox', 'crop'], { default: 'stretch', doc: 'How the frame fills the tensor' }),
  align: prop.enum(['center', 'top-left'], { default: 'center', doc: 'Where letterboxed content sits: centred (YOLO) or top-left (PP-OCR recognition)' }),
  padValue: prop.double({ default: 0, min: 0, max: 255, doc: 'Letterbox padding, as a 0-255 pixel value (before normalisation)' }),
  scale: prop.double({ default: 1 / 255, doc: 'Multiplier applied to 0-255 samples before mean/std' }),
  mean: prop.doubles({ length: 3, default: [0, 0, 0], doc: 'Per output channel, subtracted after scaling' }),
  std: prop.doubles({ length: 3, positive: true, default: [1, 1, 1], doc: 'Per output channel, divided by after the mean' }),
  channelOrder: prop.enum(['RGB', 'BGR'], { default: 'RGB', doc: 'Channel order of the tensor' }),
} as const;
