import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { TARGETS } from './targets';
import type { WorkerInput, WorkerMessage } from './worker';

export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly executions: number;
  readonly findings: readonly { readonly why: string; readonly file: string }[];
}

const MAX_INPUT = 1 << 16;
let bundled: Promise<string> | undefined;

/** worker.ts and everything it imports as one ES module a worker thread can load (the sources are TypeScript). */
function workerBundle(): Promise<string> {
  return (bundled ??= (async () => {
    const outfile = join(tmpdir(), `g2g-fuzz-worker-${process.pid}.mjs`);
    await build({
      entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'error',
      // The corpus is read relative to the sources, not the bundle.
      define: {
        'import.meta.url': JSON.stringify(new URL('./worker.ts', import.meta.url).href),
      },
      banner: {
        js: "import { createRequire as __g2gRequire } from 'node:module'; const require = __g2gRequire(import.meta.url);",
      },
    });
    return outfile;
  })());
}

/** Removes the worker bundle (after the last pass). */
export async function disposeWorkerBundle(): Promise<void> {
  if (bundled) rmSync(await bundled, { force: true });
  bundled = undefined;
}

function save(target: string, input: Uint8Array): string {
  const dir = fileURLToPath(new URL('./findings/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${target}-${createHash('sha1').update(input).digest('hex').slice(0, 12)}.bin`);
  writeFileSync(file, input);
  return file;
}

/**
 * Mutates a target's corpus for `budgetMs` in a worker thread; each finding is written to
 * test/fuzz/findings/<target>-<hash>.bin. A worker that makes no progress for `hangMs` is a hang: it is
 * terminated and the input it was running saved.
 */
export async function fuzz(
  target: string,
  options: {
    seed: number;
    budgetMs: number;
    slowMs?: number;
    hangMs?: number;
    maxFindings?: number;
  }
): Promise<FuzzReport> {
  const params = {
    target,
    seed: options.seed,
    budgetMs: options.budgetMs,
    slowMs: options.slowMs ?? 2000,
    maxFindings: options.maxFindings ?? 5,
  };
  const bundle = await workerBundle();
  const findings: { why: string; file: string }[] = [];
  const hangMs = options.hangMs ?? 10_000;
  const isolated = TARGETS.find((t) => t.name === target)?.isolate === 'process';
  const shared = isolated ? undefined : new SharedArrayBuffer(8 + MAX_INPUT);
  const currentFile = isolated ? join(tmpdir(), `g2g-fuzz-${process.pid}-${target}.bin`) : undefined;
  const header = shared ? new Int32Array(shared, 0, 2) : undefined;
  const input: WorkerInput = {
    ...params,
    ...(shared ? { shared } : { currentFile }),
  };
  let progress = 0;
  const worker = isolated
    ? fork(bundle, [], {
        env: { ...process.env, G2G_FUZZ_WORKER: JSON.stringify(input) },
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : new Worker(bundle, { workerData: input });
  /** The input the worker was running when it hung or died. */
  const current = (): Uint8Array =>
    shared
      ? new Uint8Array(shared, 8, Atomics.load(header!, 1)).slice()
      : existsSync(currentFile!)
      ? new Uint8Array(readFileSync(currentFile!))
      : new Uint8Array(0);
  return new Promise<FuzzReport>((resolve, reject) => {
    let last = -1;
    let lastChange = performance.now();
    let finished = false;
    const finish = (executions: number) => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      if (worker instanceof Worker) void worker.terminate();
      else worker.kill('SIGKILL');
      if (currentFile) rmSync(currentFile, { force: true });
      resolve({ target, seed: options.seed, executions, findings });
    };
    const watchdog = setInterval(() => {
      const now = header ? Atomics.load(header, 0) : progress;
      if (now !== last) {
        last = now;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > hangMs) {
        findings.push({
          why: `no progress for ${hangMs} ms: a hang (infinite loop?)`,
          file: save(target, current()),
        });
        finish(now);
      }
    }, 100);
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'finding') findings.push({ why: m.why, file: save(target, m.input) });
      else if (m.kind === 'progress') progress = m.executions;
      else finish(m.executions);
    });
    worker.on('error', (e) => {
      clearInterval(watchdog);
      reject(e);
    });
    // A child process that dies before reporting (a crash in native code): the input it was running is the finding.
    worker.on('exit', (code: number | null, signal?: string | null) => {
      if (finished) return;
      findings.push({
        why: `the worker died (${signal ?? `exit code ${code}`}) running this input`,
        file: save(target, current()),
      });
      finish(progress);
    });
  });
}
