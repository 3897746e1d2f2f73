import { describe, expect, it } from 'vitest';
import { joinPipeline, parseArgs } from '../../node/cli/args';
import { UsageError } from '../../node/cli/io';
import { parseLaunchAst, type AstElement } from '../../src/launch';

const spec = { flags: ['strict', 'quiet'], options: ['profile'], short: { q: 'quiet' } };

describe('command-line arguments', () => {
  it('reads flags, options (both forms) and positionals in any order', () => {
    const a = parseArgs(['x', '--strict', '--profile', 'live', '-q', 'y'], spec);
    expect(a.positional).toEqual(['x', 'y']);
    expect([...a.flags]).toEqual(['strict', 'quiet']);
    expect(a.options.get('profile')).toBe('live');
    expect(parseArgs(['--profile=throughput'], spec).options.get('profile')).toBe('throughput');
  });

  it('takes everything after -- as positional', () => {
    expect(parseArgs(['--', '--strict', 'x'], spec).positional).toEqual(['--strict', 'x']);
  });

  it('rejects unknown options, missing values and values on flags', () => {
    expect(() => parseArgs(['--fast'], spec)).toThrow(new UsageError("unknown option '--fast'"));
    expect(() => parseArgs(['-x'], spec)).toThrow("unknown option '-x'");
    expect(() => parseArgs(['--profile'], spec)).toThrow("option '--profile' needs a value");
    expect(() => parseArgs(['--strict=yes'], spec)).toThrow("option '--strict' takes no value");
  });

  it('passes one argument through and re-quotes key=value arguments the shell unquoted', () => {
    expect(joinPipeline(['a ! b'])).toBe('a ! b');
    const line = joinPipeline(['fakeSrc', 'caps=video/x-raw, format=NV12', 'name=say "hi"', 'num-buffers=3', '!', 'fakeSink']);
    const el = parseLaunchAst(line).chains[0].nodes[0] as AstElement;
    expect(el.props.map((p) => [p.key, p.value])).toEqual([
      ['caps', 'video/x-raw, format=NV12'],
      ['name', 'say "hi"'],
      ['num-buffers', '3'],
    ]);
  });
});
