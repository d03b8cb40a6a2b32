import type { Connection } from '../connection.js';
import type { ChatHub } from '../hub.js';
import type { RowRules } from './rules.js';

export type { RequiredState } from './rules.js';

/**
 * One row of the command table: a c2 message type (`name`, the wire type after `c2/`). The
 * dispatcher enforces its rules (`checkRow`) before calling `handle`, so handlers never
 * repeat them.
 */
export interface Command extends RowRules {
  handle(hub: ChatHub, conn: Connection, args: string[]): void;
}
