import { answer } from '../commands/rules.js';
import { defineQuery, type Query } from './types.js';

/** `help` lists the table it is given (itself included); the answer is built once. */
export function helpQuery(table: () => Iterable<Query>): Query {
  let listing: string | undefined;
  return defineQuery({
    name: 'help',
    args: [],
    description: 'Lists every query: its name, its arguments (optional ones end with "?") and what it does',
    arity: 0,
    minArgs: 0,
    operatorOnly: false,
    handle() {
      listing ??= JSON.stringify([...table()].map(({ name, args, description }) => ({ name, args, description })));
      return answer(listing);
    },
  });
}
