import { printable } from '../protocol/grammar.js';

/** Left-aligned text columns for a terminal, one space-padded row per line. */
export function formatTable(header: string[], rows: string[][]): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => printable(cell, 40)));
  const widths = header.map((_, c) => Math.max(...cells.map((row) => [...(row[c] ?? '')].length)));
  return cells
    .map((row) =>
      row
        .map((cell, c) => (c === row.length - 1 ? cell : cell + ' '.repeat((widths[c] ?? 0) - [...cell].length)))
        .join('  '),
    )
    .join('\n');
}
