import { activeUsers } from './active-users.js';
import { ban } from './ban.js';
import { help } from './help.js';
import { history } from './history.js';
import { historyAfter } from './history-after.js';
import { op } from './op.js';
import { serverInfo } from './server-info.js';
import type { Query } from './types.js';
import { unban } from './unban.js';

/** The query table, in the order `help` lists it. */
export const QUERIES: ReadonlyMap<string, Query> = new Map(
  [help, activeUsers, serverInfo, history, historyAfter, op, ban, unban].map((q) => [q.name, q]),
);
