/**
 * The server browser's data (contract §12): the listing's directory read in pages of the
 * query the controls hold (search, filters, order: all answered by the listing), more pages
 * as the view scrolls near the end of what is loaded, and a live ping of the servers *in
 * view* only, repeated every `pingEveryMs`, with at most `concurrency` pings in flight. No
 * DOM: the listing and the ping are injected, so it runs (and is tested) anywhere.
 *
 * - Typing in the search box waits `searchDelayMs` for a pause, then asks for the first
 *   page; a newer query cancels an older request, and a late answer to an older query is
 *   dropped. The previous results stay on show until the new ones arrive.
 * - Every `refreshMs` the directory is read again while the view shows its first page
 *   (further down, the loaded pages are kept as they are: reading them again could not keep
 *   the rows in place; "Refresh" starts again from the top).
 * - The view reports the rows it shows (`setVisible`); once it has settled for
 *   `pingSettleMs` (a fast scroll pings nothing on the way), the visible servers whose
 *   result is missing or older than `pingEveryMs` are pinged. A queued ping whose server has
 *   left the view by its turn is skipped. Results are kept for at most MAX_PINGS addresses.
 *
 * A view subscribes (`subscribe` / `getSnapshot`, the shape `useSyncExternalStore` wants);
 * the snapshot is a new object only when something changed.
 */
import type { ListedServer, ListingPage } from '../../../src/client/index.js';
import { DEFAULT_QUERY, type DirectoryQuery, type PingState, sameQuery } from './directory.js';
import { PoolCleared, TaskPool } from './task-pool.js';

export interface DirectorySnapshot {
  /** The query the servers answer (or, while `loading`, the one being asked). */
  query: DirectoryQuery;
  /** The servers loaded so far, in the query's order. */
  servers: readonly ListedServer[];
  /** Whether the listing holds more matches than are loaded. */
  more: boolean;
  /** The server that served this page, when it is a chat server (may be unlisted). */
  home: ListedServer | null;
  /** Ping results by address. */
  pings: ReadonlyMap<string, PingState>;
  /** True while the first page of the query is awaited. */
  loading: boolean;
  /** True while a further page is awaited. */
  loadingMore: boolean;
  /** Why the listing could not be read, or null. */
  error: string | null;
  /** When the directory was last read successfully. */
  updatedAt: number | null;
}

/** Reads one page of the directory. */
export type PageReader = (
  query: DirectoryQuery,
  limit: number,
  cursor: string | null,
  signal: AbortSignal,
) => Promise<ListingPage>;

export interface DirectoryMonitorOptions {
  /** Reads the directory; null when there is no listing to read. */
  page: PageReader | null;
  /** Pings one server. */
  ping: (server: ListedServer) => Promise<{ rttMs: number; serverId: number }>;
  /** Reads the page's own chat server (its `/healthz`), when there is one. */
  home?: () => Promise<ListedServer>;
  query?: DirectoryQuery;
  concurrency?: number;
  refreshMs?: number;
  pingEveryMs?: number;
  pageSize?: number;
  searchDelayMs?: number;
  pingSettleMs?: number;
  now?: () => number;
}

export const DEFAULT_PING_CONCURRENCY = 4;
export const DEFAULT_REFRESH_MS = 10_000;
export const DEFAULT_PING_EVERY_MS = 15_000;
export const DEFAULT_PAGE_SIZE = 100;
export const DEFAULT_SEARCH_DELAY_MS = 250;
export const DEFAULT_PING_SETTLE_MS = 150;
/** Ping results kept (those of the servers in view are always kept). */
export const MAX_PINGS = 2000;

/** A listing error saying the cursor is no longer accepted (expired after 24 hours). */
function isStaleCursor(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 'invalid_cursor';
}

function messageOf(err: unknown): string {
  return (err as Error)?.message || String(err);
}

export class DirectoryMonitor {
  private snapshot: DirectorySnapshot;
  private readonly listeners = new Set<() => void>();
  private readonly pool: TaskPool;
  private readonly inFlight = new Set<string>();
  private readonly now: () => number;
  private readonly pageSize: number;
  private running = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every new first-page read: answers of older ones are dropped. */
  private generation = 0;
  private request: AbortController | null = null;
  private reading: Promise<void> | null = null;
  /** The cursor of the page after the loaded ones. */
  private next: string | null = null;
  /** Ids of the loaded servers (a page never repeats one, but a changed list may). */
  private loadedIds = new Set<number>();
  private visible: [number, number] = [0, 0];
  /** The query of the rows loaded (the snapshot's query may be newer while it loads). */
  private loadedQuery: DirectoryQuery;

