/**
 * `import(name)` that bundlers leave alone: onnxruntime-node and webgpu load native binaries from their own
 * package folders, so bundling them never works, and a Node app bundled with esbuild must not fail on them
 * when it does not use ML. (The interop layer keeps literal imports: browser bundles should include rxjs.)
 */
export function importByName<T>(name: string): Promise<T> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name) as Promise<T>;
}
