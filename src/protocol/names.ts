/**
 * The character rule every name follows, a user's (contract §5) and a server's (§7): what a
 * reader sees is what the name is. Pure functions; Node's and browsers' Unicode property
 * escapes (`\p{…}`) do the classifying, so the rule follows the runtime's Unicode version.
 *
 * - No character that has no meaning or shows as nothing: unassigned code points (Cn, which
 *   takes in the noncharacters), private use (Co), lone surrogates (Cs), controls (Cc),
 *   format characters (Cf: zero-width spaces and joiners, bidirectional controls, tags),
 *   line and paragraph separators (Zl, Zp), the default-ignorable code points (variation
 *   selectors, the combining grapheme joiner, Hangul fillers) and symbols drawn blank (the
 *   Braille blank U+2800, the musical null notehead U+1D159).
 * - A combining mark belongs on a letter or digit: none at the start or after a space or a
 *   punctuation mark; at most two on one Latin, Greek, Cyrillic or common character (a
 *   tower of diacritics runs into the lines around it); and a mark of a script of its own
 *   (Thai, Devanagari…) only on a letter of that script, never on a Latin, Greek or
 *   Cyrillic one, a digit or a symbol.
 * - Server names only (`mixedScriptProblem`): one word (a run of letters and marks) takes
 *   its letters from at most one of the Latin, Greek and Cyrillic scripts, whose letters look
 *   alike: "Chаtter" with a Cyrillic "а" is refused (the mixed-script rule of Unicode TR #39,
 *   for the three scripts whose letters are confused with one another).
 *
 * Runs of white space count as one: `normalizeName` stores each run of space characters
 * (Zs) as one ordinary space.
 */

/** Controls, format characters, line and paragraph separators. */
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
/** Code points with no character: unassigned (and noncharacters), private use, lone surrogates. */
const NO_CHARACTER = /[\p{Cn}\p{Co}\p{Cs}]/u;
/**
 * Characters that render as nothing, or as a blank, without being white space: the
 * default-ignorable code points and the symbols drawn blank.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\u2800\u{1D159}]/u;
const MARK = /^\p{M}$/u;
/** What a combining mark may sit on: a letter or a digit (or a mark on one). */
const MARK_BASE = /^[\p{L}\p{N}]$/u;
/** Marks every script uses (the combining diacritics: acute, dot below…). */
const INHERITED_MARK = /^\p{sc=Inherited}$/u;
const LATIN = /^\p{sc=Latin}$/u;
const GREEK = /^\p{sc=Greek}$/u;
const CYRILLIC = /^\p{sc=Cyrillic}$/u;
const COMMON = /^\p{sc=Common}$/u;
const LETTER = /^\p{L}$/u;
const SPACE_RUN = /\p{Zs}+/gu;

/** At most this many combining marks on one Latin, Greek, Cyrillic or common character. */
export const MAX_MARKS_PER_LETTER = 2;

type Bounded = 'Latin' | 'Greek' | 'Cyrillic' | 'Common' | null;

/** The script of a character among the four the rule bounds, else null. */
function boundedScript(ch: string): Bounded {
  if (LATIN.test(ch)) return 'Latin';
  if (GREEK.test(ch)) return 'Greek';
  if (CYRILLIC.test(ch)) return 'Cyrillic';
  if (COMMON.test(ch)) return 'Common';
  return null;
}

/**
 * Why a name's characters are refused, as a predicate for the caller to prefix ("may not
 * contain …"), or null. `name` is already normalised (NFC): a letter and a mark that
 * compose into one character are one character here.
 */
export function nameCharacterProblem(name: string): string | null {
  if (CONTROL_OR_FORMAT.test(name)) return 'may not contain control, format or line-separator characters';
  if (NO_CHARACTER.test(name)) return 'may not contain unassigned, private-use or surrogate code points';
  if (INVISIBLE.test(name)) return 'may not contain invisible characters';
  return markProblem(name);
}

function markProblem(name: string): string | null {
  /** The character the marks that follow sit on (null: none can), and its script. */
  let base: string | null = null;
  let baseScript: Bounded = null;
  let marks = 0;
  for (const ch of name) {
    if (!MARK.test(ch)) {
      base = MARK_BASE.test(ch) ? ch : null;
      baseScript = base === null ? null : boundedScript(base);
      marks = 0;
      continue;
    }
    if (base === null) return 'may not contain a combining mark that is not on a letter or digit';
    if (baseScript === null) continue; // another script's letter: its own marks, stacked as it needs
    marks++;
    if (marks > MAX_MARKS_PER_LETTER) {
      return `may not stack more than ${MAX_MARKS_PER_LETTER} combining marks on one letter`;
    }
    if (INHERITED_MARK.test(ch)) continue;
    if (baseScript === 'Common' || boundedScript(ch) !== baseScript) {
      return 'may not put a mark of one script on a character of another';
    }
  }
  return null;
}

/**
 * Why a name mixes look-alike scripts in one word, or null: a word (a run of letters and
 * marks) takes its letters from at most one of Latin, Greek and Cyrillic. For server names,
 * which are not unique in the listing, so nothing else stops a look-alike; a username's
 * look-alikes are caught by the chat server's identity of names instead (taken, banned or
 * reserved as the name they imitate).
 */
export function mixedScriptProblem(name: string): string | null {
  let script: Bounded = null;
  for (const ch of name) {
    if (MARK.test(ch)) continue;
    if (!LETTER.test(ch)) {
      script = null; // the word ends
      continue;
    }
    const s = boundedScript(ch);
    if (s === null || s === 'Common') continue;
    if (script !== null && s !== script) {
      return 'may not mix Latin, Greek and Cyrillic letters in one word (they look alike)';
    }
    script = s;
  }
  return null;
}

/**
 * The stored form of a name: NFC, and each run of space characters (any Unicode space
 * separator, Zs) as one ordinary space U+0020, so `Chatter  Server` is stored, shown and
 * compared as `Chatter Server`.
 */
export function normalizeName(name: string): string {
  return name.normalize('NFC').replace(SPACE_RUN, ' ');
}
