/**
 * Keeps the server browser's data fresh: the listing's directory (`GET /servers`, every
 * `refreshMs`, cheap thanks to the ETag), and a live ping of every listed server, repeated
 * every `pingEveryMs`, with at most `concurrency` pings in flight. No DOM: the list and
 * the ping are injected, so it runs (and is tested) anywhere.
 *
 * A view subscribes (`subscribe` / `getSnapshot`, the shape `useSyncExternalStore` wants);
 * the snapshot is a new object only when something changed.
 */
import type { ListedServer } from '../../../src/client/index.js';
import type { PingState } from './directory.js';
import { PoolCleared, TaskPool } from './task-pool.js';

export interface DirectorySnapshot {
  /** The listing's servers, as listed. */
  servers: readonly ListedServer[];
  /** The server that served this page, when it is a chat server (may be unlisted). */
  home: ListedServer | null;
  /** Ping results by address. */
  pings: ReadonlyMap<string, PingState>;
  /** True until the first answer (or failure) of the listing. */
  loading: boolean;
  /** Why the listing could not be read, or null. */
  error: string | null;
  /** When the directory was last read successfully. */
  updatedAt: number | null;
}

export interface DirectoryMonitorOptions {
  /** Reads the directory; null when there is no listing to read. */
  list: (() => Promise<ListedServer[]>) | null;
  /** Pings one server. */
  ping: (server: ListedServer) => Promise<{ rttMs: number; serverId: number }>;
  /** Reads the page's own chat server (its `/healthz`), when there is one. */
  home?: () => Promise<ListedServer>;
  concurrency?: number;
  refreshMs?: number;
  pingEveryMs?: number;
  now?: () => number;
}

export const DEFAULT_PING_CONCURRENCY = 4;
export const DEFAULT_REFRESH_MS = 10_000;
export const DEFAULT_PING_EVERY_MS = 15_000;

export class DirectoryMonitor {
  private snapshot: DirectorySnapshot = {
    servers: [],
    home: null,
    pings: new Map(),
    loading: true,
    error: null,
    updatedAt: null,
  };
  private readonly listeners = new Set<() => void>();
  private readonly pool: TaskPool;
  private readonly inFlight = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private refreshing: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(private readonly options: DirectoryMonitorOptions) {
    this.pool = new TaskPool(options.concurrency ?? DEFAULT_PING_CONCURRENCY);
    this.now = options.now ?? Date.now;
    if (options.list === null) this.update({ loading: false });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): DirectorySnapshot => this.snapshot;

  /** Starts refreshing (at once, then every `refreshMs`). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.refresh();
  }

  /** Stops refreshing; pings not yet started are dropped. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pool.clear();
  }

  /** Reads the directory now and pings what is due (`force`: every server). */
  refresh(force = false): Promise<void> {
    if (this.refreshing) return this.refreshing;
    clearTimeout(this.timer);
    this.refreshing = this.round(force).finally(() => {
      this.refreshing = null;
      if (this.running)
        this.timer = setTimeout(() => void this.refresh(), this.options.refreshMs ?? DEFAULT_REFRESH_MS);
    });
    return this.refreshing;
  }

  private async round(force: boolean): Promise<void> {
    const [home] = await Promise.all([this.readHome(), this.readList()]);
    const targets = [...(home ? [home] : []), ...this.snapshot.servers];
    const pingEvery = this.options.pingEveryMs ?? DEFAULT_PING_EVERY_MS;
    const seen = new Set<string>();
    for (const server of targets) {
      if (seen.has(server.address)) continue;
      seen.add(server.address);
      const state = this.snapshot.pings.get(server.address);
      const due = force || state === undefined || state.status === 'pending' || this.now() - state.at >= pingEvery;
      if (due) void this.ping(server);
    }
    // Forget the pings of servers no longer shown.
    if ([...this.snapshot.pings.keys()].some((a) => !seen.has(a))) {
      this.update({ pings: new Map([...this.snapshot.pings].filter(([a]) => seen.has(a))) });
    }
  }

  private async readHome(): Promise<ListedServer | null> {
    if (!this.options.home) return null;
    try {
      const home = await this.options.home();
      this.update({ home });
      return home;
    } catch {
      return this.snapshot.home;
    }
  }

  private async readList(): Promise<void> {
    if (this.options.list === null) return;
    try {
      const servers = await this.options.list();
      this.update({ servers, loading: false, error: null, updatedAt: this.now() });
    } catch (err) {
      this.update({ loading: false, error: (err as Error).message || String(err) });
    }
  }

  private async ping(server: ListedServer): Promise<void> {
    const key = server.address;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    const before = this.snapshot.pings.get(key);
    this.setPing(
      key,
      before === undefined || before.status === 'pending' ? { status: 'pending' } : { ...before, refreshing: true },
    );
    try {
      const reply = await this.pool.run(() => this.options.ping(server));
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
      this.setPing(key, {
        status: 'failed',
        error: (err as Error).message || String(err),
        at: this.now(),
        refreshing: false,
      });
    } finally {
      this.inFlight.delete(key);
    }
  }

  private setPing(address: string, state: PingState): void {
    const pings = new Map(this.snapshot.pings);
    pings.set(address, state);
    this.update({ pings });
  }

  private update(change: Partial<DirectorySnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of [...this.listeners]) listener();
  }
}
