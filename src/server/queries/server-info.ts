import { VERSION } from '../../version.js';
import { answer } from '../commands/rules.js';
import { andThen } from '../engine/types.js';
import { defineQuery } from './types.js';

export const serverInfo = defineQuery({
  name: 'server_info',
  args: [],
  description:
    'This server as JSON: { id, name, connectedUsers, maxUsers, announceLimit, version, epoch, lastSeq, you } (announceLimit: joins and leaves are not announced while more users than this are connected; lastSeq: the seq of the last message sent to you before this answer; you: your name as the server holds it)',
  arity: 0,
  minArgs: 0,
  operatorOnly: false,
  handle(hub, conn) {
    return andThen(hub.engine.userCount(), (connectedUsers) => {
      const { id, name, maxUsers, announceLimit } = hub.options;
      // Read when the answer is written: lastSeq counts every message sent to this connection before it.
      const { epoch, lastSeq } = hub.engine;
      return answer(
        JSON.stringify({
          id,
          name,
          connectedUsers,
          maxUsers,
          announceLimit,
          version: VERSION,
          epoch,
          lastSeq,
          you: conn.username,
        }),
      );
    });
  },
});
