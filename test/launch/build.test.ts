import { describe, expect, it } from 'vitest';
import { Caps, defineElement, ElementError, LaunchError, NegotiationError, Pipeline, VirtualClock, type PipelineStats } from '../../src';
import { ElementRegistry, builtinElements, builtinRegistry, fakeSink, parseLaunch } from '../../operators';

function launchError(text: string, registry = builtinRegistry): LaunchError {
  try {
    parseLaunch(text, registry);
  } catch (e) {
    expect(e).toBeInstanceOf(LaunchError);
    return e as LaunchError;
  }
  throw new Error(`expected '${text}' to fail`);
}

const packets = (stats: PipelineStats, name: string) => stats.elements.find((e) => e.name === name)?.packets;
const run = (text: string) => parseLaunch(text).run({ clock: new VirtualClock() });

describe('parseLaunch: building pipelines', () => {
  it('builds and runs a linear pipeline with typed properties', async () => {
    const p = parseLaunch('fakeSrc num-buffers=25 ! identity ! queue max-size-buffers=3 ! fakeSink');
    expect(p).toBeInstanceOf(Pipeline);
    expect(p.elements.map((e) => e.factory)).toEqual(['fakeSrc', 'identity', 'queue', 'fakeSink']);
    expect(p.elements[2].props['max-size-buffers']).toBe('3');
    expect(p.elements[2].settings?.maxSizeBuffers).toBe(3);
    const stats = await p.run({ clock: new VirtualClock() });
    expect(stats.delivered).toBe(25);
    expect(stats.elements.find((e) => e.name === 'queue0')?.queue?.capacity).toBe(3);
  });

  it('uses name= as the instance name', async () => {
    const stats = await run('fakeSrc name=cam num-buffers=2 ! identity name=probe ! fakeSink name=out');
    expect(stats.elements.map((e) => e.name)).toEqual(['cam', 'probe', 'out']);
  });

  it('paces a live source on the clock (time properties parse to ns)', async () => {
    const clock = new VirtualClock();
    await parseLaunch('fakeSrc is-live=true framerate=10/1 num-buffers=5 ! identity sleep-time=20ms ! fakeSink').run({ clock, profile: 'live' });
    // The last packet is due at 4/10 s and then sleeps 20 ms in identity.
    expect(clock.now()).toBe(420_000_000);
  });

  it('turns an inline caps filter into a capsFilter that negotiates', () => {
    const p = parseLaunch('fakeSrc num-buffers=1 ! video/x-raw,format={ NV12, I420 },width=[ 1, 640 ] ! capsFilter caps="video/x-raw, width=320" ! fakeSink');
    expect(p.elements.map((e) => e.factory)).toEqual(['fakeSrc', 'capsFilter', 'capsFilter', 'fakeSink']);
    const neg = p.negotiate();
    expect(neg.caps[0].equals(Caps.parse('video/x-raw, format=NV12, width=320'))).toBe(true);
  });

  it('fails negotiation at a mismatching caps filter, naming both elements', () => {
    const p = parseLaunch('fakeSrc caps=video/x-raw ! audio/x-raw ! fakeSink');
    expect(() => p.negotiate()).toThrow(NegotiationError);
    expect(() => p.negotiate()).toThrow(/between fakeSrc0 and capsFilter0[\s\S]*video\/x-raw vs audio\/x-raw/);
  });

  it('builds a tee from the chain after it and the chains starting at its name', async () => {
    const p = parseLaunch('fakeSrc num-buffers=7 ! tee name=t ! queue ! fakeSink name=a t. ! queue ! fakeSink name=b t. ! fakeSink name=c');
    const tee = p.elements[1];
    expect(tee.factory).toBe('tee');
    expect(tee.kind === 'sink' && tee.branches?.map((b) => b.elements.map((e) => e.name ?? e.factory))).toEqual([['queue', 'a'], ['queue', 'b'], ['c']]);
    const stats = await p.run({ clock: new VirtualClock() });
    expect([packets(stats, 'a'), packets(stats, 'b'), packets(stats, 'c')]).toEqual([7, 7, 7]);
  });

  it('accepts tee references written before the tee, in written order', () => {
    const p = parseLaunch('t. ! fakeSink name=first fakeSrc num-buffers=1 ! tee name=t t. ! fakeSink name=second');
    const tee = p.elements[1];
    expect(tee.kind === 'sink' && tee.branches?.map((b) => b.elements[0].name)).toEqual(['first', 'second']);
  });

  it('passes a per-branch tee policy', () => {
    const p = parseLaunch('fakeSrc ! tee name=t policy=block,leak ! fakeSink t. ! fakeSink');
    expect(p.elements[1].props.policy).toBe('block,leak');
  });

  it('builds a merge from the chains ending at its name', async () => {
    const p = parseLaunch('fakeSrc num-buffers=3 ! m. fakeSrc num-buffers=4 ! identity ! m. merge name=m ! fakeSink');
    const stats = await p.run({ clock: new VirtualClock() });
    expect(stats.delivered).toBe(7);
  });

  it('gives a source without its own num-buffers one (merge)', async () => {
    const stats = await run('fakeSrc ! m. fakeSrc ! m. merge name=m num-buffers=5 ! fakeSink');
    expect(stats.delivered).toBe(5);
  });

  it('reports an element failure with the element and pts', async () => {
    await expect(run('fakeSrc num-buffers=20 ! identity error-after=5 ! fakeSink')).rejects.toThrow(ElementError);
    await expect(run('fakeSrc num-buffers=20 ! identity error-after=5 ! fakeSink')).rejects.toThrow(
      /identity0 failed at pts 0:00:00\.166666667: error-after=5/
    );
  });

  it('ends early with eos-after', async () => {
    expect((await run('fakeSrc num-buffers=20 ! identity eos-after=4 ! fakeSink')).delivered).toBe(4);
  });

  it('uses the registry it is given', () => {
    const probe = defineElement({
      name: 'probeSink',
      kind: 'sink',
      description: 'test',
      caps: { sink: Caps.any() },
      properties: {},
      build: () => fakeSink(),
    });
    const registry = new ElementRegistry([...builtinElements, probe]);
    expect(parseLaunch('fakeSrc ! probeSink', registry).elements[1].factory).toBe('probeSink');
    expect(() => parseLaunch('fakeSrc ! probeSink')).toThrow(/no element 'probeSink'/);
  });
});

