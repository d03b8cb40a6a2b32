import { DEFAULT_BAN_MESSAGE } from '../options.js';
import { defineQuery } from './types.js';

export const ban = defineQuery({
  name: 'ban',
  args: ['username', 'message?'],
  description: 'Operators only: bans a username (case-insensitive, kept across restarts) and disconnects its holder',
  arity: 2,
  minArgs: 1,
  operatorOnly: true,
  handle(hub, conn, [username = '', message]) {
    return hub.ban(username, message?.trim() ? message : DEFAULT_BAN_MESSAGE, conn);
  },
});
