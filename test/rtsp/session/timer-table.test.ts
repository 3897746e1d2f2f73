/** The session's TimerTable: every deadline in one place, pure (no host timer), deterministic on ties. */
import { describe, expect, it } from 'vitest';
import { G2gError } from '../../../src/errors';
import { SESSION_TIMERS, TimerTable, TimerTableError } from '../../../src/rtsp/session/timer-table';

describe('TimerTable', () => {
  it('next() is the earliest set deadline; clear() takes one out', () => {
    const t = new TimerTable();
    expect(t.next()).toBeUndefined();
    expect(t.pollTimeout()).toBeUndefined();
    t.set('keepalive', 30);
    t.set('response', 10);
    t.set('data', 20);
    expect(t.next()).toEqual({ name: 'response', at: 10 });
    t.clear('response');
    expect(t.next()).toEqual({ name: 'data', at: 20 });
    expect(t.pollTimeout()).toBe(20);
    expect(t.isSet('response')).toBe(false);
    expect(t.get('keepalive')).toBe(30);
  });

  it('set() moves a deadline, later or earlier', () => {
    const t = new TimerTable();
    t.set('data', 100);
    t.set('keepalive', 50);
    t.set('data', 10);
    expect(t.next()).toEqual({ name: 'data', at: 10 });
    t.set('data', 200);
    expect(t.next()).toEqual({ name: 'keepalive', at: 50 });
  });

  it('update() copies the pollTimeout of a machine in: a number sets, undefined clears', () => {
    const t = new TimerTable();
    t.update('response', 3);
    expect(t.get('response')).toBe(3);
    t.update('response', undefined);
    expect(t.isSet('response')).toBe(false);
  });

  it('expired(now) returns what is due, earliest first, and clears only those', () => {
    const t = new TimerTable();
    t.set('backoff', 40);
    t.set('keepalive', 5);
    t.set('data', 20);
    expect(t.expired(4)).toEqual([]);
    expect(t.expired(20)).toEqual(['keepalive', 'data']);
    expect(t.isSet('keepalive')).toBe(false);
    expect(t.next()).toEqual({ name: 'backoff', at: 40 });
    // A handler re-arms what it means to: the keep-alive's next period.
    t.set('keepalive', 25);
    expect(t.expired(100)).toEqual(['keepalive', 'backoff']);
    expect(t.next()).toBeUndefined();
  });

  it('ties fire in the order of the names the table was made with, whatever order they were set in', () => {
    const t = new TimerTable();
    for (const name of [...SESSION_TIMERS].reverse()) t.set(name, 7);
    expect(t.expired(7)).toEqual([...SESSION_TIMERS]);
    const custom = new TimerTable(['b', 'a'] as const);
    custom.set('a', 1);
    custom.set('b', 1);
    expect(custom.expired(1)).toEqual(['b', 'a']);
  });

  it('-Infinity is due at once (the jitter buffer says so when output is ready): first, at any now', () => {
    const t = new TimerTable();
    t.set('data', 0);
    t.set('keepalive', -Infinity);
    expect(t.next()).toEqual({ name: 'keepalive', at: -Infinity });
    expect(t.expired(-1e18)).toEqual(['keepalive']);
  });

  it('clearAll() leaves nothing to wake for', () => {
    const t = new TimerTable();
    t.set('response', 1);
    t.set('udp-fallback', 2);
    t.clearAll();
    expect(t.next()).toBeUndefined();
    expect(t.expired(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('misuse is a TimerTableError (a G2gError): a NaN or +Infinity deadline, an unknown name, duplicate names', () => {
    const t = new TimerTable();
    for (const bad of [NaN, Infinity]) {
      const e = (() => {
        try {
          t.set('data', bad);
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(TimerTableError);
      expect(e).toBeInstanceOf(G2gError);
      expect((e as TimerTableError).code).toBe('TIMER_TABLE');
    }
    // Nothing was stored by the refused calls.
    expect(t.isSet('data')).toBe(false);
    expect(() => t.set('nope' as never, 1)).toThrow(/no timer 'nope'/);
    expect(() => new TimerTable(['a', 'a'])).toThrow(TimerTableError);
  });
});
