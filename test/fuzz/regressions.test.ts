/** Every seed and every fixed finding of the fuzz harness, replayed: none may crash or hang a target. */
import { describe, expect, it } from 'vitest';
import { check, regressions } from './check';
import { TARGETS } from './targets';
import { requirePeer } from '../peers';

// The native decoder's corpus needs the addon.
requirePeer('native');

describe('fuzz corpus and regressions', () => {
  for (const target of TARGETS) {
    it(target.name, async () => {
      const inputs = [...target.seeds(), ...regressions(target.name)];
      const failures: string[] = [];
      for (const input of inputs) {
        // No time limit here (a hang fails by vitest's timeout): only what the target throws.
        const why = await check(target, input, Infinity);
        if (why !== undefined) failures.push(why);
      }
      expect(failures).toEqual([]);
    });
  }
});
