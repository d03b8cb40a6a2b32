import { defineQuery } from './types.js';

export const unban = defineQuery({
  name: 'unban',
  args: ['username'],
  description: 'Operators only: lifts the ban on a username',
  arity: 1,
  minArgs: 1,
  operatorOnly: true,
  handle(hub, _conn, [username = '']) {
    return hub.unban(username);
  },
});
