import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type * as OrtNode from 'onnxruntime-node';
import { importOptional } from '../../src/util/optional';
import { importByName } from './import-by-name';
import { Caps } from '../../src/caps';
import { defineElement, prop, type ElementOptions } from '../../src/descriptor';
import { EOS, type Pulled, type Reader } from '../../src/element';
import {
  float32CapsByShape,
  float32Memory,
  groupByShape,
  stackFloat32,
  tensorData,
  tensorInfo,
  tensorTemplate,
  TENSOR_MEDIA_TYPE,
  type TensorLayout,
  type TensorPacket,
} from '../../src/ml/tensor';
import { defineTransform, type Transform } from '../../src/operator';
import { BATCH_CAPS, batchOf, isBatch, type BatchPacket } from '../../src/batch/batch-packet';
import type { Packet } from '../../src/packet';

/** Execution providers tried in order; CPU is always the last resort. */
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda';
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = Object.freeze(['cpu', 'webgpu', 'cuda']);

export type OrtLog = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

export interface OrtSessionOptions {
  /** Preferred provider; on failure to create the session with it, CPU is used and a warning logged. Default 'cpu'. */
  readonly executionProvider?: ExecutionProvider;
  /** Intra-op threads of the CPU provider; default onnxruntime's (one per core). */
  readonly threads?: number;
  /**
   * Where inference runs: 'worker' (default) keeps the JS thread free — onnxruntime-node's own `run` blocks
   * it for the whole inference; 'main' saves the worker's message copies for tiny models.
   */
  readonly thread?: 'worker' | 'main';
  readonly log?: OrtLog;
}

export interface OrtOutput {
  readonly data: Float32Array;
  readonly dims: number[];
}

/** A loaded model: which provider runs it, and a float32-in, float32-out run. */
export interface OrtModel {
  readonly executionProvider: ExecutionProvider;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs one input (the first input unless named); with thread 'worker' the JS thread stays free meanwhile.
   */
  run(data: Float32Array, dims: readonly number[], outputName?: string, inputName?: string): Promise<OrtOutput>;
  release(): Promise<void>;
}

function sessionOptions(ep: ExecutionProvider, threads: number | undefined): OrtNode.InferenceSession.SessionOptions {
  return {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
}

/** What both session hosts offer: the main thread (onnxruntime-node directly) or a worker thread. */
interface SessionHost {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(input: string, data: Float32Array, dims: readonly number[], output: string): Promise<OrtOutput>;
  release(): Promise<void>;
}

/** onnxruntime-node, an optional peer: a MissingDependencyError naming it when it is not installed. */
function loadOnnxRuntime(): Promise<typeof OrtNode> {
  return importOptional(
    'onnxruntime-node',
    'onnxruntime inference (ort, loadOrtModel)',
    () => importByName<typeof OrtNode>('onnxruntime-node'),
    ORT_INSTALL_NOTE
  );
}

const ORT_INSTALL_NOTE = 'on Linux x64 its install downloads CUDA libraries; ONNXRUNTIME_NODE_INSTALL=skip keeps the CPU and WebGPU providers only';

async function mainThreadHost(model: string | Uint8Array, opts: OrtNode.InferenceSession.SessionOptions): Promise<SessionHost> {
  const ortNode = await loadOnnxRuntime();
  const session = typeof model === 'string' ? await ortNode.InferenceSession.create(model, opts) : await ortNode.InferenceSession.create(model, opts);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(input, data, dims, output) {
      const t = (await session.run({ [input]: new ortNode.Tensor('float32', data, dims as number[]) }, [output]))[output];
      if (t.type !== 'float32') throw new TypeError(`ort output '${output}' is ${t.type}; only float32 outputs are supported`);
      return { data: t.data as Float32Array, dims: t.dims.map(Number) };
    },
    release: () => session.release(),
  };
}

