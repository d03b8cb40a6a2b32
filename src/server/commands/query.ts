import { printable, splitArgs } from '../../protocol/grammar.js';
import { QUERIES } from '../queries/index.js';
import { queryUsage } from '../queries/types.js';
import type { Command } from './types.js';

/**
 * `c2/QUERY <command>[; <arg>...]` → `c2/ACKNOWLEDGE <answer>`. The queries have a table
 * of their own (queries/index.ts) whose rows this handler enforces the same way.
 */
export const query: Command = {
  type: 'QUERY',
  usage: 'c2/QUERY <command>[; <arg>...]',
  state: 'connected',
  arity: 2,
  minArgs: 1,
  operatorOnly: false,
  rateLimited: false,
  handle(hub, conn, [name = '', rest = '']) {
    const q = QUERIES.get(name);
    if (!q) return hub.error(conn, 'unknown_query', `unknown query "${printable(name, 32)}": c2/QUERY help lists them`);
    if (q.operatorOnly && !conn.operator) return hub.error(conn, 'not_operator', `${name} is for operators only`);
    const args = splitArgs(rest, q.arity);
    if (args.length < q.minArgs) return hub.error(conn, 'missing_argument', `usage: c2/QUERY ${queryUsage(q)}`);
    const answer = q.handle(hub, conn, args);
    if (answer !== undefined) hub.acknowledge(conn, answer);
  },
};
