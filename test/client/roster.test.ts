/**
 * The roster's two modes (docs/PROTOCOL.md, *Large rooms*): a full list kept from the
 * notices, and a large room's count with a window of pages loaded on demand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLargeRoom, Roster, roomInfo } from '../../src/client/roster.js';

describe('roomInfo', () => {
  it('reads the count and the limit of server_info, and nothing else', () => {
    expect(roomInfo({ connectedUsers: 30, announceLimit: 5, epoch: 'x' })).toEqual({
      connectedUsers: 30,
      announceLimit: 5,
    });
    // A server older than the limit: every join and leave is announced.
    expect(roomInfo({ connectedUsers: 3 })).toEqual({ connectedUsers: 3, announceLimit: null });
    expect(roomInfo({ connectedUsers: -1, announceLimit: 5 })).toBeNull();
    expect(roomInfo({ connectedUsers: '3' })).toBeNull();
    expect(roomInfo(null)).toBeNull();
    expect(roomInfo([1])).toBeNull();
    expect(roomInfo({ connectedUsers: 3, announceLimit: 1.5 })).toEqual({ connectedUsers: 3, announceLimit: null });
  });

  it('a room is large only above a known limit', () => {
    expect(isLargeRoom({ connectedUsers: 6, announceLimit: 5 })).toBe(true);
    expect(isLargeRoom({ connectedUsers: 5, announceLimit: 5 })).toBe(false);
    expect(isLargeRoom({ connectedUsers: 1, announceLimit: 0 })).toBe(true);
    expect(isLargeRoom({ connectedUsers: 1_000_000, announceLimit: null })).toBe(false);
  });
});

describe('Roster, full mode', () => {
  it('ignores notices before the list, then follows joins, renames and leaves', () => {
    const r = new Roster();
    expect(r.add('early')).toBe(false);
    expect(r.mode).toBe('unknown');
    r.set(['alice', 'bob']);
    expect(r.add('carol')).toBe(true);
    expect(r.rename('BOB', 'robert')).toBe(true);
    expect(r.remove('alice')).toBe(true);
    expect(r.users).toEqual(['robert', 'carol']);
    expect(r.count).toBe(2);
    expect(r.complete).toBe(true);
  });

  it('asks for the count again only once the list is as long as the limit', () => {
    const r = new Roster();
    r.limit = 3;
    r.set(['a', 'b']);
    expect(r.needsRefresh).toBe(false);
    r.add('c'); // the next join would go unannounced
    expect(r.needsRefresh).toBe(true);
    r.limit = null; // a server without a limit announces everything
    expect(r.needsRefresh).toBe(false);
  });
});

describe('Roster, large mode', () => {
  it('keeps the count, applies renames and bans to the pages loaded, and ignores joins', () => {
    const r = new Roster();
    r.setLarge(30);
    expect(r.users).toEqual([]);
    expect(r.count).toBe(30);
    expect(r.needsRefresh).toBe(true);
    expect(r.addPage(0, ['u0', 'u1', 'u2'], 3)).toBe(true);
    expect(r.nextOffset).toBe(3);
    expect(r.add('late')).toBe(false);
    expect(r.rename('u1', 'uno')).toBe(true);
    expect(r.remove('u0')).toBe(true); // a ban: out of the window, one fewer
    expect(r.users).toEqual(['uno', 'u2']);
    expect(r.count).toBe(29);
    // A ban of someone not loaded still counts.
    expect(r.remove('u25')).toBe(true);
    expect(r.count).toBe(28);
    expect(r.setCount(40)).toBe(true);
    expect(r.setCount(40)).toBe(false);
    expect(r.complete).toBe(false);
  });

  it('a short page is the last; the window is complete when it starts at 0', () => {
    const r = new Roster();
    r.setLarge(5);
    r.addPage(0, ['a', 'b', 'c'], 3);
    expect(r.complete).toBe(false);
    r.addPage(3, ['d', 'e'], 3);
    expect(r.complete).toBe(true);
    expect(r.users).toEqual(['a', 'b', 'c', 'd', 'e']);
    // More users than the window reaches: no longer complete.
    r.setCount(7);
    expect(r.complete).toBe(false);
  });

  it('going back to a full list replaces the window', () => {
    const r = new Roster();
    r.setLarge(9);
    r.addPage(0, ['a'], 1);
    r.set(['a', 'b']);
    expect(r.mode).toBe('full');
    expect(r.count).toBe(2);
    expect(r.add('c')).toBe(true);
  });

  it('the window is the server list from its offset, never longer than the cap', () => {
    // The server's list of n users, loaded by pages of any sizes, in order.
    const run = fc.record({
      n: fc.integer({ min: 0, max: 120 }),
      cap: fc.integer({ min: 1, max: 40 }),
      sizes: fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 15 }),
    });
    fc.assert(
      fc.property(run, ({ n, cap, sizes }) => {
        const server = Array.from({ length: n }, (_, i) => `u${i}`);
        const r = new Roster(cap);
        r.setLarge(n);
        for (const size of sizes) {
          if (r.complete) break;
          const offset = r.nextOffset;
          r.addPage(offset, server.slice(offset, offset + size), size);
          expect(r.users.length).toBeLessThanOrEqual(cap);
          expect(r.users).toEqual(server.slice(r.offset, r.offset + r.users.length));
          expect(r.count).toBe(n);
        }
        const loadedAll = sizes.reduce((a, b) => a + b, 0) > n;
        if (loadedAll) expect(r.nextOffset).toBe(n);
        if (loadedAll && n <= cap) expect(r.complete).toBe(true);
      }),
    );
  });

  it('a page that starts the window elsewhere replaces it', () => {
    const r = new Roster();
    r.setLarge(100);
    r.addPage(0, ['a', 'b'], 2);
    r.addPage(50, ['x', 'y'], 2);
    expect(r.offset).toBe(50);
    expect(r.users).toEqual(['x', 'y']);
  });
});
