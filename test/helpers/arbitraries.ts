/** fast-check arbitraries the property tests share. */
import fc from 'fast-check';

/**
 * Any code point, lone surrogates included, as one string unit. The same strings as
 * fast-check's `unit: 'binary'`, without its table of every code point, which costs about a
 * second to build in each test file that uses it.
 */
const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp));

/** Any string of code points, lone surrogates included (hostile input). */
export function anyString(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: anyCodePoint, ...constraints });
}
