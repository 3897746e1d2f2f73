import { Observable } from 'rxjs';
import { Caps, defineSource, defineTransform, EOS, packet, type Clock, type Packet, type Reader, type Source, type Transform } from '../../src';

export const CAPS = Caps.parse('application/x-test');

export const pkt = (i: number): Packet => packet({ caps: CAPS, pts: i });
export const packets = (n: number): Packet[] => Array.from({ length: n }, (_, i) => pkt(i));
export const ptsOf = (ps: readonly Packet[]): (number | undefined)[] => ps.map((p) => p.pts);
export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Counts what happens to an element: opens, closes, pulls answered. `closed` resolves at the first close. */
export class Probe {
  opens = 0;
  closes = 0;
  pulls = 0;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((r) => (this.resolveClosed = r));

  onOpen(): void {
    this.opens++;
  }
  onClose(): void {
    this.closes++;
    this.resolveClosed();
  }
}

/** A passthrough transform whose close is counted. */
export function probe(p: Probe): Transform {
  return defineTransform({
    factory: 'probe',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open: (_ctx, up: Reader<Packet>) => {
      p.onOpen();
      return { pull: (s) => up.pull(s), close: () => p.onClose() };
    },
  });
}

/** A synchronous source of `n` packets (pts 0…n−1; endless when n < 0) that counts its pulls and close. */
export function countingSrc(p: Probe, n = -1): Source<Packet> {
  return defineSource({
    factory: 'countingSrc',
    props: {},
    srcCaps: CAPS,
    open: () => {
      p.onOpen();
      let i = 0;
      return {
        pull: () => {
          p.pulls++;
          return n >= 0 && i >= n ? EOS : pkt(i++);
        },
        close: () => p.onClose(),
      };
    },
  });
}

/** An interval-like Observable on `clock`: value i at (i + 1) · period, `count` values, then completes. */
export function ticks(clock: Clock, period: number, count = Infinity): Observable<number> {
  return new Observable<number>((sub) => {
    const ac = new AbortController();
    const start = clock.now();
    void (async () => {
      for (let i = 0; i < count; i++) {
        await clock.sleepUntil(start + (i + 1) * period, ac.signal);
        sub.next(i);
      }
      sub.complete();
    })().catch((e) => {
      if (!ac.signal.aborted) sub.error(e);
    });
    return () => ac.abort();
  });
}

/** Lets every pending promise chain and one macrotask run (a slow consumer's pause). */
export const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
