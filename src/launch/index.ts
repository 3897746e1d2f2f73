/** gst-launch syntax: text → AST (the element-free half; the builder, AST → Pipeline, is operators/launch.ts). */
export type { AstCaps, AstChain, AstElement, AstNode, AstProperty, AstRef, LaunchAst } from './ast';
export { LaunchError } from './errors';
export type { Span } from './redact';
export { parseLaunchAst } from './parse';
