/** gst-launch syntax: text → AST → Pipeline, with elements from a registry. */
export type { AstCaps, AstChain, AstElement, AstNode, AstProperty, AstRef, LaunchAst } from './ast';
export { buildLaunch, parseLaunch } from './build';
export { LaunchError } from './errors';
export { parseLaunchAst } from './parse';
