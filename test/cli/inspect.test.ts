import { describe, expect, it } from 'vitest';
import { builtinElements, defaultRegistry, ElementRegistry, fakeSink } from '../../operators';
import { formatElementDetails, formatElementList, inspect } from '../../node/cli/inspect';
import { bufferIo, UsageError } from '../../node/cli/io';

describe('g2g inspect', () => {
  it('lists every element with kind and description, aligned', () => {
    const lines = formatElementList(defaultRegistry).split('\n');
    const all = defaultRegistry.list();
    const n = all.length;
    expect(lines.slice(0, n).map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual(all.map((e) => [e.name, e.kind]));
    expect(lines.slice(0, 4).map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual([
      ['capsFilter', 'transform'],
      ['fakeSink', 'sink'],
      ['fakeSrc', 'source'],
      ['fileSink', 'sink'],
    ]);
    // Descriptions start in one column: after the longest name and the longest kind.
    const col = Math.max(...all.map((e) => e.name.length)) + 2 + 'transform'.length + 2;
    for (const l of lines.slice(0, n)) expect(l.slice(col - 2, col + 1), l).toMatch(/^ {2}\S$/);
    expect(lines.at(-1)).toBe(`${n} elements`);
  });

  it('prints fakeSrc as gst-inspect does', () => {
    const text = formatElementDetails(defaultRegistry.lookup('fakeSrc'));
    expect(text).toContain(['Pad Templates:', "  SRC template: 'src'", '    Availability: Always', '    Capabilities:', '      ANY'].join('\n'));
    expect(text).not.toContain('SINK template');
    expect(text).toContain(['  num-buffers         : Number of packets before end-of-stream (-1 = unlimited)', '                        Integer. Default: -1'].join('\n'));
    expect(text).toMatch(/ {2}sizetype {12}: .*\n {24}Enum\. Default: "empty"\n {27}empty, fixed, random/);
    expect(text).toMatch(/ {2}caps {16}: .*\n {24}Caps\. Default: "ANY"/);
  });

  it('prints request pads for tee and merge, times with their unit', () => {
    const tee = formatElementDetails(defaultRegistry.lookup('tee'));
    expect(tee).toMatch(/SINK template: 'sink'\n\s+Availability: Always/);
    expect(tee).toMatch(/SRC template: 'src_%u'\n\s+Availability: On request/);
    const merge = formatElementDetails(defaultRegistry.lookup('merge'));
    expect(merge).toMatch(/SINK template: 'sink_%u'\n\s+Availability: On request/);
    expect(merge).toMatch(/num-buffers/);
    expect(formatElementDetails(defaultRegistry.lookup('identity'))).toMatch(/sleep-time {10}: .*\n\s+Time \(ns, or with a unit: 50ms, 2s\)\. Default: 0$/);
  });

  it('prints each structure of multi-structure caps on its own line', () => {
    const r = new ElementRegistry(builtinElements).register({
      name: 'rawSink',
      kind: 'sink',
      description: 'test',
      caps: { sink: 'video/x-raw, format=NV12; audio/x-raw' },
      properties: [],
      create: () => fakeSink(),
    });
    expect(formatElementDetails(r.lookup('rawSink'))).toContain('    Capabilities:\n      video/x-raw, format=NV12\n      audio/x-raw');
  });

  it('exits 1 for an unknown element, 0 otherwise, and rejects extra arguments', async () => {
    const io = bufferIo();
    expect(await inspect(['queue'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/leaky/);
    expect(await inspect(['Queue2'], io)).toBe(1);
    expect(io.stderr).toEqual(["ERROR: no element 'Queue2'; did you mean queue?"]);
    await expect(inspect(['a', 'b'], io)).rejects.toThrow(UsageError);
  });
});
