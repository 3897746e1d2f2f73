import { describe, expect, it } from 'vitest';
import { G2gError, MissingDependencyError } from '../../src/errors';
import { importOptional } from '../../src/util/optional';

describe('importOptional: optional peers', () => {
  it('a package that is not installed is a MissingDependencyError naming it and the install command', async () => {
    const name = 'g2g-no-such-package';
    const failure = importOptional(name, 'the feature', () => import(/* @vite-ignore */ name), 'a note');
    await expect(failure).rejects.toThrow(MissingDependencyError);
    await expect(failure).rejects.toThrow(
      "the feature needs the optional package 'g2g-no-such-package', which is not installed: npm install g2g-no-such-package (a note)"
    );
    await expect(failure).rejects.toMatchObject({ code: 'MISSING_DEPENDENCY', packageName: name });
  });

  it('an installed package loads', async () => {
    const rx = await importOptional('rxjs', 'test', () => import('rxjs'));
    expect(typeof rx.Observable).toBe('function');
  });

  it('a package that is there but fails to load is not reported as missing', async () => {
    const broken = new Error('boom inside the package');
    await expect(importOptional('rxjs', 'test', () => Promise.reject(broken))).rejects.toBe(broken);
    // A missing module other than the package itself (its own dependency) is not the package missing either.
    const inner = Object.assign(new Error("Cannot find package 'other-dep' imported from /x/rxjs/index.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(importOptional('rxjs', 'test', () => Promise.reject(inner))).rejects.toBe(inner);
  });

  it('MissingDependencyError is a G2gError', () => {
    expect(new MissingDependencyError('x', 'y')).toBeInstanceOf(G2gError);
  });
});
