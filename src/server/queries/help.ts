import { QUERIES } from './index.js';
import type { Query } from './types.js';

export const help: Query = {
  name: 'help',
  args: [],
  description: 'Lists every query: its name, its arguments (optional ones end with "?") and what it does',
  arity: 0,
  minArgs: 0,
  operatorOnly: false,
  handle() {
    return JSON.stringify([...QUERIES.values()].map(({ name, args, description }) => ({ name, args, description })));
  },
};
