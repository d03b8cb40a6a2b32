import { describe, expect, it } from 'vitest';
import { formatRtt, formatTime, nameColor, titleFor } from '../../web/src/lib/format.js';
import { classifyHealth, normalizeListingUrl } from '../../web/src/lib/origin-rules.js';

describe('formatting', () => {
  it('puts the unread count first in the title', () => {
    expect(titleFor('Room · Chatter', 0)).toBe('Room · Chatter');
    expect(titleFor('Room · Chatter', 3)).toBe('(3) Room · Chatter');
    expect(titleFor('Room · Chatter', 5000)).toBe('(999+) Room · Chatter');
  });

  it('shows round trips with sensible precision', () => {
    expect(formatRtt(0.456)).toBe('0.46 ms');
    expect(formatRtt(4.56)).toBe('4.6 ms');
    expect(formatRtt(45.6)).toBe('46 ms');
  });

  it('shows today’s times as hours and minutes, older ones with the day', () => {
    const now = new Date(2026, 10, 26, 15, 0).getTime();
    expect(formatTime(new Date(2026, 10, 26, 9, 5).getTime(), now)).toBe('09:05');
    expect(formatTime(new Date(2026, 10, 24, 9, 5).getTime(), now)).toMatch(/^\S+ 09:05$/);
    expect(formatTime(new Date(2026, 0, 2, 9, 5).getTime(), now)).toMatch(/2.*09:05$/);
  });

  it('gives a name the same colour whatever its case', () => {
    expect(nameColor('Alice')).toBe(nameColor('alice'));
    for (const n of ['a', 'bob', 'ünïcødé', '👩‍👩‍👧']) expect(nameColor(n)).toBeGreaterThanOrEqual(0);
    expect(new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((n) => nameColor(n))).size).toBeGreaterThan(
      3,
    );
  });
});

describe('where the page is served from', () => {
  it('tells a chat server’s /healthz from a listing’s', () => {
    expect(classifyHealth({ status: 'ok', id: 7, name: 'Test', connectedUsers: 2, maxUsers: 50 })).toEqual({
      kind: 'chat-server',
      health: { id: 7, name: 'Test', connectedUsers: 2, maxUsers: 50 },
    });
    expect(classifyHealth({ status: 'ok', store: 'sqlite' })).toEqual({ kind: 'listing' });
    expect(classifyHealth(null)).toEqual({ kind: 'other' });
    expect(classifyHealth('<html>')).toEqual({ kind: 'other' });
  });

  it('reads a listing URL as a person types it', () => {
    expect(normalizeListingUrl('localhost:8080')).toBe('http://localhost:8080');
    expect(normalizeListingUrl(' https://dir.example.org/ ')).toBe('https://dir.example.org');
    expect(normalizeListingUrl('http://h:1/base/')).toBe('http://h:1/base');
    expect(normalizeListingUrl('')).toBeNull();
    expect(normalizeListingUrl('ftp://h')).toBeNull();
    expect(normalizeListingUrl('ws://h:5000')).toBeNull();
  });
});
