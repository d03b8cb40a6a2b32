import { andThen } from '../engine/types.js';
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
    return andThen(hub.claimName(conn, raw), (claim) => {
      if (!claim.ok) return claim;
      hub.join(conn, claim.username, claim.key);
      return undefined;
    });
  },
};
