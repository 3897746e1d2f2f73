import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainLoadFailure, loadNative, NativeAddonError, platformTriple } from '../../node/native/loader';
import { requirePeer } from '../peers';

requirePeer('gcc');

describe('native addon loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'g2g-loader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an addon whose system library is missing: the error names the library, not a stack of dlopen text', () => {
    // A real shared object linked against a library that is then removed: the host's own dlopen message.
    writeFileSync(join(dir, 'dep.c'), 'int g2g_dep(void) { return 1; }\n');
    writeFileSync(join(dir, 'addon.c'), 'int g2g_dep(void);\nint g2g_use(void) { return g2g_dep(); }\n');
    execFileSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'libg2gdep.so.3'), '-Wl,-soname,libg2gdep.so.3', join(dir, 'dep.c')]);
    execFileSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'addon.node'), join(dir, 'addon.c'), join(dir, 'libg2gdep.so.3')]);
    rmSync(join(dir, 'libg2gdep.so.3'));
    const load = () => loadNative(join(dir, 'addon.node'));
    expect(load).toThrow(NativeAddonError);
    expect(load).toThrow(/not available at .*addon\.node: the system library libg2gdep\.so\.3 is missing; install the package that provides libg2gdep\.so\.3/);
  });

  it("FFmpeg's libraries are named by the Debian packages that provide them", () => {
    const { detail, hint } = explainLoadFailure('libavcodec.so.59: cannot open shared object file: No such file or directory');
    expect(detail).toBe('the system library libavcodec.so.59 is missing');
    expect(hint).toMatch(/^apt-get install libavcodec59 libavutil57 \(FFmpeg 5\.1's libraries/);
    expect(explainLoadFailure('something else entirely')).toEqual({ detail: 'something else entirely' });
  });

  it("libpulse's libraries (the pulse feature) are named by libpulse0", () => {
    const { detail, hint } = explainLoadFailure('libpulse-simple.so.0: cannot open shared object file: No such file or directory');
    expect(detail).toBe('the system library libpulse-simple.so.0 is missing');
    expect(hint).toMatch(/^apt-get install libpulse0 \(PulseAudio's client library/);
  });

  it('platform triples follow napi-rs', () => {
    expect(platformTriple('linux', 'x64', true)).toBe('linux-x64-gnu');
    expect(platformTriple('linux', 'arm64', false)).toBe('linux-arm64-musl');
    expect(platformTriple('darwin', 'arm64', false)).toBe('darwin-arm64');
    expect(platformTriple('win32', 'x64', false)).toBe('win32-x64-msvc');
    if (process.platform === 'linux' && process.arch === 'x64') expect(platformTriple()).toBe('linux-x64-gnu');
  });
});
