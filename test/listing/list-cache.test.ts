/** The cached GET /servers body: rebuilt only when the store's version moves. */
import { describe, expect, it } from 'vitest';
import { ifNoneMatchHits, ListCache } from '../../src/listing/list-cache.js';
import type { ListingStore, PublicServer } from '../../src/listing/store/types.js';

function versionedStore() {
  const state = { version: 1, lists: 0, servers: [] as PublicServer[] };
  const store: Partial<ListingStore> = {
    version: async () => state.version,
    list: async () => {
      state.lists++;
      return [...state.servers];
    },
  };
  return { state, store: store as ListingStore };
}

const server = (id: number): PublicServer => ({
  id,
  displayName: `s${id}`,
  address: `1.2.3.4:${id}`,
  connectedUsers: 0,
  maxUsers: 50,
});

describe('ListCache', () => {
  it('serialises once per version', async () => {
    const { state, store } = versionedStore();
    const cache = new ListCache(store);
    state.servers = [server(1)];
    const first = await cache.current();
    expect(first.body.toString('utf8')).toBe(JSON.stringify({ servers: [server(1)] }));
    for (let i = 0; i < 10; i++) expect(await cache.current()).toBe(first);
    expect(state.lists).toBe(1);

    state.servers = [server(1), server(2)];
    state.version++;
    const second = await cache.current();
    expect(second.body.toString('utf8')).toContain('"id":2');
    expect(second.etag).not.toBe(first.etag);
    expect(second.byId.get(2)).toEqual(server(2));
    expect(state.lists).toBe(2);
  });

  it('concurrent requests after a change share one rebuild', async () => {
    const { state, store } = versionedStore();
    const cache = new ListCache(store);
    const snapshots = await Promise.all(Array.from({ length: 20 }, () => cache.current()));
    expect(new Set(snapshots).size).toBe(1);
    expect(state.lists).toBe(1);
    expect(cache.rebuilds).toBe(1);
  });

  it('equal content gives an equal ETag, whatever the version', async () => {
    const a = versionedStore();
    const b = versionedStore();
    a.state.servers = b.state.servers = [server(3)];
    b.state.version = 99;
    expect((await new ListCache(a.store).current()).etag).toBe((await new ListCache(b.store).current()).etag);
  });
});

describe('If-None-Match', () => {
  it('matches the ETag, a weak form of it, a list holding it, or *', () => {
    expect(ifNoneMatchHits('"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('"x", "a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('*', '"a"')).toBe(true);
    expect(ifNoneMatchHits('"b"', '"a"')).toBe(false);
    expect(ifNoneMatchHits('a', '"a"')).toBe(false);
    expect(ifNoneMatchHits(undefined, '"a"')).toBe(false);
  });
});
