import type { Connection } from '../connection.js';
import type { ChatHub } from '../hub.js';

/** In which connection state a command is accepted (contract §3). */
export type RequiredState = 'unregistered' | 'connected' | 'any';

/**
 * One row of the command table. The dispatcher enforces `state`, `minArgs`,
 * `operatorOnly` and `rateLimited` before calling `handle`, so handlers never repeat them.
 */
export interface Command {
  /** Wire type after `c2/`. */
  type: string;
  /** How the content is shown to users: `c2/MSG <text>`. */
  usage: string;
  state: RequiredState;
  /** The content splits into at most this many arguments; the last one is trailing. */
  arity: number;
  minArgs: number;
  operatorOnly: boolean;
  /** Counts against the per-connection flood bucket (commands that broadcast). */
  rateLimited: boolean;
  handle(hub: ChatHub, conn: Connection, args: string[]): void;
}