  constructor(private readonly options: DirectoryMonitorOptions) {
    this.pool = new TaskPool(options.concurrency ?? DEFAULT_PING_CONCURRENCY);
    this.now = options.now ?? Date.now;
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const query = options.query ?? DEFAULT_QUERY;
    this.loadedQuery = query;
    this.snapshot = {
      query,
      servers: [],
      more: false,
      home: null,
      pings: new Map(),
      loading: options.page !== null,
      loadingMore: false,
      error: null,
      updatedAt: null,
    };
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): DirectorySnapshot => this.snapshot;

  /** Starts reading (at once, then every `refreshMs`). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.refresh();
  }

  /** Stops reading and pinging; requests in flight are cancelled, pings not yet started dropped. */
  stop(): void {
    this.running = false;
    for (const timer of [this.refreshTimer, this.searchTimer, this.pingTimer]) clearTimeout(timer);
    this.refreshTimer = this.searchTimer = this.pingTimer = undefined;
    this.request?.abort();
    this.request = null;
    this.pool.clear();
  }

  /**
   * Changes the query. A new search text waits for a pause in the typing; any other change
   * is read at once. The snapshot's `query` follows at once, so the controls show it.
   */
  setQuery(change: Partial<DirectoryQuery>): void {
    const query = { ...this.snapshot.query, ...change };
    const onlyText = change.q !== undefined && Object.keys(change).length === 1;
    this.update({ query });
    clearTimeout(this.searchTimer);
    this.searchTimer = undefined;
    if (sameQuery(query, this.loadedQuery) && !this.snapshot.loading) return;
    if (onlyText) {
      this.searchTimer = setTimeout(() => {
        this.searchTimer = undefined;
        void this.readFirstPage();
      }, this.options.searchDelayMs ?? DEFAULT_SEARCH_DELAY_MS);
    } else {
      void this.readFirstPage();
    }
  }

  /**
   * Reads the directory from the top again and pings the servers in view that are due
   * (`force`: all of them) and the page's own server.
   */
  refresh(force = false): Promise<void> {
    if (this.reading) return this.reading;
    clearTimeout(this.refreshTimer);
    this.reading = (async () => {
      await Promise.all([this.readHome(), this.readFirstPage()]);
      this.pingDue(force);
    })().finally(() => {
      this.reading = null;
      this.scheduleTick();
    });
    return this.reading;
  }