describe('parseLaunch: errors point at the position', () => {
  const cases: [string, number, RegExp][] = [
    ['fakesrc ! fakeSink', 0, /no element 'fakesrc'; did you mean fakeSrc or fileSrc\?/],
    ['fakeSrc ! idnetity ! fakeSink', 10, /no element 'idnetity'; did you mean identity\?/],
    [
      'fakeSrc ! frobnicator ! fakeSink',
      10,
      /no element 'frobnicator' \(elements: audioConvert, audioResample, audioTestSrc, batchSplit, capsFilter, fakeSink, fakeSrc, fileSink, fileSrc, h264Parse, identity, [^)]*merge, [^)]*videoTestSrc[^)]*\)/,
    ],
    ['fakeSrc num-buffer=3 ! fakeSink', 8, /fakeSrc has no property 'num-buffer'; did you mean num-buffers\?/],
    ['fakeSrc numBuffers=3 ! fakeSink', 8, /did you mean num-buffers\?/],
    ['fakeSrc bogus=3 ! fakeSink', 8, /fakeSrc has no property 'bogus' \(properties: name, num-buffers, /],
    ['fakeSrc num-buffers=ten ! fakeSink', 20, /invalid value 'ten' for fakeSrc num-buffers: expected an integer ≥ -1/],
    ['fakeSrc num-buffers=1.5 ! fakeSink', 20, /expected an integer/],
    ['fakeSrc sizemax=-1 ! fakeSink', 16, /expected an unsigned integer/],
    ['fakeSrc is-live=yes ! fakeSink', 16, /invalid value 'yes' for fakeSrc is-live: expected true, false, 1 or 0/],
    ['fakeSrc sizetype=fixd ! fakeSink', 17, /expected one of empty, fixed, random \(did you mean fixed\?\)/],
    ['fakeSrc ! identity sleep-time=5 parsecs ! fakeSink', 32, /no element 'parsecs'/],
    ['fakeSrc ! identity sleep-time=5xs ! fakeSink', 30, /unknown duration unit 'xs'/],
    ['fakeSrc ! identity sleep-time=1.5 ! fakeSink', 30, /integer nanoseconds/],
    ['fakeSrc caps=video/x-raw,width=(int)x ! fakeSink', 13, /invalid value 'video\/x-raw,width=\(int\)x' for fakeSrc caps: /],
    ['fakeSrc ! video/x-raw,width=(int)abc ! fakeSink', 33, /invalid caps/],
    ['fakeSrc num-buffers=1 num-buffers=2 ! fakeSink', 22, /set twice/],
    ['fakeSrc framerate=0/1 ! fakeSink', 18, /invalid value '0\/1' for fakeSrc framerate: expected a positive fraction/],
    ['fakeSrc ! tee policy=blok ! fakeSink', 21, /invalid value 'blok' for tee policy: expected block or leak/],
    ['fakeSrc ! tee policy=block,leak,leak ! fakeSink', 10, /3 policies for 1 branches/],
    ['fakeSrc name=a ! identity name=a ! fakeSink', 31, /two elements are named 'a'/],
    ['fakeSrc name=a.b ! fakeSink', 13, /invalid value 'a\.b' for fakeSrc name: expected letters, digits/],
    ['fakeSrc ! q. ! fakeSink', 10, /reference can only start a chain/],
    ['fakeSrc ! tee name=t ! fakeSink x. ! fakeSink', 32, /no element named 'x' \(name one with name=x\)/],
    ['fakeSrc ! tee name=tee1 ! fakeSink tea1. ! fakeSink', 35, /no element named 'tea1'; did you mean tee1\.\?/],
    ['fakeSrc ! tee name=t ! fakeSink t.', 32, /reference 't\.' is not linked/],
    ['fakeSink ! fakeSrc', 0, /fakeSink is a sink: it cannot link to fakeSrc/],
    ['fakeSrc ! identity ! fakeSrc ! fakeSink', 21, /fakeSrc is a source: identity cannot link into it/],
    ['fakeSrc ! fakeSink ! identity', 10, /fakeSink is a sink: it cannot link to identity/],
    ['fakeSrc ! identity', 10, /identity is not linked to a sink/],
    ['fakeSrc', 0, /fakeSrc is not linked to a sink/],
    ['identity ! fakeSink', 0, /identity has no input/],
    ['fakeSrc ! identity name=i ! fakeSink i. ! fakeSink', 37, /identity 'i' links to 2 elements; only a fan-out element \(tee\)/],
    ['fakeSrc ! fakeSink name=k fakeSrc ! k.', 36, /fakeSink 'k' has 2 inputs/],
    ['fakeSrc ! tee', 10, /tee has no branches/],
    ['merge ! fakeSink', 0, /merge has no inputs/],
    ['fakeSrc ! fakeSink fakeSrc ! fakeSink', 19, /second pipeline; link it to the first \(started by fakeSrc at position 0\)/],
    ['fakeSrc ! fakeSink identity name=i ! i.', 19, /identity 'i' is not connected to the pipeline/],
    ['fakeSrc ! m. merge name=m ! identity ! m.', 0, /loops back/],
  ];
  for (const [text, pos, reason] of cases) {
    it(`${text} → ${pos}`, () => {
      const e = launchError(text);
      expect(e.reason).toMatch(reason);
      expect(e.position).toBe(pos);
    });
  }

  it('answers a very long unknown name at once, quoting it clipped and suggesting nothing', () => {
    // 2·10^5 letters, equal lengths and no containment: an unbounded edit distance would take minutes.
    const a = 'ab'.repeat(100_000);
    const b = 'ba'.repeat(100_000);
    const cases: [string, number | string, RegExp][] = [
      [`${a} ! fakeSink`, 0, /^no element 'abab[ab]*…' \(elements: /],
      [`fakeSrc ${a}=1 ! fakeSink`, 8, /^fakeSrc has no property 'abab[ab]*…' \(properties: /],
      [`fakeSrc ! tee name=${a} ! fakeSink ${b}. ! fakeSink`, b, /^no element named 'baba[ab]*…' \(name one with name=baba[ab]*…\)$/],
      [`fakeSrc sizetype=${a} ! fakeSink`, 17, /^invalid value 'abab[ab]*…' for fakeSrc sizetype: expected one of empty, fixed, random$/],
    ];
    for (const [text, pos, reason] of cases) {
      const e = launchError(text);
      expect(e.reason).toMatch(reason);
      expect(e.reason.length).toBeLessThan(400);
      expect(e.message.length).toBeLessThan(600);
      expect(e.position).toBe(typeof pos === 'number' ? pos : text.indexOf(pos));
    }
  });

  it('offsets a caps parse error into the launch line', () => {
    const e = launchError('fakeSrc ! video/x-raw,width=(int)abc ! fakeSink');
    expect(e.input.slice(e.position)).toMatch(/^abc/);
  });
});
