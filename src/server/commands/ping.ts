import { isValidTimestamp } from '../../protocol/rules.js';
import { refuse } from './rules.js';
import type { Command } from './types.js';

/** `c2/PING [<timestamp_ms>]` → `c2/PING [<timestamp_ms>; ]<server id>`, in any state. */
export const ping: Command = {
  name: 'PING',
  usage: 'c2/PING [<timestamp_ms>]',
  state: 'any',
  arity: 1,
  minArgs: 0,
  operatorOnly: false,
  rateLimited: false,
  handle(hub, conn, [timestamp]) {
    if (timestamp !== undefined && !isValidTimestamp(timestamp)) {
      return refuse('bad_timestamp', 'PING timestamp must be 1 to 16 decimal digits');
    }
    hub.pong(conn, timestamp);
    return undefined;
  },
};
