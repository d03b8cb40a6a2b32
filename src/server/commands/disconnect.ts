import type { Command } from './types.js';

/** `c2/DISCONNECT` → `c2/ACKNOWLEDGE`, close 1000; others: `c2/DISCONNECT disconnect; <username>`. */
export const disconnect: Command = {
  name: 'DISCONNECT',
  usage: 'c2/DISCONNECT',
  state: 'connected',
  arity: 0,
  minArgs: 0,
  operatorOnly: false,
  rateLimited: false,
  handle(hub, conn) {
    hub.acknowledge(conn);
    hub.leave(conn, 'disconnect');
    return undefined;
  },
};