  /**
   * The rows the view shows, [start, end) in `servers`. Loads the next page when the view
   * nears the end of what is loaded, and pings the visible servers once the view settles.
   */
  setVisible(start: number, end: number): void {
    if (start === this.visible[0] && end === this.visible[1]) return;
    this.visible = [start, end];
    this.loadMoreIfNear();
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => {
      this.pingTimer = undefined;
      this.pingDue(false);
    }, this.options.pingSettleMs ?? DEFAULT_PING_SETTLE_MS);
  }

  /** Loads the next page now, if there is one (the view calls it through `setVisible`). */
  async loadMore(): Promise<void> {
    const { page } = this.options;
    const cursor = this.next;
    if (page === null || cursor === null || this.snapshot.loadingMore || this.snapshot.loading) return;
    const generation = this.generation;
    const controller = new AbortController();
    this.request = controller;
    this.update({ loadingMore: true });
    try {
      const answer = await page(this.loadedQuery, this.pageSize, cursor, controller.signal);
      if (generation !== this.generation) return;
      const servers = [...this.snapshot.servers];
      for (const server of answer.servers) {
        if (this.loadedIds.has(server.id)) continue;
        this.loadedIds.add(server.id);
        servers.push(server);
      }
      this.next = answer.next;
      this.update({ servers, more: answer.next !== null, loadingMore: false, error: null });
      this.loadMoreIfNear();
      // While the view is still moving its settle timer will ping what it stops on: a page
      // that arrives mid-fling must not ping the rows flying past.
      if (this.pingTimer === undefined) this.pingDue(false);
    } catch (err) {
      if (generation !== this.generation) return;
      this.update({ loadingMore: false });
      // A cursor older than the listing keeps them: start the walk again.
      if (isStaleCursor(err)) void this.readFirstPage();
      else this.update({ error: messageOf(err) });
    }
  }

  private loadMoreIfNear(): void {
    const near = this.visible[1] >= this.snapshot.servers.length - Math.ceil(this.pageSize / 2);
    if (near && this.snapshot.more && this.snapshot.error === null) void this.loadMore();
  }

  /** The periodic tick: the page's own server, the first page while it is in view, due pings. */
  private scheduleTick(): void {
    clearTimeout(this.refreshTimer);
    if (!this.running) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (this.visible[1] <= this.pageSize || this.snapshot.error !== null) {
        void this.refresh();
        return;
      }
      void this.readHome().then(() => this.pingDue(false));
      this.scheduleTick();
    }, this.options.refreshMs ?? DEFAULT_REFRESH_MS);
  }

  private async readFirstPage(): Promise<void> {
    const { page } = this.options;
    if (page === null) {
      this.update({ loading: false });
      return;
    }
    const query = this.snapshot.query;
    const generation = ++this.generation;
    this.request?.abort();
    const controller = new AbortController();
    this.request = controller;
    this.update({ loading: true, loadingMore: false });
    try {
      const answer = await page(query, this.pageSize, null, controller.signal);
      if (generation !== this.generation) return;
      this.loadedIds = new Set();
      const servers: ListedServer[] = [];
      for (const server of answer.servers) {
        if (this.loadedIds.has(server.id)) continue;
        this.loadedIds.add(server.id);
        servers.push(server);
      }
      this.next = answer.next;
      this.loadedQuery = query;
      this.update({
        servers,
        more: answer.next !== null,
        loading: false,
        error: null,
        updatedAt: this.now(),
      });
      this.loadMoreIfNear();
      // While the view is still moving its settle timer will ping what it stops on: a page
      // that arrives mid-fling must not ping the rows flying past.
      if (this.pingTimer === undefined) this.pingDue(false);
    } catch (err) {
      if (generation !== this.generation) return;
      this.update({ loading: false, error: messageOf(err) });
    }
  }

  private async readHome(): Promise<void> {
    if (!this.options.home) return;
    try {
      this.update({ home: await this.options.home() });
    } catch {
      // Keep the last known state of the page's own server.
    }
  }

  /** The servers whose pings are wanted now: the page's own, and those in view. */
  private wanted(): ListedServer[] {
    const [start, end] = this.visible;
    const inView = this.snapshot.servers.slice(start, end);
    return this.snapshot.home ? [this.snapshot.home, ...inView] : inView;
  }

  private isWanted(address: string): boolean {
    return this.wanted().some((s) => s.address === address);
  }

  private pingDue(force: boolean): void {
    const pingEvery = this.options.pingEveryMs ?? DEFAULT_PING_EVERY_MS;
    const seen = new Set<string>();
    for (const server of this.wanted()) {
      if (seen.has(server.address)) continue;
      seen.add(server.address);
      const state = this.snapshot.pings.get(server.address);
      const due = force || state === undefined || state.status === 'pending' || this.now() - state.at >= pingEvery;
      if (due) void this.ping(server);
    }
  }

  private async ping(server: ListedServer): Promise<void> {
    const key = server.address;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    const before = this.snapshot.pings.get(key);
    try {
      const reply = await this.pool.run(async () => {
        // Its turn came after it left the view: not worth a connection.
        if (!this.isWanted(key)) return null;
        this.setPing(
          key,
          before === undefined || before.status === 'pending' ? { status: 'pending' } : { ...before, refreshing: true },
        );
        return this.options.ping(server);
      });
      if (reply === null) return;
      this.setPing(key, {
        status: 'ok',
        rttMs: reply.rttMs,
        serverId: reply.serverId,
        at: this.now(),
        refreshing: false,
      });
    } catch (err) {
      if (err instanceof PoolCleared) {
        if (before) this.setPing(key, before);
        return;
      }
      this.setPing(key, { status: 'failed', error: messageOf(err), at: this.now(), refreshing: false });
    } finally {
      this.inFlight.delete(key);
    }
  }

  private setPing(address: string, state: PingState): void {
    const pings = new Map(this.snapshot.pings);
    pings.delete(address);
    pings.set(address, state);
    if (pings.size > MAX_PINGS) {
      // Forget the oldest results (a Map keeps insertion order) of servers out of view.
      const keep = new Set(this.wanted().map((s) => s.address));
      for (const old of pings.keys()) {
        if (pings.size <= MAX_PINGS / 2) break;
        if (!keep.has(old)) pings.delete(old);
      }
    }
    this.update({ pings });
  }

  private update(change: Partial<DirectorySnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of [...this.listeners]) listener();
  }
}
