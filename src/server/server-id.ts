import { randomInt } from 'node:crypto';
import { parseServerId } from '../protocol/rules.js';
import type { ServerStore } from './store.js';

const ID_KEY = 'server_id';

/**
 * The server's id: the one given (which is then remembered), else the one remembered in the
 * store, else a new random one (remembered). Random ids are below 2^48 so they stay short
 * while collisions between servers stay unlikely.
 */
export function resolveServerId(store: ServerStore, given: number | undefined): number {
  if (given !== undefined) {
    store.setMeta(ID_KEY, String(given));
    return given;
  }
  const stored = parseServerId(store.getMeta(ID_KEY) ?? '');
  if (stored !== null) return stored;
  const id = randomInt(1, 2 ** 48);
  store.setMeta(ID_KEY, String(id));
  return id;
}
