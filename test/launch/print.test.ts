import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src';
import { parseLaunch } from '../../operators';

// toString() must print a launch line that parseLaunch reads back into the same graph: printing the re-parsed
// pipeline gives the same text, and it runs to the same per-element packet counts.
const lines = [
  'fakeSrc num-buffers=5 ! identity sleep-time=20ms ! queue max-size-buffers=3 ! fakeSink',
  'fakeSrc num-buffers=6 ! tee name=t policy=block,leak ! identity ! fakeSink  t. ! queue ! fakeSink name=second',
  'fakeSrc num-buffers=4 ! tee name=t ! fakeSink  t. ! tee name=u ! fakeSink  u. ! identity ! fakeSink  t. ! fakeSink',
  'fakeSrc num-buffers=3 ! m.  fakeSrc num-buffers=4 ! identity ! m.  merge name=m ! queue ! fakeSink',
  'fakeSrc num-buffers=3 ! m.  fakeSrc num-buffers=2 ! m.  merge name=m ! tee name=t ! fakeSink  t. ! fakeSink',
  'fakeSrc num-buffers=2 ! capsFilter caps="application/x-test, label=(string)\\"a b\\"" ! fakeSink',
];

describe('Pipeline.toString', () => {
  it.each(lines)('round-trips %s', async (line) => {
    const first = parseLaunch(line);
    const text = first.toString();
    const again = parseLaunch(text);
    expect(again.toString()).toBe(text);
    const count = async (p: typeof first) =>
      Object.fromEntries((await p.run({ clock: new VirtualClock() })).elements.map((e) => [e.name, e.packets]));
    expect(await count(again)).toEqual(await count(parseLaunch(line)));
  });

  it('prints every tee branch and merge input, by reference', () => {
    const text = parseLaunch(lines[3]).toString();
    expect(text.match(/! m\./g)).toHaveLength(2);
    expect(parseLaunch(lines[1]).toString()).toMatch(/ t\. ! queue name=queue0/);
  });
});
