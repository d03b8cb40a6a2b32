/**
 * The folded forms the directory is searched and sorted by (contract §12). Pure.
 *
 * Folding makes a search case- and accent-insensitive: compatibility decomposition (NFKD),
 * combining marks dropped, then lower case — "Café" and "CAFE" both fold to "cafe", "ﬁ" to
 * "fi", full-width "ＡＢ" to "ab". The stores keep each entry's folded name (`name_key`, the
 * `sort=name` order, compared code point by code point) and its search text (`search`: the
 * folded name and the folded address, one line each), written by the listing whenever the
 * name or address changes, so that a query compares stored text with a folded `q` and
 * nothing is folded per row at query time. Changing this function means recomputing those
 * columns for every stored entry (a migration).
 */

const MARKS = /\p{M}/gu;

export function fold(text: string): string {
  return text.normalize('NFKD').replace(MARKS, '').toLowerCase();
}

/** The `sort=name` key of a server name. */
export function nameKey(displayName: string): string {
  return fold(displayName);
}

/**
 * What `q` is matched against: the folded name and address on two lines. A `q` never holds
 * a line break (control characters are refused), so it cannot match across the two.
 */
export function searchText(displayName: string, address: string): string {
  return `${fold(displayName)}\n${fold(address)}`;
}
