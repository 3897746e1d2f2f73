import { describe, expect, it } from 'vitest';
import { LaunchError, parseLaunchAst, type AstElement, type LaunchAst } from '../../src/launch';

/** The AST as compact strings: elements with their props, caps in <>, refs with a dot. */
function shape(ast: LaunchAst): string[][] {
  return ast.chains.map((c) =>
    c.nodes.map((n) => {
      if (n.type === 'caps') return `<${n.text}>`;
      if (n.type === 'ref') return `${n.name}.${n.pad ?? ''}`;
      return [n.factory, ...n.props.map((p) => `${p.key}=${p.value}`)].join(' ');
    })
  );
}

function parseError(text: string): LaunchError {
  try {
    parseLaunchAst(text);
  } catch (e) {
    expect(e).toBeInstanceOf(LaunchError);
    return e as LaunchError;
  }
  throw new Error(`expected '${text}' to fail`);
}

describe('launch syntax: structure', () => {
  it('parses a linear chain with positions', () => {
    const ast = parseLaunchAst('fakeSrc ! identity ! fakeSink');
    expect(shape(ast)).toEqual([['fakeSrc', 'identity', 'fakeSink']]);
    expect(ast.chains[0].nodes.map((n) => n.pos)).toEqual([0, 10, 21]);
  });

  it('needs no spaces around "!"', () => {
    expect(shape(parseLaunchAst('fakeSrc!identity!fakeSink'))).toEqual([['fakeSrc', 'identity', 'fakeSink']]);
  });

  it('splits chains where an element follows another without "!"', () => {
    const ast = parseLaunchAst('fakeSrc ! tee name=t ! queue ! fakeSink t. ! queue ! fakeSink');
    expect(shape(ast)).toEqual([
      ['fakeSrc', 'tee name=t', 'queue', 'fakeSink'],
      ['t.', 'queue', 'fakeSink'],
    ]);
  });

  it('parses references with and without pad names', () => {
    const ast = parseLaunchAst('fakeSrc ! m.sink_0 merge name=m ! fakeSink t.src_%u ! fakeSink');
    expect(shape(ast)).toEqual([
      ['fakeSrc', 'm.sink_0'],
      ['merge name=m', 'fakeSink'],
      ['t.src_%u', 'fakeSink'],
    ]);
  });
});

describe('launch syntax: properties and quoting', () => {
  it('reads bare values with their positions', () => {
    const el = parseLaunchAst('fakeSrc num-buffers=10 is-live=true ! fakeSink').chains[0].nodes[0] as AstElement;
    expect(el.props).toEqual([
      { key: 'num-buffers', value: '10', pos: 8, valuePos: 20, valueEnd: 22 },
      { key: 'is-live', value: 'true', pos: 23, valuePos: 31, valueEnd: 35 },
    ]);
  });

  it('ends a quoted value after its closing quote', () => {
    const el = parseLaunchAst(`x a="b c" d='e' ! y`).chains[0].nodes[0] as AstElement;
    expect(el.props.map((p) => [p.valuePos, p.valueEnd])).toEqual([
      [4, 9],
      [12, 15],
    ]);
  });

  it('allows spaces around "="', () => {
    expect(shape(parseLaunchAst('fakeSrc num-buffers = 3 ! fakeSink'))).toEqual([['fakeSrc num-buffers=3', 'fakeSink']]);
  });

  it('reads double- and single-quoted values with escapes', () => {
    const ast = parseLaunchAst(`fakeSrc caps="video/x-raw, format=NV12" name='a b' ! identity name="say \\"hi\\" \\\\ ok" ! fakeSink`);
    expect(shape(ast)).toEqual([['fakeSrc caps=video/x-raw, format=NV12 name=a b', 'identity name=say "hi" \\ ok', 'fakeSink']]);
  });

  it('keeps a "!" inside quotes', () => {
    expect(shape(parseLaunchAst('fakeSrc name="a!b" ! fakeSink'))).toEqual([['fakeSrc name=a!b', 'fakeSink']]);
  });

  it('keeps bracketed caps values whole in bare values', () => {
    const ast = parseLaunchAst('fakeSrc caps=video/x-raw,format={ NV12, I420 },width=[ 1, 640 ] ! fakeSink');
    expect(shape(ast)).toEqual([['fakeSrc caps=video/x-raw,format={ NV12, I420 },width=[ 1, 640 ]', 'fakeSink']]);
  });

  it('takes backslash escapes in bare values', () => {
    expect(shape(parseLaunchAst('fakeSrc name=a\\ b ! fakeSink'))).toEqual([['fakeSrc name=a b', 'fakeSink']]);
  });
});

