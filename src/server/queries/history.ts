import { answer, refuse } from '../commands/rules.js';
import { HISTORY_QUERY_MAX } from '../options.js';
import type { StoredMessage } from '../store.js';
import { defineQuery } from './types.js';

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

/**
 * A JSON array of messages (oldest first) that fits in `maxBytes`: the newest of them that
 * fit, or with `from: 'oldest'` the oldest. `count` says how many it holds.
 */
export function messagesThatFit(
  messages: readonly StoredMessage[],
  maxBytes: number,
  from: 'newest' | 'oldest' = 'newest',
): { json: string; count: number } {
  const parts: string[] = [];
  let bytes = 2; // the brackets
  for (let k = 0; k < messages.length; k++) {
    const json = JSON.stringify(messages[from === 'newest' ? messages.length - 1 - k : k]);
    bytes += Buffer.byteLength(json) + (parts.length > 0 ? 1 : 0);
    if (bytes > maxBytes) break;
    parts.push(json);
  }
  if (from === 'newest') parts.reverse();
  return { json: `[${parts.join(',')}]`, count: parts.length };
}

export const history = defineQuery({
  name: 'history',
  args: ['n?'],
  description: `The last n messages (default ${DEFAULT_COUNT}, at most ${HISTORY_QUERY_MAX}), oldest first, as JSON: [{ seq, username, text, time }]`,
  arity: 1,
  minArgs: 0,
  operatorOnly: false,
  handle(hub, _conn, [count]) {
    let n = DEFAULT_COUNT;
    if (count !== undefined) {
      if (!/^[0-9]{1,64}$/.test(count)) {
        return refuse(
          'bad_argument',
          `history needs a whole number of messages, 0 or more (at most ${HISTORY_QUERY_MAX} are sent)`,
        );
      }
      n = Math.min(Number(count), HISTORY_QUERY_MAX);
    }
    return answer(messagesThatFit(hub.engine.last(n), historyAnswerLimit(hub.options.limits.slowConsumerBytes)).json);
  },
});
