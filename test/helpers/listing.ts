import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ListedServer } from '../../src/client/listing-client.js';
import { type ListingServer, startListingServer } from '../../src/listing/index.js';
import type { ListingOptions } from '../../src/listing/options.js';

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A real listing server on loopback with a SQLite file in `dir`, private addresses allowed. */
export function startTestListing(dir: string, options: ListingOptions = {}): Promise<ListingServer> {
  return startListingServer({
    host: '127.0.0.1',
    port: 0,
    db: join(dir, 'listing.db'),
    allowPrivateAddresses: true,
    ...options,
  });
}

export type { ListedServer } from '../../src/client/listing-client.js';

export async function listServers(listingUrl: string): Promise<ListedServer[]> {
  const res = await fetch(`${listingUrl}/servers`);
  return ((await res.json()) as { servers: ListedServer[] }).servers;
}

/** Polls `check` every 50 ms until it returns a value other than undefined, at most `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
