/**
 * The input line's text and cursor, as an immutable value with pure edits. Positions count
 * code points, so the cursor never lands inside an emoji's surrogate pair.
 */
export interface Line {
  readonly chars: readonly string[];
  readonly cursor: number;
}

export const emptyLine: Line = { chars: [], cursor: 0 };

export function lineOf(text: string): Line {
  const chars = Array.from(text);
  return { chars, cursor: chars.length };
}

export function textOf(line: Line): string {
  return line.chars.join('');
}

export function insert(line: Line, text: string): Line {
  const add = Array.from(text);
  return {
    chars: [...line.chars.slice(0, line.cursor), ...add, ...line.chars.slice(line.cursor)],
    cursor: line.cursor + add.length,
  };
}

export function backspace(line: Line): Line {
  if (line.cursor === 0) return line;
  return {
    chars: [...line.chars.slice(0, line.cursor - 1), ...line.chars.slice(line.cursor)],
    cursor: line.cursor - 1,
  };
}

export function deleteForward(line: Line): Line {
  if (line.cursor === line.chars.length) return line;
  return { chars: [...line.chars.slice(0, line.cursor), ...line.chars.slice(line.cursor + 1)], cursor: line.cursor };
}

export function move(line: Line, by: number): Line {
  return { ...line, cursor: Math.min(line.chars.length, Math.max(0, line.cursor + by)) };
}

export function home(line: Line): Line {
  return { ...line, cursor: 0 };
}

export function end(line: Line): Line {
  return { ...line, cursor: line.chars.length };
}

/** Ctrl+W: deletes the word before the cursor (and the spaces after it). */
export function deleteWordBack(line: Line): Line {
  let start = line.cursor;
  while (start > 0 && line.chars[start - 1] === ' ') start--;
  while (start > 0 && line.chars[start - 1] !== ' ') start--;
  return { chars: [...line.chars.slice(0, start), ...line.chars.slice(line.cursor)], cursor: start };
}

/** Ctrl+U: deletes everything before the cursor. */
export function deleteToStart(line: Line): Line {
  return { chars: line.chars.slice(line.cursor), cursor: 0 };
}

/**
 * Tab: completes the word before the cursor to the one name in `names` it starts
 * (case-insensitively); several candidates complete to their common prefix. A completed
 * name at the start of the line gets ": " after it, elsewhere a space.
 */
export function complete(line: Line, names: readonly string[]): Line {
  let start = line.cursor;
  while (start > 0 && line.chars[start - 1] !== ' ') start--;
  const word = line.chars.slice(start, line.cursor).join('');
  if (word === '' || word.startsWith('/')) return line;
  const lower = word.toLowerCase();
  const matches = names.filter((n) => n.toLowerCase().startsWith(lower));
  if (matches.length === 0) return line;
  const replacement =
    matches.length === 1 ? `${matches[0]}${start === 0 ? ': ' : ' '}` : commonPrefix(matches, word.length);
  const add = Array.from(replacement);
  return {
    chars: [...line.chars.slice(0, start), ...add, ...line.chars.slice(line.cursor)],
    cursor: start + add.length,
  };
}

function commonPrefix(names: readonly string[], atLeast: number): string {
  const first = Array.from(names[0] ?? '');
  let n = first.length;
  for (const name of names) {
    const chars = Array.from(name);
    let i = 0;
    while (i < n && i < chars.length && chars[i]?.toLowerCase() === first[i]?.toLowerCase()) i++;
    n = i;
  }
  return first.slice(0, Math.max(n, atLeast)).join('');
}

/**
 * The part of the line to show in `width` columns, keeping the cursor in view (at the end
 * of the line the cursor takes a column of its own): the visible characters and the
 * cursor's position among them.
 */
export function visibleWindow(line: Line, width: number): { chars: readonly string[]; cursor: number } {
  const w = Math.max(1, width);
  const start = Math.max(0, Math.min(line.cursor - w + 1, line.chars.length + 1 - w));
  return { chars: line.chars.slice(start, start + w), cursor: line.cursor - start };
}
