import { describe, expect, it } from 'vitest';
import { Caps, defineSink, defineTransform, ElementError, NegotiationError, packet, pipe, type Packet, type Reader, type Sink, type Transform } from '../../src';
import { capsFilter, fakeSink, fakeSrc, identity, merge, queue, tee } from '../../operators';
import { VIDEO_META } from '../../src/video/meta';
import { RELEASE } from '../../src/memory/release';
import { mapReader } from '../../src/reader';

/** A converter that accepts `input` and outputs `output` (caps of its choice), as a real converter would. */
function converter(name: string, input: string, output: string, decide?: (inCaps: Caps, allowed: Caps) => Caps): Transform {
  return defineTransform({
    factory: 'converter',
    name,
    props: {},
    sinkCaps: Caps.parse(input),
    srcCaps: Caps.parse(output),
    outputCaps: decide,
    open: (ctx, up: Reader<Packet>) => mapReader(up, (p) => packet({ caps: ctx.outputCaps, pts: p.pts })),
  });
}

function capsSink(name: string, accepted: string, seen: Caps[] = []): Sink {
  return defineSink({ factory: 'capsSink', name, props: {}, sinkCaps: Caps.parse(accepted), open: () => ({ write: (p: Packet) => void seen.push(p.caps) }) });
}

describe('caps negotiation', () => {
  it('fails before any data flows, naming both elements and the fields', async () => {
    let opened = false;
    const src = fakeSrc({ numBuffers: 3, caps: 'video/x-raw, format=(string){ NV12, I420 }, width=(int)640' });
    const sink = defineSink({
      factory: 'capsSink',
      name: 'rgbaSink',
      props: {},
      sinkCaps: Caps.parse('video/x-raw, format=(string)RGBA'),
      open: () => {
        opened = true;
        return { write: () => undefined };
      },
    });
    const err = await pipe(src, identity({ name: 'id' }), sink).run().catch((e) => e);
    expect(err).toBeInstanceOf(NegotiationError);
    expect(err.message).toContain('fakeSrc0');
    expect(err.message).toContain('id');
    expect(err.message).toMatch(/format/);
    expect(err.message).toMatch(/RGBA/);
    expect(opened).toBe(false);
  });

  it('names the pair across a converter, where the mismatch is', () => {
    const p = pipe(fakeSrc({ caps: 'audio/x-raw' }), converter('conv', 'video/x-raw', 'video/x-raw, format=NV12'), fakeSink());
    expect(() => p.negotiate()).toThrowError(/fakeSrc0 and conv/);
  });

  it('lets downstream constraints flow upstream through passthrough elements, then fixates', async () => {
    const seen: Caps[] = [];
    const src = fakeSrc({ numBuffers: 2, caps: 'video/x-raw, format=(string){ NV12, I420, RGBA }, width=(int)[ 16, 4096 ], framerate=(fraction)30/1' });
    const p = pipe(src, identity(), queue(), capsSink('sink', 'video/x-raw, format=(string){ RGBA, BGRA }, width=(int)[ 320, 1920 ]', seen));
    const neg = p.negotiate();
    const out = neg.caps[0];
    expect(out.isFixed()).toBe(true);
    expect(out.get('format')).toBe('RGBA');
    expect(out.get('width')).toBe(320);
    await p.run();
    expect(seen).toHaveLength(2);
    expect(seen[0].get('format')).toBe('RGBA');
  });

  it('uses an element’s outputCaps to decide its output from its input', () => {
    const conv = converter('scale', 'video/x-raw', 'video/x-raw, width=(int)[ 1, 8192 ]', (input) => Caps.parse(`video/x-raw, width=(int)${Number(input.get('width')) * 2}`));
    const neg = pipe(fakeSrc({ caps: 'video/x-raw, width=(int)320' }), conv, fakeSink()).negotiate();
    expect(neg.caps[1].get('width')).toBe(640);
  });

  it('renegotiates on a mid-stream caps change that downstream accepts', async () => {
    const a = Caps.parse('video/x-raw, width=(int)640, height=(int)360');
    const b = Caps.parse('video/x-raw, width=(int)1280, height=(int)720');
    const inputs: (Caps | undefined)[] = [];
    const resizing = defineTransform({
      factory: 'resizer',
      props: {},
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      passthrough: true,
      open: (_ctx, up: Reader<Packet>) => mapReader(up, (p) => packet({ caps: p.pts! >= 2 ? b : a, pts: p.pts })),
    });
    const probe = defineTransform({
      factory: 'probe',
      props: {},
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      passthrough: true,
      open: (ctx, up: Reader<Packet>) => mapReader(up, (p) => (inputs.push(ctx.inputCaps), p)),
    });
    const src = fakeSrc({ numBuffers: 4, framerate: '1/1', caps: 'video/x-raw' });
    const ptsSeconds = defineTransform({ factory: 'sec', props: {}, sinkCaps: Caps.any(), srcCaps: Caps.any(), passthrough: true, open: (_c, up: Reader<Packet>) => mapReader(up, (p) => ({ ...p, pts: p.pts! / 1e9 })) });
    const seen: Caps[] = [];
    await pipe(src, ptsSeconds, resizing, probe, capsSink('sink', 'video/x-raw, width=(int)[ 1, 1920 ]', seen)).run();
    expect(seen.map((c) => c.get('width'))).toEqual([640, 640, 1280, 1280]);
    expect(inputs.map((c) => c?.get('width'))).toEqual([640, 640, 1280, 1280]);
  });

  it('fails the run, naming both elements, when a mid-stream change does not fit downstream', async () => {
    const big = Caps.parse('video/x-raw, width=(int)3840');
    const grow = defineTransform({ factory: 'grow', name: 'grow', props: {}, sinkCaps: Caps.any(), srcCaps: Caps.any(), passthrough: true, open: (_c, up: Reader<Packet>) => mapReader(up, (p) => (p.pts! > 0 ? { ...p, caps: big } : p)) });
    const err = await pipe(fakeSrc({ numBuffers: 5, caps: 'video/x-raw, width=(int)640' }), grow, capsSink('small', 'video/x-raw, width=(int)[ 1, 1920 ]')).run().catch((e) => e);
    expect(err).toBeInstanceOf(NegotiationError);
    expect(err.message).toMatch(/grow and small/);
    expect(err.message).toMatch(/renegotiation/);
    expect(err.message).toMatch(/width/);
  });

  it('rejects duplicate element names', () => {
    expect(() => pipe(fakeSrc({ name: 'x' }), identity({ name: 'x' }), fakeSink()).negotiate()).toThrow(/two elements are named 'x'/);
  });

  it('ElementError is distinct from negotiation errors', () => {
    expect(new ElementError('e', 0, new Error('m'))).not.toBeInstanceOf(NegotiationError);
  });
});

