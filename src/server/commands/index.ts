import { connect } from './connect.js';
import { disconnect } from './disconnect.js';
import { msg } from './msg.js';
import { ping } from './ping.js';
import { query } from './query.js';
import type { Command } from './types.js';
import { update } from './update.js';

/** The command table: the handler of any c2 message is one hop from here. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [connect, msg, query, update, disconnect, ping].map((c) => [c.name, c]),
);
