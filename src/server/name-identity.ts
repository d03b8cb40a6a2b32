/**
 * The identity of a username on this server: two names with the same identity look alike
 * and cannot be held by two users at once, and a ban on one is a ban on both. It extends
 * the protocol's case-insensitive key (NFKC and case folding, rules.ts) with the Unicode
 * confusables of UTS #39 (the skeleton), so that "аlice" with a Cyrillic "а", "a1ice" or
 * "aIice" cannot pose as a connected "alice"; and it drops what a reader does not see:
 * default-ignorable characters, marks beneath a letter (`alice` + U+0323), a dot above a
 * dotted letter, and the difference between one space and several (`Chatter  Server`).
 * What names may contain at all is the protocol's rule (src/protocol/names.ts).
 *
 * Server-only: the confusables table (~6,300 entries, from the unhomoglyph package, which
 * ships Unicode's confusables.txt as JSON) stays out of the browser bundle.
 */
import { createRequire } from 'node:module';
import { usernameKey } from '../protocol/rules.js';

const require = createRequire(import.meta.url);
/** Source code point → its prototype (one or more code points), as in confusables.txt. */
const CONFUSABLES: ReadonlyMap<string, string> = new Map(
  Object.entries(require('unhomoglyph/data.json') as Record<string, string>),
);

/**
 * Marks drawn beneath the letter (canonical combining classes 202, 218, 220, 222 and 233
 * among the marks every script shares, but the Greek iota subscript, which capitals write
 * as a letter): dot, line, comma, cedilla, ogonek… below. At the
 * size of a chat line a reader does not see them, so `alice` with U+0323 or U+0331 under its
 * "e" is `alice`. Listed from the Unicode Character Database (marks of Unicode 14).
 */
const MARK_BELOW =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: a class of lone combining marks, on purpose
  /[\u0316-\u0319\u031C-\u0333\u0339-\u033C\u0347-\u0349\u034D-\u034E\u0353-\u0356\u0359-\u035A\u035C\u035F\u0362\u0655\u0952\u1AB5-\u1ABA\u1ABD\u1ABF-\u1AC0\u1AC3-\u1AC4\u1ACA\u1CD5-\u1CD9\u1CDC-\u1CDF\u1CED\u1DC2\u1DCA\u1DCF-\u1DD0\u1DF9-\u1DFA\u1DFC-\u1DFD\u1DFF\u20E8\u20EC-\u20EF\u302A\u302D\uFE27-\uFE2D\u{101FD}\u{102E0}\u{1D17B}-\u{1D182}\u{1D18A}-\u{1D18B}]/gu;
/** A dot above on a letter that has a dot of its own (i, j…): it does not show. */
const DOT_ON_DOTTED = /(\p{Soft_Dotted}\p{M}*?)\u0307/gu;
/** Characters that show as nothing (names refuse them; old bans may hold them). */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const WHITE_SPACE_RUN = /\p{White_Space}+/gu;

/** What a reader does not see: ignorables, marks below, a dot on a dotted letter; white space runs as one. */
function unseen(text: string): string {
  return text
    .normalize('NFD')
    .replace(IGNORABLE, '')
    .replace(MARK_BELOW, '')
    .replace(DOT_ON_DOTTED, '$1')
    .replace(WHITE_SPACE_RUN, ' ')
    .trim();
}

/** UTS #39 skeleton: NFD, each code point replaced by its prototype, NFD again. */
function skeleton(text: string): string {
  let out = '';
  for (const ch of unseen(text)) out += CONFUSABLES.get(ch) ?? ch;
  return unseen(out);
}

/** One round: case folding (with NFKC) and the skeleton in turn, "i" merged with "l". */
function fold(text: string): string {
  return skeleton(skeleton(usernameKey(unseen(text))).toLowerCase())
    .toLowerCase()
    .replaceAll('i', 'l');
}

/**
 * The identity key of a username. Case folding and the skeleton are applied in turn, and
 * "i" is merged with "l": the skeleton maps a capital "I" to "l" while case folding maps it
 * to "i", so only one class for the three keeps the key both case-insensitive and blind to
 * I/l/1/| swaps. Repeated until nothing changes (a prototype may itself fold further, as
 * "%" becomes "º/₀"), so the key of a key is itself.
 */
export function nameIdentity(name: string): string {
  let key = fold(name);
  for (let round = 0; round < 8; round++) {
    const next = fold(key);
    if (next === key) return key;
    key = next;
  }
  return key;
}
