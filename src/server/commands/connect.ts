import type { Command } from './types.js';

/** `c2/CONNECT <username>` → `c2/ACKNOWLEDGE <server name>`; others get `c2/CONNECT <username>`. */
export const connect: Command = {
  name: 'CONNECT',
  usage: 'c2/CONNECT <username>',
  state: 'unregistered',
  arity: 1,
  minArgs: 1,
  operatorOnly: false,
  rateLimited: false,
  handle(hub, conn, [raw = '']) {
    const claim = hub.claimName(conn, raw);
    if (!claim.ok) return claim;
    hub.join(conn, claim.username, claim.key);
  },
};
