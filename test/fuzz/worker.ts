/**
 * The fuzz loop, in a worker thread or, for native targets, a child process (engine.ts starts either from an
 * esbuild bundle of this file). A target stuck in a synchronous loop cannot be interrupted from inside, so the
 * parent watches progress and stops the worker, reading the input that hung from shared memory (thread) or
 * from a file written before each run (process: a crash in native code takes the process with it).
 */
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { check, corpusOf } from './check';
import { mutate, Rng } from './mutate';
import { TARGETS } from './targets';

export interface WorkerInput {
  readonly target: string;
  readonly seed: number;
  readonly budgetMs: number;
  readonly slowMs: number;
  readonly maxFindings: number;
  /** Thread: [executions, input length] as Int32, then the input being run. */
  readonly shared?: SharedArrayBuffer;
  /** Process: where the input being run is written before each run. */
  readonly currentFile?: string;
}

export type WorkerMessage =
  | { kind: 'finding'; why: string; input: Uint8Array }
  | { kind: 'progress'; executions: number }
  | { kind: 'done'; executions: number };

const inProcess = parentPort === null;
const data = (inProcess ? JSON.parse(process.env.G2G_FUZZ_WORKER!) : workerData) as WorkerInput;
const post = (m: WorkerMessage) => (inProcess ? process.send!(m) : parentPort!.postMessage(m));
const target = TARGETS.find((t) => t.name === data.target)!;
const header = data.shared ? new Int32Array(data.shared, 0, 2) : undefined;
const bytes = data.shared ? new Uint8Array(data.shared, 8) : undefined;
/** Leaves the input where the parent finds it if this run never returns. */
function running(input: Uint8Array, executions: number): void {
  if (header && bytes) {
    const n = Math.min(input.length, bytes.length);
    bytes.set(input.subarray(0, n));
    Atomics.store(header, 1, n);
    Atomics.store(header, 0, executions);
  } else {
    writeFileSync(data.currentFile!, input);
    post({ kind: 'progress', executions });
  }
}
const rng = new Rng(data.seed);
const pool = corpusOf(target);
const seen = new Set<string>();
let findings = 0;
let executions = 0;
const end = performance.now() + data.budgetMs;
while (performance.now() < end && findings < data.maxFindings) {
  const input = mutate(rng, rng.pick(pool), pool, target.tokens);
  running(input, ++executions);
  let why = await check(target, input, data.slowMs);
  // A slow input is confirmed once: a busy machine alone must not make a finding.
  if (why?.startsWith('took')) why = await check(target, input, data.slowMs);
  if (why === undefined) {
    // Some survivors become starting points: deeper mutations of inputs that got further.
    if (pool.length < 256 && rng.below(64) === 0) pool.push(input);
    continue;
  }
  const kind = why.replace(/\d+/g, 'N').slice(0, 80);
  if (seen.has(kind)) continue;
  seen.add(kind);
  findings++;
  post({ kind: 'finding', why, input });
}
post({ kind: 'done', executions });
// A child process may hold native handles (decoder threads): leave now that the parent has the report.
if (inProcess) setTimeout(() => process.exit(0), 100);
