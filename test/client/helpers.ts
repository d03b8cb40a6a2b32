import { afterEach } from 'vitest';
import { NodeC2Client } from '../../src/client/node.js';
import type { C2ClientEvents, C2ClientOptions } from '../../src/client/types.js';
import { usernameKey } from '../../src/protocol/rules.js';
import type { ChatServer } from '../helpers/chat-server.js';

export type Recorded = { [E in keyof C2ClientEvents]: C2ClientEvents[E][0][] };

/** A NodeC2Client whose every event is recorded, disconnected after the test. */
export function trackedClient(options: C2ClientOptions = {}): { client: NodeC2Client; events: Recorded } {
  const client = new NodeC2Client({ requestTimeoutMs: 5000, connectTimeoutMs: 5000, ...options });
  const events: Recorded = {
    message: [],
    join: [],
    rename: [],
    leave: [],
    users: [],
    userCount: [],
    error: [],
    state: [],
    close: [],
    resumed: [],
  };
  for (const name of Object.keys(events) as (keyof Recorded)[]) {
    client.on(name, ((value: unknown) => (events[name] as unknown[]).push(value)) as never);
  }
  live.push(client);
  return { client, events };
}

const live: NodeC2Client[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((c) => c.disconnect()));
});

/** Drops a user's connection from the server's side, without a close frame (a lost connection). */
export function dropOnServer(server: ChatServer, username: string): void {
  const conn = server.hub.room.get(usernameKey(username));
  if (conn === undefined) throw new Error(`${username} is not connected`);
  conn.ws.terminate();
}

/** Settles a promise into a value or the error, for asserting on many at once. */
export function settle<T>(
  p: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: Error & { code?: string } }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, error }),
  );
}
