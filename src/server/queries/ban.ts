import { DEFAULT_BAN_MESSAGE } from '../options.js';
import type { Query } from './types.js';

export const ban: Query = {
  name: 'ban',
  args: ['username', 'message?'],
  description: 'Operators only: bans a username (case-insensitive, kept across restarts) and disconnects its holder',
  arity: 2,
  minArgs: 1,
  operatorOnly: true,
  handle(hub, conn, [username = '', message]) {
    const result = hub.ban(username, message?.trim() ? message : DEFAULT_BAN_MESSAGE);
    if (!result.ok) return void hub.error(conn, result.code, result.text);
    return result.text;
  },
};
