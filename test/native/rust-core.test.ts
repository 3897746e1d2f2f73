import { describe, expect, it } from 'vitest';
import { run } from './helpers';
import { requirePeer } from '../peers';

requirePeer('cargo');

// The pure Rust core's own unit tests (frame packing, the frame pool) run with the suite, without the napi
// binding: a failing one fails here with cargo's output.
describe('native Rust core', () => {
  it('cargo test passes (frame packing, pool reuse)', async () => {
    const { stdout } = await run('cargo', ['test', '--quiet', '--no-default-features', '--lib'], { cwd: new URL('../../native', import.meta.url).pathname, maxBuffer: 1 << 24 }).catch((e: { stdout?: string; stderr?: string }) => {
      throw new Error(`cargo test failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    });
    const m = /test result: ok\. (\d+) passed; 0 failed/.exec(stdout);
    expect(m, stdout).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(6);
  }, 300_000);
});
