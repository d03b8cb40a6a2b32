import { HISTORY_QUERY_MAX } from '../options.js';
import type { StoredMessage } from '../store.js';
import type { Query } from './types.js';

const DEFAULT_COUNT = 50;

/**
 * The answer's size bound: 512 KiB of JSON, and never more than half the slow-consumer
 * limit. 500 messages of 2,000 four-byte characters would make 4 MB, and one reply past
 * that limit would drop the very client that asked for it as a slow consumer.
 */
export const HISTORY_ANSWER_MAX_BYTES = 512 * 1024;

export function historyAnswerLimit(slowConsumerBytes: number): number {
  return Math.min(HISTORY_ANSWER_MAX_BYTES, Math.floor(slowConsumerBytes / 2));
}

/** The JSON array of the newest of `messages` (oldest first) whose encoding fits in `maxBytes`. */
function newestThatFit(messages: readonly StoredMessage[], maxBytes: number): string {
  const parts: string[] = [];
  let bytes = 2; // the brackets
  for (let i = messages.length - 1; i >= 0; i--) {
    const json = JSON.stringify(messages[i]);
    bytes += Buffer.byteLength(json) + (parts.length > 0 ? 1 : 0);
    if (bytes > maxBytes) break;
    parts.push(json);
  }
  return `[${parts.reverse().join(',')}]`;
}

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
    return newestThatFit(hub.messages.last(n), historyAnswerLimit(hub.options.limits.slowConsumerBytes));
  },
};
