import { answer } from '../commands/rules.js';
import { andThen } from '../engine/types.js';
import { defineQuery } from './types.js';

export const activeUsers = defineQuery({
  name: 'active_users',
  args: [],
  description: 'The connected usernames, in join order, as a JSON array',
  arity: 0,
  minArgs: 0,
  operatorOnly: false,
  handle(hub) {
    return andThen(hub.engine.usernames(), (names) => answer(JSON.stringify(names)));
  },
});
