import { describe, expect, it } from 'vitest';
import { loadCommand, main } from '../../node/cli/dispatch';
import { bufferIo, UsageError } from '../../node/cli/io';
import { launch } from '../../node/cli/launch';
import { demo, demoPipeline } from '../../node/cli/demo';
import { MissingDependencyError } from '../../src/errors';

describe('g2g dispatcher', () => {
  it('prints usage for --help (0) and for unknown or missing commands (2)', async () => {
    const io = bufferIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^Usage: g2g <command>/);
    expect(await main(['nope'], io)).toBe(2);
    expect(await main([], io)).toBe(2);
    expect(io.stderr).toContain("g2g: unknown command 'nope'");
    expect(io.stderr).toContain('g2g: no command given');
  });

  it('says clearly when a command module is missing from the build', async () => {
    const io = bufferIo();
    expect(await main(['bench'], io, async () => undefined)).toBe(1);
    expect(io.stderr).toEqual(["g2g: the 'bench' command is not part of this build (node/cli/bench.ts is missing)"]);
  });

  it('loads command modules by name, and nothing for a missing one', async () => {
    expect(await loadCommand('inspect')).toBeTypeOf('function');
    expect(await loadCommand('no-such-command')).toBeUndefined();
  });

  it('turns a UsageError into exit 2 with the command named', async () => {
    const io = bufferIo();
    const code = await main(['launch'], io, async () => async () => {
      throw new UsageError('launch needs a pipeline');
    });
    expect(code).toBe(2);
    expect(io.stderr[0]).toBe('g2g launch: launch needs a pipeline');
  });

  it("prints a library error's message (no stack) with exit 1", async () => {
    const io = bufferIo();
    const missing = new MissingDependencyError('onnxruntime-node', 'ort()');
    expect(await main(['ocr'], io, async () => async () => Promise.reject(missing))).toBe(1);
    expect(io.stderr).toEqual(["g2g ocr: ort() needs the optional package 'onnxruntime-node', which is not installed: npm install onnxruntime-node"]);
  });

  it('passes other errors on', async () => {
    await expect(main(['launch'], bufferIo(), async () => async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});

/** A stand-in for SIGINT: the test calls `fire()` to press Ctrl-C. */
function fakeInterrupts() {
  let handler: (() => void) | undefined;
  let listening = false;
  return {
    onInterrupt: (h: () => void) => {
      handler = h;
      listening = true;
      return () => void (listening = false);
    },
    fire: () => handler?.(),
    get listening() {
      return listening;
    },
  };
}

describe('g2g launch (in-process)', () => {
  it('needs a pipeline and a known profile', async () => {
    await expect(launch([], bufferIo())).rejects.toThrow('launch needs a pipeline');
    await expect(launch(['--profile', 'fast', 'x'], bufferIo())).rejects.toThrow("--profile must be live or throughput, got 'fast'");
  });

  it('--quiet prints nothing on success; stats are printed otherwise', async () => {
    const quiet = bufferIo();
    expect(await launch(['-q', 'fakeSrc num-buffers=5 ! fakeSink'], quiet)).toBe(0);
    expect(quiet.stdout).toEqual([]);
    const io = bufferIo();
    expect(await launch(['fakeSrc num-buffers=5 ! fakeSink'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/delivered 5 packets/);
  });

  it('ends the stream on the first interrupt and stops listening afterwards', async () => {
    const sig = fakeInterrupts();
    const io = bufferIo();
    const done = launch(['--profile', 'live', 'fakeSrc is-live=true framerate=100/1 ! fakeSink'], io, { onInterrupt: sig.onInterrupt });
    await new Promise((r) => setTimeout(r, 100));
    expect(sig.listening).toBe(true);
    sig.fire();
    expect(await done).toBe(0);
    expect(sig.listening).toBe(false);
    expect(io.stderr).toEqual(['Interrupt: ending the stream (Ctrl-C again to abort) …']);
    expect(io.stdout.join('\n')).toMatch(/glass-to-glass latency \(\d+ packets\)/);
  });

  it('aborts on the second interrupt with exit 130', async () => {
    const sig = fakeInterrupts();
    const io = bufferIo();
    const done = launch(['fakeSrc ! identity sleep-time=60s ! fakeSink'], io, { onInterrupt: sig.onInterrupt });
    await new Promise((r) => setTimeout(r, 50));
    sig.fire();
    await new Promise((r) => setTimeout(r, 50));
    sig.fire();
    expect(await done).toBe(130);
    expect(io.stderr.at(-1)).toBe('Aborted.');
  });

  it('--stats prints progress while running', async () => {
    const io = bufferIo();
    expect(await launch(['--stats', '--profile', 'live', 'fakeSrc is-live=true framerate=20/1 num-buffers=40 ! fakeSink'], io)).toBe(0);
    const progress = io.stdout.filter((l) => /^0:00:0\d\.\d{9} {2}delivered \d+ {2}drops \d+/.test(l));
    expect(progress.length, io.stdout.join('\n')).toBeGreaterThanOrEqual(1);
  });

  it('demo builds its pipeline from --frames', async () => {
    expect(demoPipeline(90)).toBe('fakeSrc is-live=true framerate=30/1 num-buffers=90 ! identity ! queue ! fakeSink');
    expect(demoPipeline(0)).toContain('num-buffers=-1');
    await expect(demo(['--frames', 'many'], bufferIo())).rejects.toThrow('--frames must be a whole number');
    const io = bufferIo();
    expect(await demo(['--simple', '--frames', '3'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/glass-to-glass latency \(3 packets\)/);
  });
});
