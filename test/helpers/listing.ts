/** A real listing server for tests, and reading its directory. */
import type { Logger } from 'pino';
import type { ListedServer } from '../../src/client/listing-client.js';
import { systemResolver } from '../../src/listing/address/policy.js';
import { type ListingServer, startListingServer } from '../../src/listing/index.js';
import type { ListingOptions } from '../../src/listing/options.js';

export type { ListedServer };

/** Names ending in .invalid never resolve (without asking a DNS server, which may be absent). */
export async function testResolver(host: string): Promise<string[]> {
  if (host.endsWith('.invalid')) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return systemResolver(host);
}

/**
 * A listing on 127.0.0.1, port 0 (read it back from `url` or `port`), set up for tests: an
 * in-memory SQLite database unless `db` names one (a file or a postgres:// URL), private
 * addresses allowed, no background liveness checks (pass `liveness: true`), a 1 s
 * verification ping, rate limits no test reaches, and `testResolver`. Options override.
 */
export function startTestListing(options: ListingOptions = {}, logger?: Logger): Promise<ListingServer> {
  return startListingServer(
    {
      host: '127.0.0.1',
      port: 0,
      db: ':memory:',
      allowPrivateAddresses: true,
      liveness: false,
      pingTimeoutMs: 1000,
      registerRateLimit: { max: 10_000, windowMs: 60_000 },
      authFailureLimit: { max: 10_000, windowMs: 60_000 },
      resolve: testResolver,
      ...options,
    },
    logger,
  );
}

/** `GET /servers`: the listed servers. */
export async function listServers(listingUrl: string): Promise<ListedServer[]> {
  const res = await fetch(`${listingUrl}/servers`);
  return ((await res.json()) as { servers: ListedServer[] }).servers;
}