// onnxruntime-node's `session.run` is a synchronous native call wrapped in setImmediate: it blocks the JS
// thread for the whole inference. The worker host runs the session on its own thread instead; CommonJS
// source evaluated in place so that no separate file has to be built or located.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
parentPort.on('message', async (m) => {
  try {
    if (m.type === 'load') {
      session = await ort.InferenceSession.create(m.model, m.options);
      parentPort.postMessage({ id: m.id, ok: true, inputNames: session.inputNames, outputNames: session.outputNames });
    } else if (m.type === 'run') {
      const r = await session.run({ [m.input]: new ort.Tensor('float32', m.data, m.dims) }, [m.output]);
      const t = r[m.output];
      if (t.type !== 'float32') throw new TypeError("ort output '" + m.output + "' is " + t.type + '; only float32 outputs are supported');
      // Copied into a transferable buffer: the tensor's own memory may belong to onnxruntime.
      const data = new Float32Array(t.data);
      parentPort.postMessage({ id: m.id, ok: true, data, dims: t.dims }, [data.buffer]);
    } else if (m.type === 'release') {
      if (session) await session.release();
      parentPort.postMessage({ id: m.id, ok: true });
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, error: String((e && e.message) || e) });
  }
});
`;

async function workerHost(model: string | Uint8Array, opts: OrtNode.InferenceSession.SessionOptions): Promise<SessionHost> {
  // Checks it is installed (a clear error) before the worker requires it by path.
  await loadOnnxRuntime();
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ortPath },
  });
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let dead: Error | undefined;
  const failAll = (e: Error) => {
    dead = e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on('message', (m: { id: number; ok: boolean; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w?.resolve(m);
    else w?.reject(new Error(m.error));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`ort worker exited (code ${code})`)));
  // Idle workers must not keep the process alive; a pending call holds a ref.
  worker.unref();
  const call = (msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<any> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      worker.ref();
      const done = () => {
        if (waiting.size === 0) worker.unref();
      };
      waiting.set(id, {
        resolve: (v) => (resolve(v), done()),
        reject: (e) => (reject(e), done()),
      });
      worker.postMessage({ ...msg, id }, transfer);
    });
  };
  let loaded: { inputNames: string[]; outputNames: string[] };
  try {
    loaded = await call({ type: 'load', model, options: opts });
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  return {
    inputNames: loaded.inputNames,
    outputNames: loaded.outputNames,
    async run(input, data, dims, output) {
      // The input is copied into the message (structured clone): the caller keeps its buffer.
      const r: { data: Float32Array; dims: number[] } = await call({
        type: 'run',
        input,
        data,
        dims,
        output,
      });
      return { data: r.data, dims: r.dims.map(Number) };
    },
    async release() {
      try {
        await call({ type: 'release' });
      } finally {
        await worker.terminate();
      }
    },
  };
}

/** Loads a model from a path or its bytes, trying the preferred provider first and falling back to CPU. */
export async function loadOrtModel(model: string | Uint8Array, options: OrtSessionOptions = {}): Promise<OrtModel> {
  const preferred = options.executionProvider ?? 'cpu';
  if (!EXECUTION_PROVIDERS.includes(preferred))
    throw new RangeError(`ort executionProvider must be one of ${EXECUTION_PROVIDERS.join(', ')}, got '${String(preferred)}'`);
  const thread = options.thread ?? 'worker';
  if (thread !== 'worker' && thread !== 'main') throw new RangeError(`ort thread must be worker or main, got '${String(thread)}'`);
  const log: OrtLog = options.log ?? (() => {});
  const what = typeof model === 'string' ? model : `${model.byteLength}-byte model`;
  const create = (ep: ExecutionProvider) => (thread === 'worker' ? workerHost : mainThreadHost)(model, sessionOptions(ep, options.threads));
  let ep = preferred;
  let host: SessionHost;
  try {
    host = await create(ep);
  } catch (e) {
    if (ep === 'cpu') throw e;
    log('warn', `ort: ${ep} execution provider failed for ${what} (${(e as Error).message.split('\n')[0]}); falling back to cpu`);
    ep = 'cpu';
    host = await create(ep);
  }
  const ortNode = await loadOnnxRuntime();
  log(
    'info',
    `ort: ${what} runs on the ${ep} execution provider, ${thread === 'worker' ? 'in a worker thread' : 'on the JS thread'} (onnxruntime-node ${
      ortNode.env.versions.node ?? '?'
    })`
  );
  return {
    executionProvider: ep,
    inputNames: host.inputNames,
    outputNames: host.outputNames,
    run(data, dims, outputName, inputName) {
      const input = inputName ?? host.inputNames[0];
      const output = outputName ?? host.outputNames[0];
      if (!host.outputNames.includes(output)) return Promise.reject(new RangeError(`model has no output '${output}' (it has ${host.outputNames.join(', ')})`));
      return host.run(input, data, dims, output);
    },
    release: () => host.release(),
  };
}

/** Options that are not properties (never in launch syntax). */
export interface OrtExtras {
  /** The model's bytes instead of a file: `model` then only names it (printed, logged). */
  modelBytes?: Uint8Array;
  log?: OrtLog;
}

const TENSOR_F32 = Caps.parse(`${TENSOR_MEDIA_TYPE}, dtype=(string)float32`);
const OUTPUT_TEMPLATE = TENSOR_F32;
const TENSOR_LAYOUTS: readonly TensorLayout[] = ['NCHW', 'NHWC', 'ND'];

export const ORT = defineElement({
  name: 'ort',
  kind: 'transform',
  description: 'Runs an ONNX model on float32 tensors with onnxruntime-node (CPU; WebGPU/CUDA tried with fallback to CPU)',
  caps: {
    sink: TENSOR_F32.union(BATCH_CAPS),
    src: OUTPUT_TEMPLATE.union(BATCH_CAPS),
  },
  notes:
    "The session is created when the pipeline starts, its provider logged; inference runs in a worker thread by default (the input copied to it, recorded in the copy ledger). Output caps carry the actual shape, one caps object per shape. A streamMux batch (application/x-g2g-batch, a float32 tensor of batch 1 in each slot) runs as one [N,…] tensor per shape (one run for equal shapes), its outputs split back into the slots (meta.batch and each slot's source kept) for batchSplit.",
  properties: {
    model: prop.string({
      required: true,
      pattern: /./,
      accepts: 'a path',
      doc: 'Path of the .onnx model',
    }),
    executionProvider: prop.enum(EXECUTION_PROVIDERS, {
      default: 'cpu',
      doc: 'Preferred execution provider; if the session cannot be created with it, cpu (logged)',
    }),
    threads: prop.uint({
      defaultDoc: "onnxruntime's (one per core)",
      doc: 'Intra-op threads of the CPU provider',
    }),
    thread: prop.enum(['worker', 'main'], {
      default: 'worker',
      doc: "Where inference runs: worker keeps the JS thread free (onnxruntime-node's run blocks it); main saves the worker's message copies for tiny models",
    }),
    batch: prop.uint({
      default: 1,
      min: 1,
      doc: 'Packets stacked along dimension 0 per run (each with batch 1 and equal shapes), split back one per input; a short final batch runs at end of stream. A streamMux batch input is stacked as it comes instead',
    }),
    output: prop.string({
      defaultDoc: "the model's first",
      doc: 'Output to emit',
    }),
    input: prop.string({
      defaultDoc: "the model's first",
      doc: 'Input to feed',
    }),
    outputLayout: prop.enum(TENSOR_LAYOUTS, {
      default: 'ND',
      doc: 'Layout written into output caps',
    }),
  },
});

/** Input caps for what may follow: tensors for tensors, batches for batches. */
function ortAccept(downstream: Caps): Caps {
  const tensors = downstream.intersect(OUTPUT_TEMPLATE).isEmpty() ? Caps.empty() : tensorTemplate().intersect(TENSOR_F32);
  return downstream.intersect(BATCH_CAPS).isEmpty() ? tensors : tensors.union(BATCH_CAPS);
}

const ortElement = ORT.implement((options, x: OrtExtras): Transform<TensorPacket, TensorPacket> => {
  const model = x.modelBytes ?? options.model;
  const { batch, outputLayout: layout } = options;
  return defineTransform<TensorPacket, TensorPacket>({
    sinkCaps: TENSOR_F32.intersect(tensorTemplate()).union(BATCH_CAPS),
    srcCaps: OUTPUT_TEMPLATE.union(BATCH_CAPS),
    acceptCaps: ortAccept,
    outputCaps: (input, allowed) => (input.isSubset(BATCH_CAPS) ? BATCH_CAPS.intersect(allowed) : OUTPUT_TEMPLATE.intersect(allowed)),
    open(ctx, up): Reader<TensorPacket> {
      const log: OrtLog = x.log ?? ((level, message) => ctx.log(level, message));
      let loaded: Promise<OrtModel> | undefined;
      const outCaps = float32CapsByShape(layout);
      const pending: Packet[] = [];
      let ended = false;
      const load = () =>
        (loaded ??= loadOrtModel(model, {
          executionProvider: options.executionProvider,
          threads: options.threads,
          thread: options.thread,
          log,
        }));
      const record = (bytes: number, reason: string) => ctx.ledger.record({ element: ctx.name, bytes, from: 'cpu', to: 'cpu', reason, explicit: true });
      const runOne = (m: OrtModel, data: Float32Array, dims: readonly number[]) => {
        // The worker gets its own copy of the input (structured clone): the packet may be shared downstream.
        if (options.thread === 'worker') record(data.byteLength, 'ort input to worker thread');
        return m.run(data, dims, options.output, options.input);
      };
      /** A streamMux batch: its slots' tensors run stacked, one run per shape, and go back into their slots. */
      const runSlots = async (m: OrtModel, p: Packet): Promise<Packet> => {
        const slots = batchOf<TensorPacket>(p);
        const outputs: TensorPacket[] = new Array(slots.length);
        const shapes = slots.map((slot) => slotTensor(ctx.name, slot.packet, slot.source).shape);
        for (const idx of groupByShape(shapes)) {
          const outs = await stacked(
            m,
            idx.map((k) => slots[k].packet)
          );
          idx.forEach((k, j) => (outputs[k] = outs[j]));
        }
        return { ...p, meta: { ...p.meta, batch: slots.map((slot, k) => ({ source: slot.source, packet: outputs[k] })) } };
      };
      const stacked = (m: OrtModel, inputs: readonly TensorPacket[], stack = false) =>
        runStacked(
          inputs,
          (b) => record(b, 'ort batch stacking'),
          (d, dims) => runOne(m, d, dims),
          outCaps,
          stack
        );
      const runBatch = async (signal: AbortSignal): Promise<void> => {
        const m = await load();
        const inputs: TensorPacket[] = [];
        while (inputs.length < batch && !ended) {
          const p = await up.pull(signal);
          if (p === EOS) ended = true;
          else if (isBatch(p)) {
            // A batch runs as it came; tensors gathered before it (a mixed stream) go first.
            if (inputs.length) pending.push(...(await stacked(m, inputs, batch > 1)));
            pending.push(await runSlots(m, p));
            return;
          } else inputs.push(p);
        }
        if (inputs.length === 0) return;
        if (inputs.length === 1 && batch === 1) {
          const out = await runOne(m, tensorData(inputs[0]), tensorInfo(inputs[0].caps).shape);
          if (out.dims[0] !== 1) throw new RangeError(`ort output batch ${out.dims[0]} does not match 1 input`);
          pending.push({ ...inputs[0], caps: outCaps(out.dims), memory: float32Memory(out.data) });
          return;
        }
        const infos = inputs.map((p) => tensorInfo(p.caps));
        if (infos.some((i) => i.shape.join(',') !== infos[0].shape.join(',')))
          throw new RangeError(`ort batch=${batch} needs equal shapes with batch 1, got ${infos.map((i) => `[${i.shape.join(',')}]`).join(' ')}`);
        pending.push(...(await stacked(m, inputs, true)));
      };
      return {
        async pull(signal): Promise<Pulled<TensorPacket>> {
          while (pending.length === 0) {
            if (ended) return EOS;
            await runBatch(signal);
          }
          return pending.shift()! as TensorPacket;
        },
        close: () => {
          void loaded?.then((m) => m.release()).catch(() => {});
        },
      };
    },
  });
});

/** A batch slot's tensor, checked: float32, batch 1, in CPU memory. */
function slotTensor(element: string, p: Packet, source: number) {
  const what = `${element}: the batch's frame from source ${source}`;
  if (p.caps.mediaType !== TENSOR_MEDIA_TYPE) throw new TypeError(`${what} is not a tensor (${p.caps.toString()}); preprocess each source before the mux`);
  const info = tensorInfo(p.caps);
  if (info.dtype !== 'float32' || info.shape[0] !== 1)
    throw new RangeError(`${what} must be a float32 tensor of batch 1, got ${info.dtype} [${info.shape.join(',')}]`);
  return info;
}

