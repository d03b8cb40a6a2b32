import type { Outcome, RowRules } from '../commands/rules.js';
import type { Connection } from '../connection.js';
import type { Maybe } from '../engine/types.js';
import type { ChatHub } from '../hub.js';

/**
 * One row of the query table (`c2/QUERY <name>[; <arg>...]`). Its rules are enforced by
 * the same `checkRow` as the command table's, before `handle`.
 */
export interface Query extends RowRules {
  /** Argument names for `help`; an optional one ends with "?". */
  readonly args: readonly string[];
  readonly description: string;
  /** The ACKNOWLEDGE text, or why the query is refused (an ERROR). */
  handle(hub: ChatHub, conn: Connection, args: string[]): Maybe<Outcome>;
}

/** What a query file declares; `defineQuery` derives the rest. */
export type QueryDefinition = Pick<
  Query,
  'name' | 'args' | 'description' | 'arity' | 'minArgs' | 'operatorOnly' | 'handle'
>;

/**
 * A row of the query table, its usage built once from its arguments. Queries are never
 * rate-limited, and need no state of their own: `c2/QUERY` itself needs a connection.
 */
export function defineQuery(definition: QueryDefinition): Query {
  return { ...definition, usage: `c2/QUERY ${queryUsage(definition)}`, state: 'any', rateLimited: false };
}

/** `c2/QUERY help` shows usage as `name; <arg>[; <optional>]`. */
export function queryUsage(q: Pick<Query, 'name' | 'args'>): string {
  let usage = q.name;
  for (const arg of q.args) usage += arg.endsWith('?') ? `[; <${arg.slice(0, -1)}>]` : `; <${arg}>`;
  return usage;
}
