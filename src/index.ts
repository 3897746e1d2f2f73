export * from './caps';
export * from './clock';
export * from './element';
export * from './memory';
export * from './operator';
export * from './packet';
export * from './pipeline';
export * from './reader';
export * from './time';
export { AbortError, isAbortError, newAbortController } from './util/abort';
export { isPromiseLike, type MaybePromise } from './util/promise';
export * from './launch';
export * from './video';
export * from './io';
export * as h264 from './codecs/h264';
export * as mp4 from './formats/mp4';
export * as rtp from './rtp';
export * as rtsp from './rtsp';
export { G2gError } from './errors';
export {
  defineElement,
  ElementDescriptor,
  ElementRegistry,
  formatDuration,
  launchName,
  MissingPropertyError,
  parseDuration,
  prop,
  Property,
  PropertyValueError,
  UnknownElementError,
  UnknownPropertyError,
} from './descriptor';
export type {
  AnyProperty,
  DurationUnit,
  ElementKind,
  ElementLinks,
  ElementOptions,
  ElementSpec,
  OptionsOf,
  PadTemplates,
  Presence,
  Properties,
  PropertyInfo,
  PropertyType,
  SettingsOf,
} from './descriptor';
