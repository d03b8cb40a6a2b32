import type { Logger } from 'pino';
import { systemResolver } from '../../../src/listing/address/policy.js';
import { type ListingServer, startListingServer } from '../../../src/listing/index.js';
import type { ListingOptions } from '../../../src/listing/options.js';

/** Names ending in .invalid never resolve (without asking a DNS server, which may be absent). */
export async function testResolver(host: string): Promise<string[]> {
  if (host.endsWith('.invalid')) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return systemResolver(host);
}

/** A listing on 127.0.0.1, port 0, for tests: private addresses allowed, no background checker. */
export function startTestListing(db: string, options: ListingOptions = {}, logger?: Logger): Promise<ListingServer> {
  return startListingServer(
    {
      host: '127.0.0.1',
      port: 0,
      db,
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
