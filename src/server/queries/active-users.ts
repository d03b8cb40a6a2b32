import type { Query } from './types.js';

export const activeUsers: Query = {
  name: 'active_users',
  args: [],
  description: 'The connected usernames, in join order, as a JSON array',
  arity: 0,
  minArgs: 0,
  operatorOnly: false,
  handle(hub) {
    return JSON.stringify(hub.room.usernames());
  },
};
