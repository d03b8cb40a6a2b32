import { answer, refuse } from '../commands/rules.js';
import { andThen } from '../engine/types.js';
import { HISTORY_QUERY_MAX } from '../options.js';
import { historyAnswerLimit, messagesThatFit } from './history.js';
import { defineQuery } from './types.js';

/** An epoch as the server makes them (16 hex digits), or as another server might: a short token. */
const EPOCH = /^[0-9A-Za-z_-]{1,64}$/;
/** A seq: 0 … 2^53−1, canonical decimal. */
const SEQ = /^(0|[1-9][0-9]{0,15})$/;
const COUNT = /^[1-9][0-9]{0,2}$/;

/**
 * `history_after; <epoch>; <seq>[; <n>]` (contract §10): the messages after a position, for a
 * client that reconnects. Answered from the ring in memory when it holds them (a reconnect
 * storm reads nothing from the store), bounded to n messages and the history answer's size.
 */
export const historyAfter = defineQuery({
  name: 'history_after',
  args: ['epoch', 'seq', 'n?'],
  description: `The messages after seq in the sequence (at most n, default and maximum ${HISTORY_QUERY_MAX}), to catch up after a reconnect, as JSON: { epoch, lastSeq, recovered, more, messages: [{ seq, username, text, time }] }`,
  arity: 3,
  minArgs: 2,
  operatorOnly: false,
  handle(hub, _conn, [epoch = '', seqText = '', countText]) {
    if (!EPOCH.test(epoch)) {
      return refuse('bad_argument', 'history_after needs an epoch: the "epoch" of server_info');
    }
    const seq = Number(seqText);
    if (!SEQ.test(seqText) || !Number.isSafeInteger(seq)) {
      return refuse('bad_argument', 'history_after needs a seq: a whole number, 0 or more');
    }
    let n = HISTORY_QUERY_MAX;
    if (countText !== undefined && countText !== '') {
      if (!COUNT.test(countText) || Number(countText) > HISTORY_QUERY_MAX) {
        return refuse('bad_argument', `history_after takes 1 to ${HISTORY_QUERY_MAX} messages`);
      }
      n = Number(countText);
    }
    const log = hub.engine;
    const sameEpoch = epoch === log.epoch;
    if (sameEpoch && seq > log.lastSeq) {
      return refuse(
        'bad_argument',
        `seq ${seq} is after the last message of this epoch (${log.lastSeq}): ask server_info for the current position`,
      );
    }
    return andThen(sameEpoch ? log.after(seq, n) : null, (found) => {
      // Read when the answer is written (a cluster node may have delivered more meanwhile).
      const lastSeq = log.lastSeq;
      // The envelope takes a little of the bound; the messages get the rest.
      const bound = historyAnswerLimit(hub.options.limits.slowConsumerBytes) - 200;
      if (found?.retained && epoch === log.epoch) {
        const { json, count } = messagesThatFit(found.messages, bound, 'oldest');
        const more = (found.messages[count - 1]?.seq ?? seq) < lastSeq;
        return page(log.epoch, lastSeq, true, more, json);
      }
      // Another epoch, or seq + 1 is no longer kept: the most recent messages, and say so.
      return page(log.epoch, lastSeq, false, false, messagesThatFit(log.last(n), bound).json);
    });
  },
});

function page(epoch: string, lastSeq: number, recovered: boolean, more: boolean, messages: string) {
  return answer(
    `{"epoch":${JSON.stringify(epoch)},"lastSeq":${lastSeq},"recovered":${recovered},"more":${more},"messages":${messages}}`,
  );
}
