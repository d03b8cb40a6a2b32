import { answer, refuse } from '../commands/rules.js';
import { defineQuery } from './types.js';

export const op = defineQuery({
  name: 'op',
  args: ['password'],
  description: "Makes you an operator when the password matches the server's operator password",
  arity: 1,
  minArgs: 1,
  operatorOnly: false,
  handle(hub, conn, [password = '']) {
    const result = hub.operators.attempt(conn.remoteAddress, password);
    if (!result.ok) return refuse('op_refused', result.reason);
    conn.grantOperator();
    hub.log.info({ user: conn.username, remote: conn.remoteAddress }, 'operator logged in');
    return answer('you are now an operator');
  },
});
