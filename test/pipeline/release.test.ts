import { describe, expect, it } from 'vitest';
import { Caps, defineTransform, pipe, withPacket, type Packet, type Transform } from '../../src';
import { fakeSink, identity, queue, tee } from '../../operators';
import { leasedMemory, RELEASE } from '../../src/memory/release';
import { mapReader } from '../../src/reader';
import { marbleSource, runMarbles } from '../../marbles';

const MS = 1_000_000;

interface LeaseLog {
  leasing?: boolean;
  /** 'back k' when packet k's memory went back, and whatever the test's sinks add. */
  events: string[];
}

/**
 * Gives every packet leased memory when everything after it releases (RELEASE), as h264Dec does with its
 * frames; packet k's give-back is logged as 'back k'.
 */
function lessor(log: LeaseLog): Transform {
  return defineTransform({
    factory: 'lessor',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open(ctx, up) {
      log.leasing = ctx.downstreamMetas.includes(RELEASE);
      let n = 0;
      return mapReader(up, (p: Packet) => {
        const k = n++;
        return log.leasing ? withPacket(p, { memory: leasedMemory(new Uint8Array([k]), () => void log.events.push(`back ${k}`)) }) : p;
      });
    },
  });
}

const idOf = (p: Packet): number => (p.memory.domain === 'cpu' ? p.memory.data[0] : -1);
const backs = (log: LeaseLog): number[] => log.events.filter((e) => e.startsWith('back')).map((e) => Number(e.slice(5)));

describe('leased memory', () => {
  it('goes back once, when the releases balance the first hold and every retain', () => {
    let back = 0;
    const m = leasedMemory(new Uint8Array(4), () => void back++);
    m.retain();
    m.release();
    expect(back).toBe(0);
    m.release();
    expect(back).toBe(1);
    // A release too many, or a retain after the end, gives nothing back twice.
    m.release();
    m.retain();
    m.release();
    expect(back).toBe(1);
  });
});

describe('RELEASE: the last holder gives leased memory back', () => {
  it('a releasing sink gives each packet back as soon as its write settles', async () => {
    const log: LeaseLog = { events: [] };
    await runMarbles(pipe(marbleSource('abcde|'), lessor(log), fakeSink({ onPacket: (p) => void log.events.push(`sink ${idOf(p)}`), release: true })));
    expect(log.leasing).toBe(true);
    expect(log.events).toEqual(['sink 0', 'back 0', 'sink 1', 'back 1', 'sink 2', 'back 2', 'sink 3', 'back 3', 'sink 4', 'back 4']);
  });

  it('nothing is leased when a sink may keep packets', async () => {
    const log: LeaseLog = { events: [] };
    const kept: Packet[] = [];
    await runMarbles(pipe(marbleSource('abc|'), lessor(log), fakeSink({ onPacket: (p) => void kept.push(p) })));
    expect(log.leasing).toBe(false);
    expect(kept.every((p) => p.memory.domain !== 'cpu' || p.memory.release === undefined)).toBe(true);
  });

  it('a tee holds a packet once per branch: it goes back only after the slowest branch is done with it', async () => {
    const log: LeaseLog = { events: [] };
    const fast = fakeSink({ onPacket: (p) => void log.events.push(`fast ${idOf(p)}`), release: true });
    const slow = pipe(identity({ sleepTime: 30 * MS }), fakeSink({ onPacket: (p) => void log.events.push(`slow ${idOf(p)}`), release: true }));
    await runMarbles(pipe(marbleSource('abcd|'), lessor(log), tee({ branches: [fast, slow] })), { frame: 10 * MS });
    expect(log.leasing).toBe(true);
    expect(backs(log)).toEqual([0, 1, 2, 3]);
    for (let k = 0; k < 4; k++) {
      const back = log.events.indexOf(`back ${k}`);
      expect(log.events.indexOf(`slow ${k}`)).toBeLessThan(back);
      expect(log.events.indexOf(`fast ${k}`)).toBeLessThan(back);
    }
    // The fast branch was done with packet 1 long before the slow one: holding it was the tee's doing.
    expect(log.events.indexOf('fast 1')).toBeLessThan(log.events.indexOf('slow 0'));
  });

  it('packets dropped on the way go back too: a leaky queue, identity drop-every, a late packet', async () => {
    const leaky: LeaseLog = { events: [] };
    await runMarbles(pipe(marbleSource('abcdefgh|'), lessor(leaky), queue({ maxSizeBuffers: 1, leaky: 'downstream' }), identity({ sleepTime: 35 * MS }), fakeSink()), { frame: 10 * MS });
    expect(leaky.leasing).toBe(true);
    expect(backs(leaky).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    const dropping: LeaseLog = { events: [] };
    await runMarbles(pipe(marbleSource('abcdef|'), lessor(dropping), identity({ dropEvery: 2 }), fakeSink()));
    expect(backs(dropping).sort()).toEqual([0, 1, 2, 3, 4, 5]);

    // Live profile: e reaches the sink past the 100 ms deadline and is dropped there (see live-profile tests).
    const late: LeaseLog = { events: [] };
    const stats = (await runMarbles(pipe(marbleSource('abcde|'), lessor(late), identity({ sleepTime: 30 * MS }), fakeSink()), { profile: 'live', frame: 10 * MS })).stats!;
    expect(stats.drops).toBe(1);
    expect(backs(late)).toEqual([0, 1, 2, 3, 4]);
  });
});
