import { printable } from '../../protocol/grammar.js';
import { normalizeUsername, validateUsername } from '../../protocol/rules.js';
import { nameIdentity } from '../name-identity.js';
import type { Command } from './types.js';

/** `c2/UPDATE username; <new name>` → `c2/ACKNOWLEDGE`; everyone: `c2/UPDATE <old>; username; <new>`. */
export const update: Command = {
  type: 'UPDATE',
  usage: 'c2/UPDATE username; <new name>',
  state: 'connected',
  arity: 2,
  minArgs: 2,
  operatorOnly: false,
  rateLimited: true,
  handle(hub, conn, [property = '', raw = '']) {
    if (property !== 'username') {
      return hub.error(
        conn,
        'unknown_property',
        `unknown property "${printable(property, 32)}": the only property is username`,
      );
    }
    const username = normalizeUsername(raw);
    const problem = validateUsername(username, hub.options.limits.usernameMaxLength);
    if (problem) return hub.error(conn, 'bad_username', problem);
    const key = nameIdentity(username);
    const nameProblem = hub.nameUnavailable(key, conn);
    if (nameProblem) return hub.error(conn, nameProblem.code, nameProblem.text(username));
    hub.rename(conn, username, key);
  },
};
