/** The client library's pure parts. */
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RECONNECT, resolveReconnect } from '../../src/client/backoff.js';
import { parseAnswer } from '../../src/client/c2-client.js';
import { TypedEmitter } from '../../src/client/emitter.js';
import { Roster } from '../../src/client/roster.js';
import { describeSocketError } from '../../src/client/websocket.js';

describe('backoff', () => {
  const options = { ...DEFAULT_RECONNECT, initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 };

  it('doubles up to the cap', () => {
    const top = () => 0; // no jitter taken off
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, options, top))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('takes at most the jitter fraction off each wait', () => {
    expect(backoffDelay(3, options, () => 0.999_999)).toBe(200);
    expect(backoffDelay(3, options, () => 0.5)).toBe(300);
    expect(backoffDelay(3, { ...options, jitter: 0 }, () => 0.9)).toBe(400);
  });

  it('is off unless asked for', () => {
    expect(resolveReconnect(undefined)).toBeNull();
    expect(resolveReconnect(false)).toBeNull();
    expect(resolveReconnect(true)).toEqual(DEFAULT_RECONNECT);
    expect(resolveReconnect({ maxRefusals: 1 })?.maxRefusals).toBe(1);
  });
});

describe('Roster', () => {
  it('ignores changes before the first list, then applies them', () => {
    const roster = new Roster();
    expect(roster.add('early')).toBe(false);
    expect(roster.users).toEqual([]);
    roster.set(['alice', 'bob']);
    const before = roster.users;
    expect(roster.add('carol')).toBe(true);
    expect(roster.rename('bob', 'Robert')).toBe(true);
    expect(roster.users).toEqual(['alice', 'Robert', 'carol']);
    expect(before).toEqual(['alice', 'bob']); // a list handed out is a snapshot
    expect(roster.remove('ALICE')).toBe(true); // found like the server finds names
    expect(roster.remove('nobody')).toBe(false);
    expect(roster.users).toEqual(['Robert', 'carol']);
  });
});

describe('TypedEmitter', () => {
  class Demo extends TypedEmitter<{ ping: [number]; pong: [string, boolean] }> {
    fire(n: number) {
      this.emit('ping', n);
    }
  }

  it('on, once and off', () => {
    const demo = new Demo();
    const seen: number[] = [];
    const off = demo.on('ping', (n) => seen.push(n));
    demo.once('ping', (n) => seen.push(n * 10));
    demo.fire(1);
    demo.fire(2);
    off();
    demo.fire(3);
    expect(seen).toEqual([1, 10, 2]);
    expect(demo.listenerCount('ping')).toBe(0);
  });
});

describe('parseAnswer', () => {
  it('parses JSON objects and arrays, leaves text alone', () => {
    expect(parseAnswer('["a","b"]')).toEqual(['a', 'b']);
    expect(parseAnswer('{"id":7}')).toEqual({ id: 7 });
    expect(parseAnswer('you are now an operator')).toBe('you are now an operator');
    expect(parseAnswer('banned "bob"')).toBe('banned "bob"');
    expect(parseAnswer('[not json')).toBe('[not json');
    expect(parseAnswer('')).toBe('');
  });
});

describe('URLs and socket errors', () => {
  it('describes ws errors, including an AggregateError with no message', () => {
    expect(describeSocketError({ message: 'connect ECONNREFUSED 127.0.0.1:1' })).toBe(
      'connect ECONNREFUSED 127.0.0.1:1',
    );
    const aggregate = new AggregateError(
      [new Error('connect ECONNREFUSED ::1:1'), new Error('connect ECONNREFUSED 127.0.0.1:1')],
      '',
    );
    expect(describeSocketError({ error: aggregate, message: '' })).toBe(
      'connect ECONNREFUSED ::1:1; connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(describeSocketError({})).toBe('the connection failed');
  });
});
