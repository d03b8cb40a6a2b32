import type { Connection } from '../connection.js';
import type { ChatHub } from '../hub.js';

/** One row of the query table (`c2/QUERY <name>[; <arg>...]`). */
export interface Query {
  name: string;
  /** Argument names for `help`; an optional one ends with "?". */
  args: string[];
  description: string;
  /** The arguments after the name split into at most this many; the last is trailing. */
  arity: number;
  minArgs: number;
  operatorOnly: boolean;
  /** Returns the ACKNOWLEDGE text, or undefined when it has replied itself (an ERROR). */
  handle(hub: ChatHub, conn: Connection, args: string[]): string | undefined;
}

/** `c2/QUERY help` shows usage as `name; <arg>[; <optional>]`. */
export function queryUsage(q: Pick<Query, 'name' | 'args'>): string {
  let usage = q.name;
  for (const arg of q.args) usage += arg.endsWith('?') ? `[; <${arg.slice(0, -1)}>]` : `; <${arg}>`;
  return usage;
}
