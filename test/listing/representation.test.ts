/** Content negotiation and the compressed forms of an answer, made once (pure, plus zlib). */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COMPRESS_MIN_BYTES, negotiate, Representation } from '../../src/listing/representation.js';

describe('negotiate (Accept-Encoding)', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['BR;Q=1, GZIP;q=0.9', 'br'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['*', 'br'],
    ['*;q=0.5, gzip', 'gzip'],
    ['deflate', 'identity'],
    ['identity', 'identity'],
    ['gzip;q=0.5, identity', 'identity'],
    // A malformed q-value is ignored (the coding stays acceptable), as browsers never send one.
    ['gzip;q=nonsense', 'gzip'],
    [' gzip ; q=0.8 , br ; q=0.7 ', 'gzip'],
  ])('%j → %s', (header, expected) => {
    expect(negotiate(header)).toBe(expected);
    // Remembered: the same answer the second time.
    expect(negotiate(header)).toBe(expected);
  });
});

describe('Representation', () => {
  const body = Buffer.from(JSON.stringify({ servers: Array.from({ length: 50 }, (_, id) => ({ id, n: 'x' })) }));

  it('tags each form: the body’s hash, with a suffix for a compressed form', () => {
    const r = new Representation(body, 'once');
    expect(r.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(r.tag('identity')).toBe(r.etag);
    expect(r.tag('br')).toBe(`${r.etag.slice(0, -1)}-br"`);
    expect(r.tag('gzip')).toBe(`${r.etag.slice(0, -1)}-gzip"`);
    expect(new Representation(Buffer.from(body), 'fast').etag).toBe(r.etag);
  });

  it('compresses each coding once, and keeps it', async () => {
    const r = new Representation(body, 'once');
    expect(r.ready('br')).toBeUndefined();
    const [a, b] = await Promise.all([r.encoded('br'), r.encoded('br')]);
    expect(a).toBe(b);
    expect(r.ready('br')).toBe(a);
    expect(brotliDecompressSync(a).equals(body)).toBe(true);
    const gz = await r.encoded('gzip');
    expect(gunzipSync(gz).equals(body)).toBe(true);
    expect(gz.length).toBeLessThan(body.length);
    expect(await r.encoded('gzip')).toBe(gz);
  });

  it('sends a small body as it is', () => {
    const small = new Representation(Buffer.from('{"servers":[]}'), 'once');
    expect(small.body.length).toBeLessThan(COMPRESS_MIN_BYTES);
    expect(small.select('gzip, br')).toBe('identity');
    expect(new Representation(body, 'once').select('gzip, br')).toBe('br');
  });
});
