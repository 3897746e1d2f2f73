/// <reference types="@webgpu/types" />

let pending: Promise<GPUDevice> | undefined;

/**
 * The page's (or worker's) WebGPU device through `navigator.gpu`, created once and shared: browsers, Deno,
 * and any host exposing the standard global. A lost device is forgotten so that the next call makes a new one.
 * Node has no `navigator.gpu`; it uses nodeWebGpuDevice (node/ml/webgpu.ts) instead.
 */
export function navigatorGpuDevice(): Promise<GPUDevice> {
  return (pending ??= (async () => {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (!gpu) throw new Error('webgpu: navigator.gpu is missing (not a secure context, or WebGPU disabled; headless Chromium needs --enable-unsafe-webgpu)');
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('webgpu: navigator.gpu.requestAdapter() found no adapter');
    const device = await adapter.requestDevice();
    void device.lost.then(() => {
      pending = undefined;
    });
    return device;
  })().catch((e: unknown) => {
    pending = undefined;
    throw e;
  }));
}
