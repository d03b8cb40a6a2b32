import { printable } from '../../protocol/grammar.js';
import { andThen } from '../engine/types.js';
import { refuse } from './rules.js';
import type { Command } from './types.js';

/** `c2/UPDATE username; <new name>` → `c2/ACKNOWLEDGE`; everyone: `c2/UPDATE <old>; username; <new>`. */
export const update: Command = {
  name: 'UPDATE',
  usage: 'c2/UPDATE username; <new name>',
  state: 'connected',
  arity: 2,
  minArgs: 2,
  operatorOnly: false,
  rateLimited: true,
  handle(hub, conn, [property = '', raw = '']) {
    if (property !== 'username') {
      return refuse('unknown_property', `unknown property "${printable(property, 32)}": the only property is username`);
    }
    return andThen(hub.claimName(conn, raw), (claim) => {
      if (!claim.ok) return claim;
      // The name already held, exactly: acknowledged with it, nothing broadcast, no flood token spent.
      if (claim.username === conn.username) conn.bucket.refund();
      if (conn.open) hub.rename(conn, claim.username, claim.key);
      return undefined;
    });
  },
};