describe('launch syntax: caps filters', () => {
  it('reads inline caps up to the next "!"', () => {
    const ast = parseLaunchAst('fakeSrc ! video/x-raw, format=NV12, framerate=30/1 ! fakeSink');
    expect(shape(ast)).toEqual([['fakeSrc', '<video/x-raw, format=NV12, framerate=30/1>', 'fakeSink']]);
    expect(ast.chains[0].nodes[1].pos).toBe(10);
  });

  it('keeps "!" inside quoted or bracketed caps values', () => {
    const ast = parseLaunchAst('fakeSrc ! application/x-test,note="a!b",list={ a, b } ! fakeSink');
    expect(shape(ast)).toEqual([['fakeSrc', '<application/x-test,note="a!b",list={ a, b }>', 'fakeSink']]);
  });

  it('reads caps with memory features and quoted caps', () => {
    const ast = parseLaunchAst(`fakeSrc ! video/x-raw(memory:WebGPU),format=RGBA ! "audio/x-raw, rate=48000" ! fakeSink`);
    expect(shape(ast)).toEqual([['fakeSrc', '<video/x-raw(memory:WebGPU),format=RGBA>', '<audio/x-raw, rate=48000>', 'fakeSink']]);
  });

  it('reads caps after a reference', () => {
    expect(shape(parseLaunchAst('t. ! audio/x-raw ! fakeSink'))).toEqual([['t.', '<audio/x-raw>', 'fakeSink']]);
  });
});

describe('launch syntax: errors point at the position', () => {
  const cases: [string, number, RegExp][] = [
    ['', 0, /empty pipeline/],
    ['   ', 0, /empty pipeline/],
    ['! fakeSink', 0, /nothing comes before/],
    ['fakeSrc ! ! fakeSink', 10, /another '!'/],
    ['fakeSrc ! fakeSink !', 19, /after '!'/],
    ['fakeSrc name="abc ! fakeSink', 13, /unterminated double-quoted/],
    ["fakeSrc name='abc", 13, /unterminated single-quoted/],
    ['video/x-raw ! fakeSink', 0, /caps filter must come between/],
    ['fakeSrc ! fakeSink video/x-raw', 19, /caps filter must come between/],
    ['"video/x-raw" ! fakeSink', 0, /quoted caps/],
    ['fakeSrc ! 9lives ! fakeSink', 10, /expected an element, caps or reference, got '9'/],
    ['fakeSrc ! fake#Sink', 14, /unexpected character '#'/],
    ['num-buffers=3 ! fakeSink', 0, /property 'num-buffers' has no element/],
    ['fakeSrc num-buffers= ! fakeSink', 21, /missing value for 'num-buffers'/],
    ['fakeSrc caps=video/x-raw,format={NV12 ! fakeSink', 32, /unclosed '\{'/],
    ['fakeSrc name="a"b ! fakeSink', 16, /unexpected character 'b'/],
  ];
  for (const [text, pos, reason] of cases) {
    it(`${JSON.stringify(text)} → position ${pos}`, () => {
      const e = parseError(text);
      expect(e.reason).toMatch(reason);
      expect(e.position).toBe(pos);
      expect(e.input).toBe(text);
    });
  }

  it('shows the input with a caret under the position', () => {
    const e = parseError('fakeSrc ! ! fakeSink');
    expect(e.message).toBe(`expected an element, caps or reference after '!', got another '!' (at position 10)\n  fakeSrc ! ! fakeSink\n            ^`);
  });

  it('shows a window of a long input around the position', () => {
    const text = `fakeSrc ${'name=x '.repeat(20)}! ! fakeSink`;
    const e = parseError(text);
    const [, line, caret] = e.message.split('\n');
    expect(line.length).toBeLessThan(80);
    expect(line[caret.length - 1]).toBe('!');
    expect(line.startsWith('  …')).toBe(true);
  });
});
