/**
 * The c2 frame grammar (contract §2): `c2/<TYPE>` optionally followed by one space and
 * the content. Arguments inside the content are separated by `"; "`, and the last
 * argument of every message type is trailing: it runs to the end of the frame.
 *
 * Pure string code: no I/O, no Node-only imports (shared by server, clients and browser).
 */

export const PREFIX = 'c2/';
export const SEPARATOR = '; ';

/** A frame split into its type and raw content, before any per-type interpretation. */
export interface RawFrame {
  /** The TYPE, exactly as sent (case-sensitive). */
  type: string;
  /** Everything after the first space; `''` when the frame has no content. */
  content: string;
}

export type FrameParseResult = { ok: true; frame: RawFrame } | { ok: false; reason: string };

const TYPE_PATTERN = /^[A-Z][A-Z_]*$/;

/**
 * Splits a frame into type and content. Never throws. A frame with the prefix but an
 * ill-formed type (empty, lower case, digits…) is refused here; whether a well-formed
 * type is *known* is the caller's business.
 */
export function parseFrame(data: string): FrameParseResult {
  if (!data.startsWith(PREFIX)) {
    return { ok: false, reason: 'malformed frame: a c2 message starts with "c2/"' };
  }
  const space = data.indexOf(' ', PREFIX.length);
  const type = space === -1 ? data.slice(PREFIX.length) : data.slice(PREFIX.length, space);
  if (type.length === 0) {
    return { ok: false, reason: 'malformed frame: missing message type after "c2/"' };
  }
  if (type.length > 32 || !TYPE_PATTERN.test(type)) {
    return { ok: false, reason: `unknown message type "${printable(type, 32)}"` };
  }
  return { ok: true, frame: { type, content: space === -1 ? '' : data.slice(space + 1) } };
}

/**
 * Splits content into at most `max` arguments; the last one is trailing and keeps any
 * further separators. Empty content gives no arguments.
 */
export function splitArgs(content: string, max: number): string[] {
  if (content.length === 0 || max <= 0) return [];
  const args: string[] = [];
  let start = 0;
  while (args.length < max - 1) {
    const at = content.indexOf(SEPARATOR, start);
    if (at === -1) break;
    args.push(content.slice(start, at));
    start = at + SEPARATOR.length;
  }
  args.push(content.slice(start));
  return args;
}

/** Formats `c2/TYPE arg0; arg1; …`; with no arguments, just `c2/TYPE`. */
export function formatFrame(type: string, args: readonly string[] = []): string {
  return args.length === 0 ? PREFIX + type : `${PREFIX}${type} ${args.join(SEPARATOR)}`;
}

/** A short, single-line, printable rendering of untrusted text for error messages. */
export function printable(text: string, max = 40): string {
  let out = '';
  let count = 0;
  for (const ch of text) {
    if (count === max) return `${out}…`;
    const cp = ch.codePointAt(0) ?? 0;
    out += cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) ? '\uFFFD' : ch;
    count++;
  }
  return out;
}
