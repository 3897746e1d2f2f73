/** gst-launch syntax: text → AST → Pipeline, (the element-free half: the builder lives in operators/launch.ts). */
export type { AstCaps, AstChain, AstElement, AstNode, AstProperty, AstRef, LaunchAst } from './ast';
export { LaunchError } from './errors';
export { parseLaunchAst } from './parse';
