/** The query parameters of GET /servers, the search folding and the page cursors (pure). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURSOR_MAX_AGE_MS, CursorCodec, positionOf } from '../../src/listing/cursor.js';
import { ApiError } from '../../src/listing/errors.js';
import { isWholeList, type ListQuery, parseListQuery, WHOLE_LIST } from '../../src/listing/list-query.js';
import { fold, nameKey, searchText } from '../../src/listing/search.js';

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

describe('folding', () => {
  it('ignores case, accents and compatibility forms', () => {
    expect(fold('Café des AMIS')).toBe('cafe des amis');
    expect(fold('ÉCLUSE')).toBe('ecluse');
    expect(fold('ﬁve ＡＢ')).toBe('five ab');
    expect(nameKey('Ökonomie')).toBe('okonomie');
    expect(searchText('Café', '[2001:DB8::1]:5000')).toBe('cafe\n[2001:db8::1]:5000');
  });

  it('is idempotent: a folded query matches folded text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (text) => {
        expect(fold(fold(text))).toBe(fold(text));
      }),
    );
  });
});

describe('parseListQuery', () => {
  it('no parameters (or only sort=id) is the whole list', () => {
    expect(parseListQuery({})).toBe(WHOLE_LIST);
    expect(parseListQuery(undefined)).toBe(WHOLE_LIST);
    expect(isWholeList(parseListQuery({ sort: 'id' }))).toBe(true);
    expect(isWholeList(parseListQuery({ q: '   ' }))).toBe(true);
    expect(isWholeList(parseListQuery({ notFull: 'false', notEmpty: 'false' }))).toBe(true);
    expect(isWholeList(parseListQuery({ limit: '10' }))).toBe(false);
    expect(isWholeList(parseListQuery({ sort: 'name' }))).toBe(false);
  });

  it('reads every parameter', () => {
    expect(
      parseListQuery({ q: '  Café ', notFull: 'true', notEmpty: 'true', sort: '-users', limit: '1000', cursor: 'a.b' }),
    ).toEqual({
      q: 'cafe',
      notFull: true,
      notEmpty: true,
      sort: '-users',
      limit: 1000,
      cursor: 'a.b',
    } satisfies ListQuery);
    for (const sort of ['id', 'name', 'users', '-users']) expect(parseListQuery({ sort }).sort).toBe(sort);
    expect(parseListQuery({ limit: '1' }).limit).toBe(1);
  });

  it.each([
    [
      { foo: '1' },
      'invalid_query',
      /unknown parameter "foo"; the parameters are q, notFull, notEmpty, sort, limit and cursor/,
    ],
    [{ Q: 'x' }, 'invalid_query', /unknown parameter "Q"/],
    [{ q: ['a', 'b'] }, 'invalid_query', /"q" is given more than once/],
    [{ q: 'x'.repeat(101) }, 'invalid_query', /"q" must be at most 100 characters/],
    [{ q: 'a\u0000b' }, 'invalid_query', /control characters/],
    [{ notFull: '1' }, 'invalid_query', /"notFull" must be true or false/],
    [{ notEmpty: '' }, 'invalid_query', /"notEmpty" must be true or false/],
    [{ sort: 'users-' }, 'invalid_query', /"sort" must be name, users, -users or id/],
    [{ limit: '0' }, 'invalid_query', /"limit" must be a whole number from 1 to 1000/],
    [{ limit: '1001' }, 'invalid_query', /from 1 to 1000/],
    [{ limit: '05' }, 'invalid_query', /from 1 to 1000/],
    [{ limit: '1e2' }, 'invalid_query', /from 1 to 1000/],
    [{ limit: '-3' }, 'invalid_query', /from 1 to 1000/],
    [{ cursor: 'abc' }, 'invalid_query', /"cursor" needs "limit"/],
    [{ limit: '5', cursor: '' }, 'invalid_cursor', /not a cursor this listing made/],
    [{ limit: '5', cursor: 'a b' }, 'invalid_cursor', /not a cursor this listing made/],
    [{ limit: '5', cursor: 'x'.repeat(513) }, 'invalid_cursor', /not a cursor this listing made/],
  ])('refuses %j', (raw, code, message) => {
    const err = refusal(() => parseListQuery(raw as Record<string, unknown>));
    expect(err.code).toBe(code);
    expect(err.statusCode).toBe(400);
    expect(err.message).toMatch(message);
  });

  it('quotes an unknown name back without control characters, and short', () => {
    const err = refusal(() => parseListQuery({ [`x\u001b[31m${'y'.repeat(100)}`]: '1' }));
    expect(err.message).not.toMatch(/\u001b/);
    expect(err.message.length).toBeLessThan(200);
  });
});

describe('CursorCodec', () => {
  let now = Date.UTC(2026, 10, 30);
  const codec = new CursorCodec(Buffer.alloc(32, 7), () => now);
  const server = { id: 42, displayName: 'Café', address: '1.2.3.4:5000', connectedUsers: 3, maxUsers: 9, tls: false };
  const query = (extra: Partial<ListQuery> = {}): ListQuery => ({ ...WHOLE_LIST, limit: 10, ...extra });

  it('the same page made again within the hour has the same cursor (so the same ETag)', () => {
    const q = query({ sort: 'name' });
    const a = codec.encode(q, server);
    now += 30 * 60 * 1000;
    expect(codec.encode(q, server)).toBe(a);
    now += 30 * 60 * 1000;
    expect(codec.encode(q, server)).not.toBe(a);
    expect(CURSOR_MAX_AGE_MS).toBe(25 * 60 * 60 * 1000);
  });

  it('round-trips the position of the last entry, per order', () => {
    for (const sort of ['id', 'name', 'users', '-users'] as const) {
      const q = query({ sort, q: 'caf', notFull: true });
      const cursor = codec.encode(q, server);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
      expect(codec.decode({ ...q, cursor })).toEqual(positionOf(sort, server));
    }
    expect(positionOf('name', server)).toEqual({ key: 'cafe', id: 42 });
    expect(positionOf('-users', server)).toEqual({ key: 3, id: 42 });
  });

  it('the page size may change between pages', () => {
    const cursor = codec.encode(query({ limit: 10 }), server);
    expect(codec.decode({ ...query({ limit: 500 }), cursor })).toEqual({ key: 42, id: 42 });
  });

  it('refuses an altered cursor, another directory’s, other parameters’, and an expired one', () => {
    const q = query({ sort: 'name', q: 'caf' });
    const cursor = codec.encode(q, server);
    const [payload, mac] = cursor.split('.') as [string, string];
    const altered = Buffer.from(payload, 'base64url').toString().replace('42', '43');
    const cases: [string, ListQuery, RegExp][] = [
      [`${Buffer.from(altered).toString('base64url')}.${mac}`, q, /not a cursor this directory made/],
      [`${payload}.${mac.slice(0, -2)}AA`, q, /not a cursor this directory made/],
      [payload, q, /not a cursor this directory made/],
      [
        new CursorCodec(Buffer.alloc(32, 8), () => now).encode(q, server),
        q,
        /not a cursor this directory made .*another listing/,
      ],
      [cursor, { ...q, sort: 'users' }, /continues a walk with sort=name, not sort=users/],
      [cursor, { ...q, q: 'cafe' }, /another q, notFull or notEmpty/],
      [cursor, { ...q, notEmpty: true }, /another q, notFull or notEmpty/],
    ];
    for (const [c, forQuery, message] of cases) {
      const err = refusal(() => codec.decode({ ...forQuery, cursor: c }));
      expect(err.code).toBe('invalid_cursor');
      expect(err.message).toMatch(message);
    }
    // Valid for at least 24 hours whenever in its hour it was made, and not beyond 25.
    now += 24 * 60 * 60 * 1000 - 1000;
    expect(codec.decode({ ...q, cursor })).toEqual({ key: 'cafe', id: 42 });
    now += 60 * 60 * 1000 + 2000;
    expect(refusal(() => codec.decode({ ...q, cursor })).message).toMatch(/expired/);
  });

  it('never throws anything but invalid_cursor, whatever the text', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_.-]{1,200}$/), (cursor) => {
        try {
          codec.decode({ ...query(), cursor });
        } catch (err) {
          expect((err as ApiError).code).toBe('invalid_cursor');
        }
      }),
    );
  });
});
