/**
 * Memory domains. A packet's payload lives in exactly one domain; moving it to another is the job of an
 * explicit transfer operator, and every CPU copy is recorded in the copy ledger.
 * GPU and native handles are opaque here so that the core stays runtime-agnostic.
 */
export type MemoryDomain = 'cpu' | 'webgpu-buffer' | 'webgpu-texture' | 'videoframe' | 'cuda' | 'dmabuf' | 'none';

/** Caps feature (GStreamer's `memory:…`) for each domain; CPU memory is GStreamer's SystemMemory. */
export const MEMORY_FEATURE: Readonly<Record<MemoryDomain, string>> = {
  cpu: 'memory:SystemMemory',
  'webgpu-buffer': 'memory:WebGPU',
  'webgpu-texture': 'memory:WebGPUTexture',
  videoframe: 'memory:VideoFrame',
  cuda: 'memory:CUDAMemory',
  dmabuf: 'memory:DMABuf',
  none: 'memory:SystemMemory',
};

export interface CpuMemory {
  readonly domain: 'cpu';
  readonly data: Uint8Array;
  /** Present on leased memory (`leasedMemory`, RELEASE): the bytes go back to their producer early. */
  retain?(): void;
  release?(): void;
}

/** No payload at all (GStreamer's empty buffers, events carried as packets). */
export interface NoMemory {
  readonly domain: 'none';
}

/** A WebGPU buffer; typed structurally so that `@webgpu/types` is not needed by the core. */
export interface WebGpuBufferMemory {
  readonly domain: 'webgpu-buffer';
  readonly buffer: { readonly size: number; destroy(): void };
  readonly byteLength: number;
  /** Called when the last holder is done with it (returns the buffer to its pool). */
  release?(): void;
}

export interface WebGpuTextureMemory {
  readonly domain: 'webgpu-texture';
  readonly texture: { readonly width: number; readonly height: number; destroy(): void };
  release?(): void;
}

/** A WebCodecs VideoFrame (browsers, or a polyfill): closed by whoever consumes it last. */
export interface VideoFrameMemory {
  readonly domain: 'videoframe';
  readonly frame: { close(): void; readonly codedWidth: number; readonly codedHeight: number };
}

/** A CUDA device allocation owned by native code. */
export interface CudaMemory {
  readonly domain: 'cuda';
  readonly devicePtr: bigint;
  readonly byteLength: number;
  readonly pitch?: number;
  release?(): void;
}

/** Linux DMA-BUF file descriptors with per-plane layout, owned by native code. */
export interface DmabufMemory {
  readonly domain: 'dmabuf';
  readonly fds: readonly number[];
  readonly offsets: readonly number[];
  readonly strides: readonly number[];
  readonly modifier?: bigint;
  release?(): void;
}

export type Memory =
  | CpuMemory
  | NoMemory
  | WebGpuBufferMemory
  | WebGpuTextureMemory
  | VideoFrameMemory
  | CudaMemory
  | DmabufMemory;

export const NO_MEMORY: NoMemory = Object.freeze({ domain: 'none' });

export function cpuMemory(data: Uint8Array): CpuMemory {
  return { domain: 'cpu', data };
}

/** Payload size in bytes where the domain knows it. */
export function byteLength(memory: Memory): number {
  switch (memory.domain) {
    case 'cpu':
      return memory.data.byteLength;
    case 'webgpu-buffer':
    case 'cuda':
      return memory.byteLength;
    default:
      return 0;
  }
}