/**
 * Runs tensors of one shape (batch 1 each) as one [N,…] tensor and splits the output back, one packet per
 * input (its timestamps and meta kept). One tensor runs as it is, uncopied, unless `stack` forces the copy.
 */
async function runStacked(
  inputs: readonly TensorPacket[],
  recordStack: (bytes: number) => void,
  run: (data: Float32Array, dims: readonly number[]) => Promise<OrtOutput>,
  outCaps: (dims: readonly number[]) => Caps,
  stack = false
): Promise<TensorPacket[]> {
  const n = inputs.length;
  const shape = tensorInfo(inputs[0].caps).shape;
  let data: Float32Array;
  if (n === 1 && !stack) data = tensorData(inputs[0]);
  else {
    data = stackFloat32(inputs.map(tensorData));
    recordStack(data.byteLength);
  }
  const out = await run(data, [n, ...shape.slice(1)]);
  if (out.dims[0] !== n) throw new RangeError(`ort output batch ${out.dims[0]} does not match ${n} inputs (does the model take a dynamic batch dimension?)`);
  const per = out.data.length / n;
  const itemCaps = outCaps([1, ...out.dims.slice(1)]);
  return inputs.map((p, k) => ({ ...p, caps: itemCaps, memory: float32Memory(out.data.subarray(k * per, (k + 1) * per)) }));
}

export type OrtOptions = Omit<ElementOptions<typeof ORT> & OrtExtras, 'model' | 'modelBytes'>;

/**
 * Runs an ONNX model on each float32 tensor packet with onnxruntime-node (Node only). The session is
 * created when the pipeline starts; its provider is logged. Output caps carry the actual shape, cached per
 * shape so that a steady stream keeps one caps object (no renegotiation per packet). `model` is the
 * .onnx file's path or its bytes. After a streamMux of preprocessed sources, `ort<BatchPacket<TensorPacket>>`
 * runs each batch's tensors stacked along the model's (dynamic) batch dimension and hands back a batch of
 * the outputs, each in its source's slot, for batchSplit.
 */
export function ort<P extends TensorPacket | BatchPacket<TensorPacket> = TensorPacket>(model: string | Uint8Array, options: OrtOptions = {}): Transform<P, P> {
  if (typeof model === 'string') return ortElement({ ...options, model }) as Transform<any, any>;
  if (!(model instanceof Uint8Array)) throw new TypeError('ort model must be a path or the model bytes');
  return ortElement({
    ...options,
    model: `<${model.byteLength} bytes>`,
    modelBytes: model,
  }) as Transform<any, any>;
}
