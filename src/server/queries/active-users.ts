import { answer, refuse } from '../commands/rules.js';
import { andThen } from '../engine/types.js';
import { historyAnswerLimit } from './history.js';
import { defineQuery } from './types.js';

/** The most names one `active_users; <offset>; <count>` answers (a page). */
export const ACTIVE_USERS_PAGE_MAX = 1000;

const WHOLE_NUMBER = /^[0-9]{1,64}$/;

/**
 * The connected users in join order. Without arguments, all of them (the seed's form),
 * as long as the list fits the answer bound; with `<offset>[; <count>]`, a page of at most
 * 1,000, so a client of a room of 100,000 loads the list on demand (PROTOCOL.md, "Large
 * rooms"). Offsets shift as users leave: a page is a view of the list at the time it is
 * answered, not a cursor.
 */
export const activeUsers = defineQuery({
  name: 'active_users',
  args: ['offset?', 'count?'],
  description: `The connected usernames, in join order, as a JSON array: all of them, or count (default and at most ${ACTIVE_USERS_PAGE_MAX}) from position offset (0 is the first to join)`,
  arity: 2,
  minArgs: 0,
  operatorOnly: false,
  handle(hub, _conn, [offset, count]) {
    if (offset === undefined) {
      return andThen(hub.engine.usernames(), (names) => {
        const json = JSON.stringify(names);
        if (Buffer.byteLength(json) <= historyAnswerLimit(hub.options.limits.slowConsumerBytes)) return answer(json);
        return refuse(
          'too_large',
          `${names.length} users are connected, too many for one answer: ask for them a page at a time with active_users; <offset>; <count> (at most ${ACTIVE_USERS_PAGE_MAX} a page)`,
        );
      });
    }
    if (!WHOLE_NUMBER.test(offset)) {
      return refuse('bad_argument', 'active_users needs a whole number offset, 0 or more (0 is the first to join)');
    }
    let n = ACTIVE_USERS_PAGE_MAX;
    if (count !== undefined) {
      if (!WHOLE_NUMBER.test(count) || Number(count) < 1) {
        return refuse(
          'bad_argument',
          `active_users needs a whole number page size, 1 or more (at most ${ACTIVE_USERS_PAGE_MAX} are sent)`,
        );
      }
      n = Math.min(Number(count), ACTIVE_USERS_PAGE_MAX);
    }
    return andThen(hub.engine.usernames(Number(offset), n), (names) => answer(JSON.stringify(names)));
  },
});
