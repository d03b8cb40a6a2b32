import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListingLease } from '../../src/server/engine/listing-lease.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

/**
 * The listing lease's Redis side (contract §11, "Listed once"): one holder at a time, a lease
 * renewed and given up only by its holder, the listing key written only by the holder and
 * forgotten only when it is still the one kept. Two leases stand for two nodes.
 */
let redis: TestRedis;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.dispose();
});

function lease(id: number, node: string, ttlMs = 5000): ListingLease {
  const client = new Redis(redis.url);
  clients.push(client);
  return new ListingLease(client, id, node, ttlMs);
}

describe('the listing lease', () => {
  it('one holder: the other can neither take, renew nor give it up; once given up the other takes it', async () => {
    const a = lease(1, 'a');
    const b = lease(1, 'b');
    expect(await a.take()).toBe(true);
    expect(await a.take()).toBe(true); // its holder taking it again renews it
    expect(await b.take()).toBe(false);
    expect(await b.renew()).toBe(false);
    await b.drop();
    expect(await a.renew()).toBe(true);
    await a.drop();
    expect(await a.renew()).toBe(false);
    expect(await b.take()).toBe(true);
    // Another cluster's lease is another key.
    expect(await lease(2, 'a').take()).toBe(true);
  });

  it('expires unless renewed, and then another node takes it', async () => {
    const a = lease(3, 'a', 1000);
    const b = lease(3, 'b', 1000);
    expect(await a.take()).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    expect(await a.renew()).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(await b.take()).toBe(false); // renewed about 500 ms ago: still a's
    await new Promise((r) => setTimeout(r, 700));
    expect(await b.take()).toBe(true);
    expect(await a.renew()).toBe(false);
  });

  it('the key is kept only by the holder, shared by every node, and forgotten only while it is the kept one', async () => {
    const a = lease(4, 'a');
    const b = lease(4, 'b');
    const url = 'http://listing.test';
    expect(await a.take()).toBe(true);
    await b.listingKeys.save(url, { key: 'from-b', tls: false }); // b does not hold the lease
    expect(await b.listingKeys.load(url)).toBeUndefined();
    await a.listingKeys.save(url, { key: 'from-a', tls: true });
    expect(await b.listingKeys.load(url)).toEqual({ key: 'from-a', tls: true });
    expect(await b.listingKeys.load('http://another.test')).toBeUndefined();
    await b.listingKeys.setTls(false);
    expect(await a.listingKeys.load(url)).toEqual({ key: 'from-a', tls: false });
    await b.listingKeys.forget('an-older-key');
    expect((await a.listingKeys.load(url))?.key).toBe('from-a');
    await b.listingKeys.forget('from-a');
    expect(await a.listingKeys.load(url)).toBeUndefined();
  });
});
