import { HISTORY_QUERY_MAX } from '../options.js';
import type { Query } from './types.js';

const DEFAULT_COUNT = 50;

export const history: Query = {
  name: 'history',
  args: ['n?'],
  description: `The last n messages (default ${DEFAULT_COUNT}, at most ${HISTORY_QUERY_MAX}), oldest first, as JSON: [{ username, text, time }]`,
  arity: 1,
  minArgs: 0,
  operatorOnly: false,
  handle(hub, conn, [count]) {
    let n = DEFAULT_COUNT;
    if (count !== undefined) {
      if (!/^[0-9]{1,9}$/.test(count)) {
        return void hub.error(
          conn,
          'bad_argument',
          `history needs a whole number of messages, 0 to ${HISTORY_QUERY_MAX}`,
        );
      }
      n = Math.min(Number(count), HISTORY_QUERY_MAX);
    }
    return JSON.stringify(hub.history.last(n));
  },
};
