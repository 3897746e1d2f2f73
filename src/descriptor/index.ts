export { defineElement, ElementDescriptor, launchName, MissingPropertyError, PropertyConflictError, PropertyValueError } from './descriptor';
export type { Build, ElementKind, ElementOptions, FactoryArgs, ElementLinks, ElementSpec, OptionsOf, PadTemplates, Properties, SettingsOf } from './descriptor';
export { formatDuration, parseDuration } from './duration';
export type { DurationUnit } from './duration';
export { prop, Property } from './property';
export type { AnyProperty, Presence, PropertyInfo, PropertyOptions, PropertyType, RangeOptions } from './property';
export { ElementRegistry, UnknownElementError, UnknownPropertyError } from './registry';
export type { AnyDescriptor } from './registry';
