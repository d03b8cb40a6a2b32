/**
 * The name rule (src/protocol/names.ts): what a name may contain, its stored form, and the
 * server's identity of a username (src/server/name-identity.ts): what a reader cannot tell
 * apart is one name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mixedScriptProblem, nameCharacterProblem, normalizeName } from '../../src/protocol/names.js';
import {
  normalizeServerName,
  normalizeUsername,
  validateServerName,
  validateUsername,
} from '../../src/protocol/rules.js';
import { nameIdentity } from '../../src/server/name-identity.js';

/** The examples of issue 13, item 5: each looks like "alice" (or is not a character at all). */
const ALICE_PLUS = {
  'U+1D159 (musical null notehead)': 'alice\u{1D159}',
  'U+E000 (private use)': 'alice\uE000',
  'U+0378 (unassigned)': 'alice\u0378',
  'U+200B (zero-width space)': 'ali\u200Bce',
  'U+2060 (word joiner)': 'alice\u2060',
  'U+FE0F (variation selector)': 'alice\uFE0F',
  'U+202E (right-to-left override)': 'alice\u202E',
  'U+3164 (Hangul filler)': 'alice\u3164',
  'U+2800 (Braille blank)': 'alice\u2800',
  'U+FFFF (noncharacter)': 'alice\uFFFF',
  'U+DC00 (lone surrogate)': 'alice\uDC00',
  'U+E0041 (tag)': 'alice\u{E0041}',
};

/** Combining marks a reader does not see on "alice": the same name as "alice". */
const ALICE_MARKED = ['alice\u0323', 'alice\u0331', 'alic\u0327e', 'a\u0326lice', 'ali\u0307ce', 'alİce'];

const LATIN_WORD = fc.stringMatching(/^[a-z]{1,6}$/);
const SPACES = fc.stringMatching(/^[ \u00A0\u2002\u3000]{1,4}$/);

