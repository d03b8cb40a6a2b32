/** The cached GET /servers body: rebuilt only when the store's version moves. */
import { describe, expect, it } from 'vitest';
import { ifNoneMatchHits, ListCache, VersionReads } from '../../src/listing/list-cache.js';
import { PageCache } from '../../src/listing/page-cache.js';
import { Representation } from '../../src/listing/representation.js';
import type { ListingStore, PublicServer } from '../../src/listing/store/types.js';
import { eventually } from '../helpers/eventually.js';

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
  tls: false,
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
    expect(second.size).toBe(2);
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

  it('requests made in one turn share one version read; a later turn reads again', async () => {
    const { state, store } = versionedStore();
    let versionReads = 0;
    store.version = async () => {
      versionReads++;
      return state.version;
    };
    const cache = new ListCache(store);
    await Promise.all(Array.from({ length: 32 }, () => cache.current()));
    expect(versionReads).toBe(1);
    await cache.current();
    await cache.current();
    expect(versionReads).toBe(3);
    expect(cache.reads).toBe(3);
  });

  it('a request made while a read is in flight waits for a read that starts after it', async () => {
    const { state, store } = versionedStore();
    const reads: Array<() => void> = [];
    store.version = () =>
      new Promise((resolve) => {
        const at = state.version;
        reads.push(() => resolve(at));
      });
    const cache = new ListCache(store);
    state.servers = [server(1)];
    const first = cache.current();
    await eventually(() => reads.length === 1, 'the first read', 2000);
    // A change commits, then a second request arrives, while the first read (older) is out.
    state.servers = [server(1), server(2)];
    state.version++;
    const second = cache.current();
    reads[0]?.();
    expect((await first).version).toBe(1);
    await eventually(() => reads.length === 2, 'the second read', 2000);
    reads[1]?.();
    const answer = await second;
    expect(answer.version).toBe(2);
    expect(answer.size).toBe(2);
  });

  it('the synchronous read (SQLite) answers in the same turn, sees every earlier change, and reports failures', async () => {
    const { state, store } = versionedStore();
    let failing = false;
    store.versionNow = () => {
      if (failing) throw new Error('disk I/O error');
      return state.version;
    };
    store.version = async () => {
      throw new Error('the asynchronous read must not be used');
    };
    const cache = new ListCache(store);
    state.servers = [server(1)];
    const first = await cache.current();
    state.servers = [server(1), server(2)];
    state.version++;
    expect((await cache.current()).size).toBe(2);
    failing = true;
    await expect(Promise.all([cache.current(), cache.current()])).rejects.toThrow('disk I/O error');
    failing = false;
    expect((await cache.current()).version).toBe(first.version + 1);
  });

  it('a failed read fails its batch only: the next request reads again', async () => {
    const { state, store } = versionedStore();
    let failing = true;
    store.version = async () => {
      if (failing) throw new Error('connection refused');
      return state.version;
    };
    const cache = new ListCache(store);
    await expect(cache.current()).rejects.toThrow('connection refused');
    failing = false;
    expect((await cache.current()).version).toBe(state.version);
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

describe('PageCache', () => {
  const answer = (text: string) => new Representation(Buffer.from(text), 'fast');
  const ask = (pages: PageCache, key: string, make: () => Promise<Representation>) =>
    new Promise<Representation>((resolve, reject) =>
      pages.get(key, make, (error, made) => (made === undefined ? reject(error) : resolve(made))),
    );

  it('answers from what it kept while the version is the same; a new version makes it again', async () => {
    const { state, store } = versionedStore();
    const pages = new PageCache(new VersionReads(store), 1024 * 1024);
    let made = 0;
    const make = async () => answer(`page ${++made} at ${state.version}`);
    const [a, b] = await Promise.all([ask(pages, 'k', make), ask(pages, 'k', make)]);
    expect(a).toBe(b);
    expect(made).toBe(1);
    expect((await ask(pages, 'k', make)).body.toString()).toBe('page 1 at 1');
    expect((await ask(pages, 'other', make)).body.toString()).toBe('page 2 at 1');
    state.version++;
    expect((await ask(pages, 'k', make)).body.toString()).toBe('page 3 at 2');
    expect([pages.hits, pages.misses]).toEqual([2, 3]);
  });

  it('keeps at most maxBytes of answers, the least recently used out first; 0 keeps none', async () => {
    const { store } = versionedStore();
    const pages = new PageCache(new VersionReads(store), 1000);
    for (const key of ['a', 'b', 'c', 'd']) await ask(pages, key, async () => answer(key.repeat(120)));
    await ask(pages, 'a', async () => answer('unused'));
    for (let i = 0; i < 10; i++) await ask(pages, `n${i}`, async () => answer('x'.repeat(120)));
    expect(pages.size.bytes).toBeLessThanOrEqual(1000);
    expect(pages.size.entries).toBe(8);
    // Too large to keep (over an eighth of the bound).
    await ask(pages, 'big', async () => answer('y'.repeat(200)));
    expect(pages.size.entries).toBe(8);

    const none = new PageCache(new VersionReads(store), 0);
    let made = 0;
    await ask(none, 'k', async () => answer(String(++made)));
    await ask(none, 'k', async () => answer(String(++made)));
    expect(made).toBe(2);
    expect(none.size.entries).toBe(0);
  });

  it('a failure is answered to the requests that shared it, and not kept', async () => {
    const { store } = versionedStore();
    const pages = new PageCache(new VersionReads(store), 1024);
    const failing = async (): Promise<Representation> => {
      throw new Error('store down');
    };
    await expect(Promise.all([ask(pages, 'k', failing), ask(pages, 'k', failing)])).rejects.toThrow('store down');
    expect((await ask(pages, 'k', async () => answer('back'))).body.toString()).toBe('back');
  });
});
