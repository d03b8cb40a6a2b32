import type { Query } from './types.js';

export const op: Query = {
  name: 'op',
  args: ['password'],
  description: "Makes you an operator when the password matches the server's operator password",
  arity: 1,
  minArgs: 1,
  operatorOnly: false,
  handle(hub, conn, [password = '']) {
    const result = hub.operators.attempt(conn.remoteAddress, password);
    if (!result.ok) return void hub.error(conn, 'op_refused', result.reason);
    conn.operator = true;
    hub.log.info({ user: conn.username, remote: conn.remoteAddress }, 'operator logged in');
    return 'you are now an operator';
  },
};
