/**
 * The identity of a username on this server: two names with the same identity look alike
 * and cannot be held by two users at once, and a ban on one is a ban on both. It extends
 * the protocol's case-insensitive key (NFKC and case folding, rules.ts) with the Unicode
 * confusables of UTS #39 (the skeleton), so that "аlice" with a Cyrillic "а", "a1ice" or
 * "aIice" cannot pose as a connected "alice".
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

/** UTS #39 skeleton: NFD, each code point replaced by its prototype, NFD again. */
function skeleton(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFD')) out += CONFUSABLES.get(ch) ?? ch;
  return out.normalize('NFD');
}

/** One round: case folding (with NFKC) and the skeleton in turn, "i" merged with "l". */
function fold(text: string): string {
  return skeleton(skeleton(usernameKey(text)).toLowerCase())
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
