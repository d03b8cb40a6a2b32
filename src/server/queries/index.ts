import { activeUsers } from './active-users.js';
import { ban } from './ban.js';
import { helpQuery } from './help.js';
import { history } from './history.js';
import { historyAfter } from './history-after.js';
import { op } from './op.js';
import { serverInfo } from './server-info.js';
import type { Query } from './types.js';
import { unban } from './unban.js';

/** The query table, in the order `help` lists it: the handler of any query is one hop from here. */
export const QUERIES: ReadonlyMap<string, Query> = new Map(
  [helpQuery(() => QUERIES.values()), activeUsers, serverInfo, history, historyAfter, op, ban, unban].map((q) => [
    q.name,
    q,
  ]),
);
