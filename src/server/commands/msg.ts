import { validateMessageText } from '../../protocol/rules.js';
import { OutcomeUnknown } from '../engine/types.js';
import { refuse } from './rules.js';
import type { Command } from './types.js';

/** `c2/MSG <text>` → everyone, sender included: `c2/MSG <username>; <text>`. */
export const msg: Command = {
  name: 'MSG',
  usage: 'c2/MSG <text>',
  state: 'connected',
  arity: 1,
  minArgs: 1,
  operatorOnly: false,
  rateLimited: true,
  handle(hub, conn, [text = '']) {
    const problem = validateMessageText(text, hub.options.limits.messageMaxLength);
    if (problem) return refuse('bad_message', problem);
    const said = hub.say(conn, text);
    if (!(said instanceof Promise)) return undefined;
    return said.then(
      () => undefined,
      (err) =>
        refuse(
          'unavailable',
          err instanceof OutcomeUnknown
            ? 'the server lost touch with its store while storing your message: if it was stored, everyone (you too) gets it when the store is back'
            : 'the server could not store your message: it was not sent',
        ),
    );
  },
};
