import type { Connection } from '../connection.js';
import type { Maybe } from '../engine/types.js';
import type { ChatHub } from '../hub.js';
import type { Refusal, RowRules } from './rules.js';

export type { RequiredState } from './rules.js';

/**
 * One row of the command table: a c2 message type (`name`, the wire type after `c2/`). The
 * dispatcher enforces its rules (`checkRow`) before calling `handle`, so handlers never
 * repeat them.
 */
export interface Command extends RowRules {
  /**
   * Does the command, or returns why not: the dispatcher answers a refusal with `c2/ERROR`
   * and, for a rate-limited row, gives its flood token back (a refused request is not sent,
   * so it does not count against the flood allowance).
   */
  handle(hub: ChatHub, conn: Connection, args: string[]): Maybe<Refusal | undefined>;
}
