/** Keys: entropy, storage as a hash, comparison; the Authorization header's strict parsing. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyFromAuthorization } from '../../src/listing/authorization.js';
import { ApiError } from '../../src/listing/errors.js';
import { generateKey, hashKey, KEY_PATTERN, keyMatches } from '../../src/listing/keys.js';

function codeOf(header: string | string[] | undefined): string {
  try {
    keyFromAuthorization(header);
    return 'ok';
  } catch (err) {
    if (err instanceof ApiError) {
      expect(err.statusCode).toBe(401);
      return err.code;
    }
    throw err;
  }
}

describe('keys', () => {
  it('are 256 bits of base64url, never repeated', () => {
    const keys = new Set(Array.from({ length: 1000 }, generateKey));
    expect(keys.size).toBe(1000);
    for (const key of keys) {
      expect(key).toMatch(KEY_PATTERN);
      expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    }
  });

  it('use every base64url character (not a narrow alphabet)', () => {
    const seen = new Set(Array.from({ length: 200 }, generateKey).join(''));
    expect(seen.size).toBe(64);
  });

  it('are stored as a SHA-256 hash that matches only the key', () => {
    const key = generateKey();
    const hash = hashKey(key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(key);
    expect(keyMatches(key, hash)).toBe(true);
    expect(keyMatches(generateKey(), hash)).toBe(false);
    expect(keyMatches(key, hashKey(`${key} `))).toBe(false);
    expect(keyMatches(key, 'not hex')).toBe(false);
    fc.assert(fc.property(fc.string(), (other) => keyMatches(other, hash) === (other === key)));
  });
});

describe('Authorization: C2Listing <key>', () => {
  const key = generateKey();

  it('accepts exactly the scheme, one space and a key (scheme case-insensitive)', () => {
    expect(keyFromAuthorization(`C2Listing ${key}`)).toBe(key);
    expect(keyFromAuthorization(`c2listing ${key}`)).toBe(key);
  });

  it('missing_key when there is no header', () => {
    expect(codeOf(undefined)).toBe('missing_key');
    expect(codeOf('')).toBe('missing_key');
  });

  it('malformed_authorization for anything else', () => {
    for (const header of [
      key,
      `Bearer ${key}`,
      'C2Listing',
      'C2Listing ',
      `C2Listing  ${key}`,
      `C2Listing\t${key}`,
      `C2Listing ${key} `,
      `C2Listing ${key},C2Listing ${key}`,
      `C2Listing ${key}=`,
      `C2Listing ${key.slice(2)}`,
      `C2Listing ${key.replace(/.$/, '+')}`,
      `C2Listing "${key}"`,
      `C2Listings ${key}`,
    ]) {
      expect(codeOf(header), header).toBe('malformed_authorization');
    }
    expect(codeOf([`C2Listing ${key}`, `C2Listing ${key}`])).toBe('malformed_authorization');
  });

  it('never throws anything but a 401', () => {
    fc.assert(
      fc.property(fc.string(), (header) => {
        const code = codeOf(header);
        expect(['ok', 'missing_key', 'malformed_authorization']).toContain(code);
      }),
    );
  });
});
