import type { ErrorCode } from '../../protocol/error-codes.js';
import type { Connection } from '../connection.js';
import type { ChatLimits } from '../options.js';

/** In which connection state a row is accepted (contract §3). */
export type RequiredState = 'unregistered' | 'connected' | 'any';

/**
 * What a row of the command table or of the query table declares about itself. `checkRow`
 * enforces it before the handler runs, so handlers never repeat these checks.
 */
export interface RowRules {
  /** How refusals name the row: the message type (`MSG`) or the query (`ban`). */
  readonly name: string;
  /** Shown when an argument is missing: `c2/MSG <text>`. */
  readonly usage: string;
  readonly state: RequiredState;
  /** The content splits into at most this many arguments; the last one is trailing. */
  readonly arity: number;
  readonly minArgs: number;
  readonly operatorOnly: boolean;
  /** Counts against the per-connection flood bucket (what broadcasts). */
  readonly rateLimited: boolean;
}

/** A refused request: the ERROR's code (counted in metrics) and reason. */
export interface Refusal {
  ok: false;
  code: ErrorCode;
  text: string;
}

/** What a handler answers: the ACKNOWLEDGE text, or a refusal. */
export type Outcome = { ok: true; text: string } | Refusal;

export function refuse(code: ErrorCode, text: string): Refusal {
  return { ok: false, code, text };
}

export function answer(text: string): Outcome {
  return { ok: true, text };
}

/**
 * The one place a row's rules are enforced, for both tables, in this order: the state, the
 * operator's right (before the arguments, so usage is not shown to those who may not use
 * it), the arguments, then the flood bucket — last, so that a refused request costs no
 * token. Null when the request may go on (the flood token, if any, is then spent).
 */
export function checkRow(row: RowRules, conn: Connection, argCount: number, limits: ChatLimits): Refusal | null {
  if (row.state === 'connected' && conn.state !== 'connected') {
    return refuse('not_connected', `${row.name} needs a connection: send c2/CONNECT <username> first`);
  }
  if (row.state === 'unregistered' && conn.state === 'connected') {
    return refuse('already_connected', `already connected as "${conn.username}"`);
  }
  if (row.operatorOnly && !conn.operator) return refuse('not_operator', `${row.name} is for operators only`);
  if (argCount < row.minArgs) return refuse('missing_argument', `usage: ${row.usage}`);
  if (row.rateLimited && !conn.bucket.take()) {
    return refuse(
      'flood',
      `too many messages: at most ${limits.floodRatePerSecond} a second, in bursts of ${limits.floodBurst}; this one was not sent`,
    );
  }
  return null;
}
