import { normalizeUsername, validateUsername } from '../../protocol/rules.js';
import { nameIdentity } from '../name-identity.js';
import type { Command } from './types.js';

/** `c2/CONNECT <username>` → `c2/ACKNOWLEDGE <server name>`; others get `c2/CONNECT <username>`. */
export const connect: Command = {
  type: 'CONNECT',
  usage: 'c2/CONNECT <username>',
  state: 'unregistered',
  arity: 1,
  minArgs: 1,
  operatorOnly: false,
  rateLimited: false,
  handle(hub, conn, [raw = '']) {
    const username = normalizeUsername(raw);
    const problem = validateUsername(username, hub.options.limits.usernameMaxLength);
    if (problem) return hub.error(conn, 'bad_username', problem);
    if (hub.room.size >= hub.options.maxUsers) {
      return hub.error(conn, 'server_full', `server is full (${hub.options.maxUsers} users)`);
    }
    const key = nameIdentity(username);
    const nameProblem = hub.nameUnavailable(key, conn);
    if (nameProblem) return hub.error(conn, nameProblem.code, nameProblem.text(username));
    hub.join(conn, username, key);
  },
};
