import { mixedScriptProblem, nameCharacterProblem, normalizeName } from './names.js';

/**
 * Validation rules of contract §5 and the PING timestamp of §4. Pure functions.
 * Each validator returns `null` when the input is acceptable, else a human-readable reason.
 */

export const DEFAULT_LIMITS = {
  usernameMaxLength: 16,
  messageMaxLength: 2000,
  maxUsers: 50,
  floodRatePerSecond: 5,
  floodBurst: 10,
  frameRatePerSecond: 50,
  frameBurst: 100,
  maxFrameBytes: 16 * 1024,
  slowConsumerBytes: 1024 * 1024,
  registrationTimeoutMs: 30_000,
  heartbeatIntervalMs: 30_000,
} as const;

/** Control characters: Unicode general category Cc. */
const CONTROL = /\p{Cc}/u;
/** Control characters other than `\n` and `\t`, and lone surrogates. */
const FORBIDDEN_IN_TEXT = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\p{Cs}]/u;
const WHITE_SPACE = /^\p{White_Space}|\p{White_Space}$/u;
const ONLY_WHITE_SPACE = /^\p{White_Space}*$/u;

/** Number of Unicode code points (not UTF-16 units). */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * The form of a username the server stores and announces: NFC, and each run of space
 * characters as one ordinary space (names.ts, `normalizeName`).
 */
export function normalizeUsername(name: string): string {
  return normalizeName(name);
}

/**
 * The case-insensitive key of a username: full case folding approximated by upper- then
 * lower-casing (so "Straße" matches "STRASSE"), and compatibility normalisation (NFKC), so
 * full-width or ligature look-alikes of a name collide. The chat server extends it with
 * Unicode's confusables for uniqueness and bans (src/server/name-identity.ts).
 */
export function usernameKey(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/** Validates an already normalised username (`normalizeUsername`). */
export function validateUsername(name: string, maxLength: number = DEFAULT_LIMITS.usernameMaxLength): string | null {
  const length = codePointLength(name);
  if (length === 0) return 'username is empty';
  if (length > maxLength) return `username is longer than ${maxLength} characters`;
  if (name.includes(';')) return 'username may not contain ";"';
  const characters = nameCharacterProblem(name);
  if (characters) return `username ${characters}`;
  if (WHITE_SPACE.test(name)) return 'username may not start or end with white space';
  return null;
}

/** Validates chat message text (contract §5). */
export function validateMessageText(text: string, maxLength: number = DEFAULT_LIMITS.messageMaxLength): string | null {
  if (text.length === 0) return 'message is empty';
  if (ONLY_WHITE_SPACE.test(text)) return 'message is only white space';
  // Cheap upper bound first: a string of n UTF-16 units has at most n code points.
  if (text.length > maxLength && codePointLength(text) > maxLength) {
    return `message is longer than ${maxLength} characters`;
  }
  if (FORBIDDEN_IN_TEXT.test(text)) return 'message may not contain control characters other than newline and tab';
  return null;
}

const TIMESTAMP = /^[0-9]{1,16}$/;

/** A PING timestamp is 1–16 decimal digits, echoed verbatim. */
export function isValidTimestamp(value: string): boolean {
  return TIMESTAMP.test(value);
}

/** Server ids: decimal integers 0 … 2^53−1 in canonical form (no sign, no leading zeros). */
const CANONICAL_ID = /^(0|[1-9][0-9]{0,15})$/;

export function parseServerId(text: string): number | null {
  if (!CANONICAL_ID.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

export function containsControl(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * A server name (contract §7 `serverName`): 1–64 code points, no control characters, not
 * only white space, the character rule of usernames, and no word mixing Latin, Greek and
 * Cyrillic letters (names.ts). The reason is a
 * predicate ("must be …") for the caller to prefix. The name is checked as given and then
 * stored normalised (`normalizeServerName`).
 */
export function validateServerName(name: string): string | null {
  const length = codePointLength(name);
  if (length < 1 || length > 64) return 'must be 1 to 64 characters';
  if (/[\p{Cc}]/u.test(name)) return 'may not contain control characters';
  // Bidirectional overrides, embeddings, isolates and marks reorder how a list shows the
  // name and the text after it ("Trojan Source"); no server name needs them.
  if (/[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u.test(name)) {
    return 'may not contain bidirectional formatting characters';
  }
  if (ONLY_WHITE_SPACE.test(name)) return 'may not be only white space';
  const normal = name.normalize('NFC');
  return nameCharacterProblem(normal) ?? mixedScriptProblem(normal);
}

/**
 * The form of a server name that is stored and shown: NFC, each run of space characters as
 * one ordinary space, no white space at either end. For a name `validateServerName` accepts.
 */
export function normalizeServerName(name: string): string {
  return normalizeName(name).trim();
}
