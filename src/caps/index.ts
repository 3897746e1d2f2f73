/** Caps algebra: GStreamer-style structured media formats. */
export { Caps, caps, explainMismatch } from './caps';
export { CapsParseError } from './parse';
export { Structure, structure } from './structure';
export {
  MEMORY_CUDA,
  MEMORY_DMABUF,
  MEMORY_SYSTEM,
  MEMORY_VIDEO_FRAME,
  MEMORY_WEBGPU,
  memoryFeature,
} from './features';
export { printValue } from './print';
export {
  compareFractions,
  fixateValue,
  fraction,
  fractionRange,
  intRange,
  isFixedValue,
  list,
  valuesEqual,
  type FieldValue,
  type FixedValue,
  type Fraction,
  type FractionRange,
  type IntRange,
  type ListItem,
  type ValueList,
  type ValueType,
} from './value';
export { intersectValues, isValueSubset } from './valueset';
