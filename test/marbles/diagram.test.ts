import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SECOND } from '../../src';
import { frameToTime, MarbleSyntaxError, parseDiagram, printDiagram, timeToFrame, type MarbleEvent } from '../../marbles';

const v = (frame: number, value: string): MarbleEvent => ({ frame, kind: 'value', value });

describe('parseDiagram', () => {
  it('gives each character a frame and a group one frame', () => {
    expect(parseDiagram('-a-b-(cd)-|')).toEqual({
      events: [v(1, 'a'), v(3, 'b'), v(5, 'c'), v(5, 'd'), { frame: 7, kind: 'end' }],
      length: 8,
    });
  });

  it('reads error, abort and end inside groups, and ignores spaces', () => {
    expect(parseDiagram(' a  (b#) ').events).toEqual([v(0, 'a'), v(1, 'b'), { frame: 1, kind: 'error' }]);
    expect(parseDiagram('--!').events).toEqual([{ frame: 2, kind: 'abort' }]);
    expect(parseDiagram('(a|)').events).toEqual([v(0, 'a'), { frame: 0, kind: 'end' }]);
  });

  it('counts frames from ^, giving earlier events negative frames', () => {
    expect(parseDiagram('a-^-b|').events).toEqual([v(-2, 'a'), { frame: 0, kind: 'start' }, v(2, 'b'), { frame: 3, kind: 'end' }]);
    expect(parseDiagram('-(^a)b').events).toEqual([{ frame: 0, kind: 'start' }, v(0, 'a'), v(1, 'b')]);
  });

  it.each([
    ['(a(b))', 'nested group'],
    ['a)', "')' without '('"],
    ['()', 'empty group'],
    ['(a-b)', "'-' inside a group"],
    ['^-^', "second '^'"],
    ['-(ab', "unclosed '('"],
  ])('rejects %s (%s) with the position', (d, why) => {
    expect(() => parseDiagram(d)).toThrow(MarbleSyntaxError);
    expect(() => parseDiagram(d)).toThrow(why);
  });
});

describe('printDiagram', () => {
  it('prints groups, gaps and padding', () => {
    expect(printDiagram([v(1, 'a'), v(3, 'b'), v(5, 'c'), v(5, 'd'), { frame: 7, kind: 'end' }])).toBe('-a-b-(cd)-|');
    expect(printDiagram([v(0, 'a')], 4)).toBe('a---');
    expect(printDiagram([])).toBe('');
  });

  it('needs a start at frame 0 for negative frames', () => {
    expect(() => printDiagram([v(-1, 'a')])).toThrow(RangeError);
    expect(printDiagram([v(-1, 'a'), { frame: 0, kind: 'start' }])).toBe('a^');
  });

  it('rejects unordered events, fractional frames and unprintable names', () => {
    expect(() => printDiagram([v(2, 'a'), v(1, 'b')])).toThrow('order');
    expect(() => printDiagram([v(1.5, 'a')])).toThrow('integer');
    expect(() => printDiagram([v(0, '-')])).toThrow('cannot name');
    expect(() => printDiagram([v(0, 'ab')])).toThrow('cannot name');
  });
});

/** Diagrams built from frames of tokens: canonical (no spaces, single events unparenthesised). */
const tokenArb = fc.constantFrom('a', 'b', 'c', 'x', '0', '7', '|', '#', '!');
const frameArb = fc.record({ gap: fc.nat({ max: 3 }), tokens: fc.array(tokenArb, { minLength: 1, maxLength: 3 }) });
const diagramArb = fc
  .record({
    frames: fc.array(frameArb, { maxLength: 8 }),
    start: fc.option(fc.nat({ max: 8 }), { nil: undefined }),
    tail: fc.nat({ max: 3 }),
  })
  .map(({ frames, start, tail }) => {
    const fs = frames.map((f) => ({ gap: f.gap, tokens: [...f.tokens] as string[] }));
    if (start !== undefined) {
      // '^' joins an existing frame (as part of its group) or gets a frame of its own at the end.
      if (start < fs.length) fs[start].tokens.push('^');
      else fs.push({ gap: 0, tokens: ['^'] });
      // Time before the first event is only canonical without '^' (before '^' it means nothing).
      fs[0].gap = 0;
    }
    const body = fs.map((f) => '-'.repeat(f.gap) + (f.tokens.length === 1 ? f.tokens[0] : `(${f.tokens.join('')})`)).join('');
    return body + '-'.repeat(tail);
  });

describe('diagram round trip (property)', () => {
  it('print(parse(d)) gives back every canonical diagram', () => {
    fc.assert(
      fc.property(diagramArb, (d) => {
        const p = parseDiagram(d);
        expect(printDiagram(p.events, p.length)).toBe(d);
      }),
    );
  });

  it('parse(print(events)) gives back the events', () => {
    fc.assert(
      fc.property(diagramArb, (d) => {
        const events = parseDiagram(d).events;
        expect(parseDiagram(printDiagram(events)).events).toEqual(events);
      }),
    );
  });

  it('spaces never change the meaning', () => {
    fc.assert(
      fc.property(diagramArb, fc.array(fc.nat(), { maxLength: 5 }), (d, cuts) => {
        let spaced = d;
        for (const c of cuts) {
          const i = c % (spaced.length + 1);
          spaced = `${spaced.slice(0, i)} ${spaced.slice(i)}`;
        }
        expect(parseDiagram(spaced)).toEqual(parseDiagram(d));
      }),
    );
  });

  it('timeToFrame inverts frameToTime, also for frames of a fraction of a nanosecond off', () => {
    const frames = fc.constantFrom(1, 1_000_000, SECOND / 30, SECOND / 29.97, SECOND / 44_100 * 1024, 7);
    fc.assert(
      fc.property(frames, fc.integer({ min: -1_000, max: 10_000_000 }), (f, k) => {
        const t = frameToTime(k, f);
        expect(timeToFrame(t, f)).toBe(k);
        // A time inside the frame still falls in it.
        const next = frameToTime(k + 1, f);
        if (next - t > 1) expect(timeToFrame(next - 1, f)).toBe(k);
      }),
    );
  });
});
