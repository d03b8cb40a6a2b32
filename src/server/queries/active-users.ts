import { answer } from '../commands/rules.js';
import { defineQuery } from './types.js';

export const activeUsers = defineQuery({
  name: 'active_users',
  args: [],
  description: 'The connected usernames, in join order, as a JSON array',
  arity: 0,
  minArgs: 0,
  operatorOnly: false,
  handle(hub) {
    return answer(JSON.stringify(hub.room.usernames()));
  },
});
