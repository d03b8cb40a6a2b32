/**
 * vitest fixtures for the contract suite: a listing on a fresh database, and chat
 * servers, each closed after its describe block.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type { ListingServer } from '../../../src/listing/index.js';
import type { ListingOptions } from '../../../src/listing/options.js';
import { type ChatServer, startChatServer } from '../../../src/server/chat-server.js';
import { startTestListing } from '../../helpers/listing.js';
import type { Backend, TestDb } from './backends.js';
import { type HttpOptions, type HttpResponse, http } from './http.js';

export interface ListingHandle {
  listing: ListingServer;
  db: TestDb;
  url: string;
  request(path: string, options?: HttpOptions): Promise<HttpResponse>;
  /** POST /servers/<id> with a JSON body (or none). */
  register(id: number | string, body?: object, options?: HttpOptions): Promise<HttpResponse>;
}

/**
 * A listing on a fresh database for the enclosing describe block. `options` may be a
 * function, called when the listing starts (after earlier beforeAll hooks).
 */
export function useListing(backend: Backend, options: ListingOptions | (() => ListingOptions) = {}): ListingHandle {
  const handle = {} as ListingHandle;
  beforeAll(async () => {
    handle.db = await backend.create();
    handle.listing = await startTestListing({
      db: handle.db.db,
      ...(typeof options === 'function' ? options() : options),
    });
    handle.url = handle.listing.url;
    handle.request = (path, opts) => http(handle.url, path, opts);
    handle.register = (id, body, opts) =>
      http(handle.url, `/servers/${id}`, { method: 'POST', ...(body ? { body } : {}), ...opts });
  });
  afterAll(async () => {
    await handle.listing?.close();
    await handle.db?.drop();
  });
  return handle;
}

export interface Chats {
  /** Starts a real chat server answering as `id`, on `host` (default 127.0.0.1), port 0. */
  start(id: number, host?: string): Promise<ChatServer & { address: string }>;
}

/** Chat servers started in the enclosing describe block, all closed after it. */
export function useChats(): Chats {
  const started: ChatServer[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.close()));
  });
  return {
    async start(id, host = '127.0.0.1') {
      const server = await startChatServer({ host, port: 0, id, name: `chat ${id}` });
      started.push(server);
      return Object.assign(server, {
        address: host.includes(':') ? `[${host}]:${server.port}` : `${host}:${server.port}`,
      });
    },
  };
}

/** Whether this machine can listen on the IPv6 loopback address. */
export function ipv6LoopbackAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}
