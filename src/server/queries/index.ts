import { activeUsers } from './active-users.js';
import { help } from './help.js';
import { serverInfo } from './server-info.js';
import type { Query } from './types.js';

/** The query table, in the order `help` lists it. */
export const QUERIES: ReadonlyMap<string, Query> = new Map([help, activeUsers, serverInfo].map((q) => [q.name, q]));
