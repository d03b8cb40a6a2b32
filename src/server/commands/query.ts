import { printable, splitArgs } from '../../protocol/grammar.js';
import { andThen } from '../engine/types.js';
import { QUERIES } from '../queries/index.js';
import { checkRow, refuse } from './rules.js';
import type { Command } from './types.js';

/**
 * `c2/QUERY <command>[; <arg>...]` → `c2/ACKNOWLEDGE <answer>`. The queries have a table
 * of their own (queries/index.ts) whose rows the same `checkRow` enforces.
 */
export const query: Command = {
  name: 'QUERY',
  usage: 'c2/QUERY <command>[; <arg>...]',
  state: 'connected',
  arity: 2,
  minArgs: 1,
  operatorOnly: false,
  rateLimited: false,
  handle(hub, conn, [name = '', rest = '']) {
    const q = QUERIES.get(name);
    if (!q) return refuse('unknown_query', `unknown query "${printable(name, 32)}": c2/QUERY help lists them`);
    // A query that takes no arguments refuses some, rather than ignoring what the client meant.
    if (q.arity === 0 && rest !== '') return refuse('too_many_arguments', `${name} takes no arguments`);
    const args = splitArgs(rest, q.arity);
    const outcome = checkRow(q, conn, args.length, hub.options.limits) ?? q.handle(hub, conn, args);
    return andThen(outcome, (o) => {
      hub.reply(conn, o);
      return undefined;
    });
  },
};
