import { describe, expect, it } from 'vitest';
import { builtinElements, builtinRegistry, fakeSink } from '../../operators';
import { Caps, defineElement, ElementRegistry } from '../../src';
import { formatElementDetails, formatElementList, inspect } from '../../node/cli/inspect';
import { bufferIo, UsageError } from '../../node/cli/io';
import { cliRegistry } from '../../node/cli/registry';

describe('g2g inspect', () => {
  it('lists every element with kind and description, aligned', () => {
    const lines = formatElementList(builtinRegistry).split('\n');
    const all = builtinRegistry.list();
    const n = all.length;
    expect(lines.slice(0, n).map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual(all.map((e) => [e.name, e.kind]));
    expect(lines.slice(0, 4).map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual([
      ['audioConvert', 'transform'],
      ['audioResample', 'transform'],
      ['audioTestSrc', 'source'],
      ['batchSplit', 'sink'],
    ]);
    // Descriptions start in one column: after the longest name and the longest kind.
    const col = Math.max(...all.map((e) => e.name.length)) + 2 + 'transform'.length + 2;
    for (const l of lines.slice(0, n)) expect(l.slice(col - 2, col + 1), l).toMatch(/^ {2}\S$/);
    expect(lines.at(-1)).toBe(`${n} elements`);
  });

  it('prints fakeSrc as gst-inspect does: templates, each property with type, accepted values and default', () => {
    const text = formatElementDetails(builtinRegistry.lookup('fakeSrc'));
    expect(text).toContain(['Pad Templates:', "  SRC template: 'src'", '    Availability: Always', '    Capabilities:', '      ANY'].join('\n'));
    expect(text).not.toContain('SINK template');
    expect(text).toContain(
      ['  num-buffers         : Packets before end-of-stream (-1 = unlimited)', '                        Integer: an integer ≥ -1. Default: -1'].join('\n')
    );
    expect(text).toMatch(/ {2}sizetype {12}: .*\n {24}Enum: one of empty, fixed, random\. Default: "empty"/);
    expect(text).toMatch(/ {2}caps {16}: .*\n {24}Caps: .*\. Default: "ANY"/);
    expect(text).toMatch(/Behaviour:\n {2}Throughput/);
  });

  it('prints request pads for tee and merge, durations with the unit of a bare number, promises', () => {
    const tee = formatElementDetails(builtinRegistry.lookup('tee'));
    expect(tee).toMatch(/SINK template: 'sink'\n\s+Availability: Always/);
    expect(tee).toMatch(/SRC template: 'src_%u'\n\s+Availability: On request/);
    const merge = formatElementDetails(builtinRegistry.lookup('merge'));
    expect(merge).toMatch(/SINK template: 'sink_%u'\n\s+Availability: On request/);
    expect(merge).toMatch(/num-buffers/);
    expect(formatElementDetails(builtinRegistry.lookup('identity'))).toMatch(
      /sleep-time {10}: .*\n\s+Duration: a duration ≥ 0ns \(200ms, 1\.5s, 2000000ns; a bare number is ns\)\. Default: 0ns$/m
    );
    expect(formatElementDetails(builtinRegistry.lookup('rtpJitterBuffer'))).toMatch(/a bare number is ms\)\. Default: the profile's/);
    expect(formatElementDetails(builtinRegistry.lookup('tensorPreprocess'))).toMatch(
      /Allocation query: VideoMeta|Allocation query: .*RELEASE|Allocation query: \S+/
    );
  });

  it('prints each structure of multi-structure caps on its own line', () => {
    const raw = defineElement({
      name: 'rawSink',
      kind: 'sink',
      description: 'test',
      caps: { sink: Caps.parse('video/x-raw, format=NV12; audio/x-raw') },
      properties: {},
      build: () => fakeSink(),
    });
    const r = new ElementRegistry([...builtinElements, raw]);
    expect(formatElementDetails(r.lookup('rawSink'))).toContain('    Capabilities:\n      video/x-raw, format=(string)NV12\n      audio/x-raw');
  });

  it('exits 1 for an unknown element, 0 otherwise, and rejects extra arguments', async () => {
    const io = bufferIo();
    expect(await inspect(['queue'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/leaky/);
    expect(await inspect(['Queue2'], io)).toBe(1);
    expect(io.stderr).toEqual(["ERROR: no element 'Queue2'; did you mean queue?"]);
    await expect(inspect(['a', 'b'], io)).rejects.toThrow(UsageError);
  });

  it('--json prints the whole registry: elements, kinds, caps templates, properties with types, defaults and ranges', async () => {
    const io = bufferIo();
    expect(await inspect(['--json'], io)).toBe(0);
    const json = JSON.parse(io.stdout.join('\n'));
    expect(json.elements.map((e: { name: string }) => e.name)).toEqual(
      cliRegistry()
        .list()
        .map((e) => e.name)
    );
    const h264Dec = json.elements.find((e: { name: string }) => e.name === 'h264Dec');
    expect(h264Dec).toMatchObject({ kind: 'transform', caps: { sink: expect.stringContaining('video/x-h264'), src: expect.stringContaining('video/x-raw') } });
    expect(h264Dec.properties).toContainEqual(expect.objectContaining({ name: 'device', option: 'device', type: 'string' }));
    expect(h264Dec.properties).toContainEqual(expect.objectContaining({ name: 'threads', type: 'uint', default: '0', min: 0, max: 64 }));
    const jb = json.elements.find((e: { name: string }) => e.name === 'rtpJitterBuffer');
    expect(jb.properties).toContainEqual(expect.objectContaining({ name: 'latency', type: 'duration', unit: 'ms' }));
    const one = bufferIo();
    expect(await inspect(['--json', 'queue'], one)).toBe(0);
    expect(JSON.parse(one.stdout.join('\n'))).toMatchObject({ name: 'queue', metas: 'forward' });
  });
});
