import { it } from 'vitest';
import { pipe } from '../../src';
import { identity, queue, tee, merge, fakeSrc } from '../../operators';
import { marbleSink, marbleSource, runMarbles, toDiagram, teardownDiagrams, maxAhead, timesOf } from '../../marbles';
const MS = 1_000_000;
it('scratch', async () => {
  const show = (l: any, o: any = {}) => console.log(l.outcome, String(l.error ?? ''), Object.keys(l.sinks).map((k) => k + ': ' + toDiagram(l, { sink: k })).join('  '), JSON.stringify(teardownDiagrams(l)), l.stats?.elements.map((e: any) => `${e.name}:${JSON.stringify(e.drops)}`).join(' '));
  show(await runMarbles(pipe(marbleSource('abcdefgh|'), tee({ branches: [marbleSink({ delay: 3 * MS }), marbleSink()], maxSizeBuffers: 2 })), { abortAt: '-----!' }));
  show(await runMarbles(pipe(marbleSource('(abcdefgh|)'), tee({ branches: [pipe(identity({ errorAfter: 1 }), marbleSink()), marbleSink()], maxSizeBuffers: 2 }), )));
  show(await runMarbles(pipe(marbleSource('abc|'), identity(), marbleSink()), { stallAfter: false, profile: 'live' }));
}, 20000);