describe('allocation query (buffer metas honoured downstream)', () => {
  /** A sink that honours the given metas on its input. */
  const metaSink = (metas?: string[]): Sink => defineSink({ factory: 'metaSink', props: {}, sinkCaps: Caps.any(), metas, open: () => ({ write: () => undefined }) });
  /** A transform that records the metas its output may carry, as a producer reads them. */
  function probe(seen: (readonly string[])[], passthrough = false, metas?: string[]): Transform {
    return defineTransform({
      factory: 'probe',
      props: {},
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      passthrough,
      metas,
      outputCaps: (input) => input,
      open: (ctx, up: Reader<Packet>) => {
        seen.push(ctx.downstreamMetas);
        return up;
      },
    });
  }
  const src = () => fakeSrc({ numBuffers: 1, caps: 'video/x-raw, format=I420, width=(int)16, height=(int)16' });

  it('reaches a producer through passthrough elements', async () => {
    const seen: (readonly string[])[] = [];
    await pipe(src(), probe(seen), identity(), queue(), metaSink([VIDEO_META])).run();
    expect(seen).toEqual([[VIDEO_META]]);
  });

  it('stops at an element that transforms the data and does not declare it', async () => {
    const seen: (readonly string[])[] = [];
    await pipe(src(), probe(seen), probe([], false), metaSink([VIDEO_META])).run();
    expect(seen).toEqual([[]]);
    const also: (readonly string[])[] = [];
    await pipe(src(), probe(also), probe([], false, [VIDEO_META]), metaSink()).run();
    expect(also).toEqual([[VIDEO_META]]);
  });

  it('a passthrough element forwards it only when it says so (it may read or replace the data)', async () => {
    const plain: (readonly string[])[] = [];
    await pipe(src(), probe(plain), probe([], true), metaSink([VIDEO_META])).run();
    expect(plain).toEqual([[]]);
    const fwd: (readonly string[])[] = [];
    await pipe(src(), probe(fwd), capsFilter('video/x-raw'), metaSink([VIDEO_META])).run();
    expect(fwd).toEqual([[VIDEO_META]]);
    // identity with a handoff reading the packets: packed frames unless it asks for them as produced.
    const handoff: (readonly string[])[] = [];
    await pipe(src(), probe(handoff), identity({ handoff: () => undefined }), metaSink([VIDEO_META])).run();
    await pipe(src(), probe(handoff), identity({ handoff: () => undefined, videoMeta: true }), metaSink([VIDEO_META])).run();
    expect(handoff).toEqual([[], [VIDEO_META]]);
  });

  it('a passthrough element that reads frames and hands them on: only if what follows honours it too', async () => {
    const seen: (readonly string[])[] = [];
    await pipe(src(), probe(seen), probe([], true, [VIDEO_META]), metaSink([VIDEO_META])).run();
    await pipe(src(), probe(seen), probe([], true, [VIDEO_META]), metaSink()).run();
    expect(seen).toEqual([[VIDEO_META], []]);
  });

  it('is empty when the sink does not honour it', async () => {
    const seen: (readonly string[])[] = [];
    await pipe(src(), probe(seen), identity(), metaSink()).run();
    expect(seen).toEqual([[]]);
  });

  it('through a tee: only what every branch honours', async () => {
    const both: (readonly string[])[] = [];
    await pipe(src(), probe(both), tee({ branches: [pipe(identity(), metaSink([VIDEO_META])), metaSink([VIDEO_META, 'Other'])] })).run();
    expect(both).toEqual([[VIDEO_META]]);
    const one: (readonly string[])[] = [];
    await pipe(src(), probe(one), tee({ branches: [metaSink([VIDEO_META]), metaSink()] })).run();
    expect(one).toEqual([[]]);
  });

  it('into a merge input: what follows the merge', async () => {
    const seen: (readonly string[])[] = [];
    await pipe(merge([pipe(src(), probe(seen)), pipe(src(), probe(seen))]), metaSink([VIDEO_META])).run();
    expect(seen).toEqual([[VIDEO_META], [VIDEO_META]]);
  });

  it('fakeSink honours video meta and releases packets unless a handoff callback reads or keeps them', async () => {
    const seen: (readonly string[])[] = [];
    await pipe(src(), probe(seen), fakeSink()).run();
    await pipe(src(), probe(seen), fakeSink({ onPacket: () => undefined })).run();
    await pipe(src(), probe(seen), fakeSink({ onPacket: () => undefined, videoMeta: true })).run();
    await pipe(src(), probe(seen), fakeSink({ onPacket: () => undefined, release: true })).run();
    expect(seen).toEqual([[VIDEO_META, RELEASE], [], [VIDEO_META], [RELEASE]]);
  });

  it('RELEASE passes forwarding elements and tees, never a handoff that may keep packets', async () => {
    const seen: (readonly string[])[] = [];
    await pipe(src(), probe(seen), queue(), capsFilter('video/x-raw'), identity(), fakeSink()).run();
    await pipe(src(), probe(seen), identity({ handoff: () => undefined, videoMeta: true }), fakeSink()).run();
    await pipe(src(), probe(seen), tee({ branches: [fakeSink(), pipe(queue(), fakeSink())] })).run();
    await pipe(src(), probe(seen), tee({ branches: [fakeSink(), fakeSink({ onPacket: () => undefined, videoMeta: true })] })).run();
    expect(seen).toEqual([[VIDEO_META, RELEASE], [VIDEO_META], [VIDEO_META, RELEASE], [VIDEO_META]]);
  });
});
