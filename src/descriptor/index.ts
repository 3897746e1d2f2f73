export { defineElement, ElementDescriptor, launchName, MissingPropertyError, PropertyValueError } from './descriptor';
export type { ElementKind, ElementOptions, FactoryArgs, ElementLinks, ElementSpec, OptionsOf, PadTemplates, Properties, SettingsOf } from './descriptor';
export { formatDuration, parseDuration } from './duration';
export type { DurationUnit } from './duration';
export { prop, Property } from './property';
export type { AnyProperty, Presence, PropertyInfo, PropertyType } from './property';
export { ElementRegistry, UnknownElementError, UnknownPropertyError } from './registry';
