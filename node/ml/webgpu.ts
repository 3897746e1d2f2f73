import { importOptional } from '../../src/util/optional';
import { importByName } from './import-by-name';

/**
 * The process's WebGPU device through Dawn (the `webgpu` npm package), created once.
 *
 * Why everything is held here: the GPU object that `create()` returns owns Dawn's instance, and Dawn's
 * node binding keeps calling that instance's ProcessEvents from a timer. Holding only the device is not
 * enough: once the GPU object is garbage-collected (any JS allocation burst can trigger it, e.g. ≥ 20 ms
 * of busy work after requestDevice) the next ProcessEvents locks a destroyed mutex and the process dies
 * (SIGSEGV, or SIGABRT "std::system_error: Invalid argument"; seen in 10/50 runs keeping only the device,
 * 0/50 keeping the GPU object). Module-scope references keep all three alive for the process's life.
 */
let held: { gpu: GPU; adapter: GPUAdapter; device: GPUDevice } | undefined;
let pending: Promise<GPUDevice> | undefined;

export function nodeWebGpuDevice(): Promise<GPUDevice> {
  return (pending ??= (async () => {
    const { create } = await importOptional('webgpu', 'WebGPU in Node (Dawn)', () => importByName<typeof import('webgpu')>('webgpu'));
    const gpu = create([]);
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('webgpu: no adapter (on a machine without a GPU this needs Mesa ≥ 25 lavapipe)');
    const device = await adapter.requestDevice();
    held = { gpu, adapter, device };
    void device.lost.then(() => {
      held = undefined;
      pending = undefined;
    });
    return device;
  })().catch((e: unknown) => {
    pending = undefined;
    throw e;
  }));
}

/** For diagnostics and tests: whether the held references are in place. */
export function webGpuHeld(): boolean {
  return held !== undefined;
}
