import type { Query } from './types.js';

export const unban: Query = {
  name: 'unban',
  args: ['username'],
  description: 'Operators only: lifts the ban on a username',
  arity: 1,
  minArgs: 1,
  operatorOnly: true,
  handle(hub, conn, [username = '']) {
    const result = hub.unban(username);
    if (!result.ok) return void hub.error(conn, result.code, result.text);
    return result.text;
  },
};
