/**
 * The package's main entry (`glass2glass`): the core, plus the launch builder, which needs elements and so
 * lives a layer above the core (src/ imports nothing from here).
 */
export * from '../src/index';
export { buildLaunch, parseLaunch } from './launch';
