/// <reference types="@webgpu/types" />
import { Caps } from '../caps';
import { EOS, type Pulled, type Reader } from '../element';
import { defineTransform, type Transform } from '../operator';
import { float32CapsByShape, float32Memory, tensorData, tensorInfo, tensorTemplate, TENSOR_MEDIA_TYPE, type TensorLayout, type TensorPacket } from './tensor';

/*
 * The parts of onnxruntime-web this element uses, typed structurally: the caller passes the module
 * (`import * as ort from 'onnxruntime-web'`), so the core neither depends on nor bundles it.
 */
export interface OrtWebTensor {
  readonly type: string;
  readonly dims: readonly number[];
  getData(): Promise<unknown>;
  dispose(): void;
}
export interface OrtWebSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtWebTensor>, fetches: string[]): Promise<Record<string, OrtWebTensor>>;
  release(): Promise<void>;
}
export interface OrtWebRuntime {
  readonly InferenceSession: { create(model: Uint8Array, options: { executionProviders: string[]; graphOptimizationLevel?: 'all' }): Promise<OrtWebSession> };
  readonly Tensor: {
    new (type: 'float32', data: Float32Array, dims: readonly number[]): OrtWebTensor;
    fromGpuBuffer(buffer: GPUBuffer, options: { dataType: 'float32'; dims: readonly number[] }): OrtWebTensor;
  };
}

/** Providers of onnxruntime-web this element knows: 'webgpu' (JSEP) or 'wasm' (CPU). */
export type OrtWebProvider = 'webgpu' | 'wasm';

export interface OrtWebOptions {
  name?: string;
  /** Default 'webgpu'; webgpu-buffer input tensors need it (they must come from ort's own device). */
  executionProvider?: OrtWebProvider;
  /** Output to emit; default the model's first. */
  output?: string;
  /** Input to feed; default the model's first. */
  input?: string;
  /** Layout written into output caps; default 'ND'. */
  outputLayout?: TensorLayout;
}

const OUTPUT_TEMPLATE = Caps.parse(`${TENSOR_MEDIA_TYPE}, dtype=(string)float32`);
const INPUT_TEMPLATE = Caps.parse(`${TENSOR_MEDIA_TYPE}, dtype=(string)float32; ${TENSOR_MEDIA_TYPE}(memory:WebGPU), dtype=(string)float32`);

/**
 * Runs an ONNX model (its bytes) on each float32 tensor packet with onnxruntime-web. CPU tensors are fed
 * as they are; webgpu-buffer tensors (gpuPreprocess on ort's device: `device: () => ort.env.webgpu.device`)
 * are fed in place with Tensor.fromGpuBuffer — no download — and released after the run. Outputs come back
 * to CPU memory (ort reads them back), their caps carrying the actual shape.
 */
export function ortWeb(runtime: OrtWebRuntime, model: Uint8Array, options: OrtWebOptions = {}): Transform<TensorPacket, TensorPacket> {
  if (!(model instanceof Uint8Array)) throw new TypeError('ortWeb model must be the model bytes (a Uint8Array)');
  const ep = options.executionProvider ?? 'webgpu';
  if (ep !== 'webgpu' && ep !== 'wasm') throw new RangeError(`ortWeb executionProvider must be webgpu or wasm, got '${String(ep)}'`);
  const layout = options.outputLayout ?? 'ND';
  return defineTransform<TensorPacket, TensorPacket>({
    factory: 'ortWeb',
    name: options.name,
    props: { model: `<${model.byteLength} bytes>`, 'execution-provider': ep, output: options.output },
    sinkCaps: INPUT_TEMPLATE,
    srcCaps: OUTPUT_TEMPLATE,
    acceptCaps: () => INPUT_TEMPLATE,
    outputCaps: (_input, allowed) => OUTPUT_TEMPLATE.intersect(allowed),
    open(ctx, up): Reader<TensorPacket> {
      let session: Promise<OrtWebSession> | undefined;
      const outCaps = float32CapsByShape(layout);
      return {
        async pull(signal): Promise<Pulled<TensorPacket>> {
          const s = await (session ??= runtime.InferenceSession.create(model, { executionProviders: [ep], graphOptimizationLevel: 'all' }).then((x) => {
            ctx.log('info', `ortWeb: ${model.byteLength}-byte model runs on onnxruntime-web's ${ep} execution provider`);
            return x;
          }));
          const p = await up.pull(signal);
          if (p === EOS) return EOS;
          const input = options.input ?? s.inputNames[0];
          const output = options.output ?? s.outputNames[0];
          if (!s.outputNames.includes(output)) throw new RangeError(`model has no output '${output}' (it has ${s.outputNames.join(', ')})`);
          const dims = tensorInfo(p.caps).shape;
          let feed: OrtWebTensor;
          if (p.memory.domain === 'webgpu-buffer') {
            if (ep !== 'webgpu') throw new RangeError("ortWeb: a webgpu-buffer tensor needs executionProvider 'webgpu' (or gpuPreprocess with download: true)");
            feed = runtime.Tensor.fromGpuBuffer(p.memory.buffer as GPUBuffer, { dataType: 'float32', dims });
          } else {
            feed = new runtime.Tensor('float32', tensorData(p), dims);
          }
          let t: OrtWebTensor;
          try {
            t = (await s.run({ [input]: feed }, [output]))[output];
          } finally {
            // This element is the input's last holder: its GPU buffer goes back now, not at GC.
            if (p.memory.domain === 'webgpu-buffer') p.memory.release?.();
          }
          if (t.type !== 'float32') throw new TypeError(`ortWeb output '${output}' is ${t.type}; only float32 outputs are supported`);
          const data = (await t.getData()) as Float32Array;
          t.dispose();
          return { ...p, caps: outCaps(t.dims.map(Number)), memory: float32Memory(data) };
        },
        close: () => {
          void session?.then((s) => s.release()).catch(() => {});
        },
      };
    },
  });
}