describe('what a name may contain', () => {
  it.each(Object.entries(ALICE_PLUS))('refuses %s', (_what, name) => {
    expect(validateUsername(normalizeUsername(name))).toMatch(/^username may not contain /);
    expect(validateServerName(name)).toMatch(/^may not contain /);
  });

  it('refuses a combining mark with no letter to carry it, a tower of them, another script’s mark', () => {
    expect(nameCharacterProblem('\u0301alice')).toMatch(/not on a letter or digit/);
    expect(nameCharacterProblem('bob \u0323x')).toMatch(/not on a letter or digit/);
    expect(nameCharacterProblem('a.\u0323b')).toMatch(/not on a letter or digit/);
    expect(nameCharacterProblem('alice\u0323\u0331\u0332')).toMatch(/more than 2 combining marks/);
    expect(nameCharacterProblem('alice\u0E3A')).toMatch(/mark of one script/); // Thai phinthu on "e"
    expect(nameCharacterProblem('1\u093C')).toMatch(/mark of one script/); // Devanagari nukta on a digit
  });

  it('server names: refuses Latin, Greek and Cyrillic letters mixed in one word, allows them in separate words', () => {
    for (const name of ['аlice', 'Chаtter Server', 'ΑLICE', 'pаypal']) {
      expect(validateServerName(name), name).toMatch(/mix Latin, Greek and Cyrillic/);
      // A username's look-alikes are the chat server's identity's business (taken, not refused).
      expect(validateUsername(name), name).toBeNull();
    }
    for (const name of ['Москва chat', 'Σ club', 'Саша_dev', 'a1ice', 'Алиса']) {
      expect(mixedScriptProblem(name), name).toBeNull();
    }
  });

  it('accepts names of every script, with the marks they need', () => {
    for (const name of [
      'alice',
      'René',
      'Nguyễn Văn',
      'Adébáyọ̀', // Yoruba: ọ with a grave, two marks where no precomposed letter exists
      'Zoë',
      'नमस्ते', // Devanagari vowel signs and virama
      'สวัสดี', // Thai marks
      'שָׁלוֹם', // Hebrew points
      'مرحبا',
      'こんにちは',
      'がぎ', // dakuten, composed by NFC
      '안녕',
      '😀 team',
      '1⃣', // a keycap on a digit
      'x_y-z.1',
    ]) {
      expect(nameCharacterProblem(normalizeName(name)), name).toBeNull();
    }
  });

  it('never accepts a code point that is unassigned, private use or a surrogate (property)', () => {
    const unassigned = fc
      .integer({ min: 0, max: 0x10ffff })
      .map((cp) => String.fromCodePoint(cp))
      .filter((ch) => /[\p{Cn}\p{Co}\p{Cs}\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(ch));
    fc.assert(
      fc.property(LATIN_WORD, unassigned, fc.nat(), (word, bad, at) => {
        const i = at % (word.length + 1);
        const name = word.slice(0, i) + bad + word.slice(i);
        return validateUsername(normalizeUsername(name)) !== null && validateServerName(name) !== null;
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws, whatever the string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const problem = nameCharacterProblem(s);
        return problem === null || problem.startsWith('may ');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the stored form', () => {
  it('stores each run of spaces as one ordinary space', () => {
    expect(normalizeUsername('Chatter  Server')).toBe('Chatter Server');
    expect(normalizeUsername('a\u00A0\u3000b')).toBe('a b');
    expect(normalizeUsername('Rene\u0301')).toBe('René');
    expect(normalizeServerName('  Chatter \u2003 Server ')).toBe('Chatter Server');
  });

  it('is idempotent and leaves no run of spaces (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 24 }), (s) => {
        const n = normalizeName(s);
        const otherSpace = [...n].some((ch) => ch !== ' ' && /\p{Zs}/u.test(ch));
        return normalizeName(n) === n && !n.includes('  ') && !otherSpace;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the identity of a username', () => {
  const alice = nameIdentity('alice');

  it('makes the marks beneath a letter and a dot on a dotted letter the same name', () => {
    for (const name of ALICE_MARKED) expect(nameIdentity(normalizeUsername(name)), name).toBe(alice);
    // Visible marks above keep names apart.
    for (const other of ['alicé', 'alicè', 'alicë', 'alîce']) expect(nameIdentity(other), other).not.toBe(alice);
  });

  it('counts runs of white space as one', () => {
    expect(nameIdentity('Chatter  Server')).toBe(nameIdentity('Chatter Server'));
    expect(nameIdentity('Chatter\u3000Server')).toBe(nameIdentity('Chatter Server'));
    expect(nameIdentity('ChatterServer')).not.toBe(nameIdentity('Chatter Server'));
  });

  it('does not see a mark below added to any letter (property)', () => {
    const below = fc.constantFrom(
      '\u0323',
      '\u0331',
      '\u0324',
      '\u0325',
      '\u0326',
      '\u0327',
      '\u0328',
      '\u032D',
      '\u0330',
    );
    fc.assert(
      fc.property(LATIN_WORD, below, fc.nat(), (word, mark, at) => {
        const i = (at % word.length) + 1;
        const marked = normalizeUsername(word.slice(0, i) + mark + word.slice(i));
        return nameIdentity(marked) === nameIdentity(word);
      }),
      { numRuns: 3000 },
    );
  });

  it('does not see how many spaces separate two words (property)', () => {
    fc.assert(
      fc.property(LATIN_WORD, SPACES, LATIN_WORD, (a, spaces, b) => {
        const stored = normalizeUsername(`${a}${spaces}${b}`);
        return stored === `${a} ${b}` && nameIdentity(`${a}${spaces}${b}`) === nameIdentity(`${a} ${b}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('the key of a key is itself (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 16 }),
        (s) => nameIdentity(nameIdentity(s)) === nameIdentity(s),
      ),
      { numRuns: 3000 },
    );
  });
});
