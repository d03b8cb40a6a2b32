import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatFrame, parseFrame, printable, splitArgs } from '../../src/protocol/grammar.js';
import { anyString } from '../helpers/arbitraries.js';

describe('parseFrame', () => {
  it('splits type and content at the first space', () => {
    expect(parseFrame('c2/MSG hello world')).toEqual({ ok: true, frame: { type: 'MSG', content: 'hello world' } });
    expect(parseFrame('c2/DISCONNECT')).toEqual({ ok: true, frame: { type: 'DISCONNECT', content: '' } });
    expect(parseFrame('c2/MSG  two')).toEqual({ ok: true, frame: { type: 'MSG', content: ' two' } });
    expect(parseFrame('c2/PING ')).toEqual({ ok: true, frame: { type: 'PING', content: '' } });
  });

  it('refuses frames without the prefix or with an ill-formed type', () => {
    for (const bad of ['', 'c2', 'C2/MSG x', 'MSG x', ' c2/MSG x', 'c2/', 'c2/ x', 'c2/msg x', 'c2/M5G', 'c2/MSG\tx']) {
      const r = parseFrame(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
  });

  it('reads any string as a well-formed type and its content, or refuses it with a reason; never throws', () => {
    fc.assert(
      fc.property(anyString(), (s) => {
        for (const data of [s, `c2/${s}`]) {
          const parsed = parseFrame(data);
          if (!parsed.ok) {
            expect(parsed.reason).toMatch(/^(malformed frame|unknown message type)/);
            continue;
          }
          const { type, content } = parsed.frame;
          expect(type).toMatch(/^[A-Z][A-Z_]{0,31}$/);
          // Type and content are the frame itself, split at the first space.
          expect(data).toBe(content === '' && !data.includes(' ') ? `c2/${type}` : `c2/${type} ${content}`);
          const args = splitArgs(content, 3);
          expect(args.length).toBeLessThanOrEqual(3);
          expect(args.join('; ')).toBe(content);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('splitArgs', () => {
  it('keeps the last argument trailing', () => {
    expect(splitArgs('alice; a; b', 2)).toEqual(['alice', 'a; b']);
    expect(splitArgs('a; b; c; d', 3)).toEqual(['a', 'b', 'c; d']);
    expect(splitArgs('a;b', 2)).toEqual(['a;b']);
    expect(splitArgs('', 3)).toEqual([]);
    expect(splitArgs('x', 0)).toEqual([]);
    expect(splitArgs('a; ', 2)).toEqual(['a', '']);
  });

  it('round-trips with formatFrame when only the last argument holds separators', () => {
    const plain = fc.string().filter((s) => !s.includes('; ') && !s.endsWith(';'));
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 5 }), fc.string(), (head, last) => {
        const args = [...head, last];
        const frame = formatFrame('QUERY', args);
        const parsed = parseFrame(frame);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(splitArgs(parsed.frame.content, args.length)).toEqual(args);
      }),
    );
  });
});

describe('printable', () => {
  it('replaces control characters and truncates', () => {
    expect(printable('a\u0000b\nc')).toBe('a\uFFFDb\uFFFDc');
    expect(printable('abcdef', 3)).toBe('abc…');
  });
});
