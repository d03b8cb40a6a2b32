import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codePointLength,
  isValidTimestamp,
  normalizeUsername,
  parseServerId,
  usernameKey,
  validateMessageText,
  validateUsername,
} from '../../src/protocol/rules.js';

describe('validateUsername', () => {
  it('accepts ordinary names up to 16 code points', () => {
    for (const ok of ['alice', 'Big Al', 'ö', '😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀', 'a'.repeat(16), 'ß', 'x_y-z.1']) {
      expect(validateUsername(ok), ok).toBeNull();
    }
  });

  it('refuses what §5 refuses', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['a'.repeat(17), /longer than 16/],
      ['a;b', /";"/],
      [' alice', /white space/],
      ['alice ', /white space/],
      ['\u00a0alice', /white space/],
      ['al\u0000ice', /control/],
      ['al\tice', /control/],
      ['al\u200bice', /format/], // zero-width space
      ['\u202eecila', /format/], // right-to-left override
      ['al\u2028ice', /line-separator/],
    ];
    for (const [name, reason] of cases) expect(validateUsername(name), JSON.stringify(name)).toMatch(reason);
  });

  it('counts code points after NFC, not UTF-16 units', () => {
    const decomposed = 'e\u0301'.repeat(16); // 32 code points, 16 after NFC
    expect(validateUsername(decomposed)).toMatch(/longer/);
    expect(validateUsername(normalizeUsername(decomposed))).toBeNull();
  });

  it('honours a configured length', () => {
    expect(validateUsername('abcd', 3)).toMatch(/longer than 3/);
  });
});

describe('usernameKey', () => {
  it('compares case-insensitively and folds compatibility look-alikes', () => {
    expect(usernameKey('Alice')).toBe(usernameKey('aLICE'));
    expect(usernameKey('Straße')).toBe(usernameKey('STRASSE'));
    expect(usernameKey('ａｌｉｃｅ')).toBe(usernameKey('alice'));
    expect(usernameKey('alice')).not.toBe(usernameKey('alicf'));
  });

  it('is idempotent', () => {
    fc.assert(fc.property(fc.string(), (s) => usernameKey(usernameKey(s)) === usernameKey(s)));
  });
});

describe('validateMessageText', () => {
  it('accepts text with newlines, tabs, emoji and separators', () => {
    for (const ok of ['hi', 'a; b', 'line1\nline2', '\tindented', '👩‍👩‍👧', 'x'.repeat(2000), '😀'.repeat(2000)]) {
      expect(validateMessageText(ok)).toBeNull();
    }
  });

  it('refuses empty, blank, too long and control characters', () => {
    expect(validateMessageText('')).toMatch(/empty/);
    expect(validateMessageText(' \n\t ')).toMatch(/white space/);
    expect(validateMessageText('x'.repeat(2001))).toMatch(/longer than 2000/);
    expect(validateMessageText('😀'.repeat(2001))).toMatch(/longer than 2000/);
    expect(validateMessageText('a\rb')).toMatch(/control/);
    expect(validateMessageText('a\u0000b')).toMatch(/control/);
    expect(validateMessageText('a\u0085b')).toMatch(/control/);
  });
});

describe('timestamps and ids', () => {
  it('accepts 1–16 digits as a timestamp', () => {
    expect(isValidTimestamp('0')).toBe(true);
    expect(isValidTimestamp('1234567890123456')).toBe(true);
    for (const bad of ['', '12345678901234567', '-1', '1.5', '1e3', ' 1', '١٢'])
      expect(isValidTimestamp(bad)).toBe(false);
  });

  it('parses canonical server ids only', () => {
    expect(parseServerId('0')).toBe(0);
    expect(parseServerId('9007199254740991')).toBe(2 ** 53 - 1);
    for (const bad of ['', '01', '+1', '-1', '9007199254740992', '1.0', ' 1', '1e3', 'abc']) {
      expect(parseServerId(bad), bad).toBeNull();
    }
  });

  it('counts code points', () => {
    expect(codePointLength('a😀b')).toBe(3);
  });
});
