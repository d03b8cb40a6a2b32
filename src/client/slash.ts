/**
 * Reading what a person typed into a chat client (the terminal and the web client share
 * this): a line that does not start with `/` is a chat message, `//text` sends `/text`, and
 * anything else is a slash command with its arguments. Pure, browser-safe.
 */

export type ParsedInput =
  | { kind: 'empty' }
  | { kind: 'message'; text: string }
  | { kind: 'command'; name: string; rest: string };

/** Classifies what was typed. Messages are kept exactly as typed (no trimming). */
export function parseInput(line: string): ParsedInput {
  if (line.trim() === '') return { kind: 'empty' };
  if (line.startsWith('//')) return { kind: 'message', text: line.slice(1) };
  if (!line.startsWith('/')) return { kind: 'message', text: line };
  const match = /^\/(\S*)\s*([\s\S]*)$/.exec(line);
  return { kind: 'command', name: (match?.[1] ?? '').toLowerCase(), rest: (match?.[2] ?? '').trim() };
}

/**
 * Splits a name off the front of `rest`: a quoted `"name with spaces"` or the first word.
 * Returns the name and what follows.
 */
export function splitName(rest: string): [string, string] {
  const quoted = /^"([^"]*)"\s*([\s\S]*)$/.exec(rest);
  if (quoted) return [quoted[1] ?? '', (quoted[2] ?? '').trim()];
  const space = rest.search(/\s/);
  return space === -1 ? [rest, ''] : [rest.slice(0, space), rest.slice(space).trim()];
}

/**
 * `/query` arguments: the raw c2 content (`history; 5`), or for convenience a command and
 * one argument separated by a space (`history 5`).
 */
export function splitQuery(rest: string): [string, string[]] {
  if (rest.includes('; ')) {
    // Joined again with "; " on the wire: the frame is exactly what was typed.
    const [command = '', ...args] = rest.split('; ');
    return [command, args];
  }
  const [command, arg] = splitName(rest);
  return [command, arg === '' ? [] : [arg]];
}

/** A query's answer as text: strings as they are, JSON pretty-printed. */
export function formatAnswer(answer: unknown): string {
  return typeof answer === 'string' ? answer : JSON.stringify(answer, null, 2);
}
