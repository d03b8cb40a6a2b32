/**
 * Starting and stopping a listing server: open (and migrate) the store, build the app,
 * start the liveness checker, listen, and log one line naming the address.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { closeApp } from '../http/close.js';
import { bracketHost } from './address/parse.js';
import { AddressPolicy } from './address/policy.js';
import { buildListingApp } from './app.js';
import type { ListingContext } from './context.js';
import { CursorCodec } from './cursor.js';
import { DialBudget, FixedWindowLimiter } from './limits.js';
import { ListCache, VersionReads } from './list-cache.js';
import { LivenessChecker } from './liveness.js';
import { createListingMetrics } from './metrics.js';
import { type ListingOptions, type ResolvedListingOptions, resolveListingOptions } from './options.js';
import { PageCache } from './page-cache.js';
import { openStore } from './store/open.js';
import type { ListingStore } from './store/types.js';
import { createVerifier } from './verify.js';

export interface ListingServer {
  readonly app: FastifyInstance;
  readonly store: ListingStore;
  readonly checker: LivenessChecker;
  readonly options: ResolvedListingOptions;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** `http://host:port` (or `https://`) as bound. */
  readonly url: string;
  close(): Promise<void>;
}

const RESOLVE_TIMEOUT_MS = 5000;
/** How long requests in flight may take to finish when the listing stops. */
const SHUTDOWN_GRACE_MS = 2000;

export async function startListingServer(options: ListingOptions = {}, logger?: Logger): Promise<ListingServer> {
  const resolved = resolveListingOptions(options);
  const log = logger ?? pino({ level: 'silent' });
  const store = await openStore(resolved.db, log);

  let cursors: CursorCodec;
  try {
    cursors = new CursorCodec(await store.cursorSecret(), resolved.now);
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  // One version read per turn of the event loop, shared by the whole list and the pages.
  const versions = new VersionReads(store);
  const cache = new ListCache(store, versions);
  const pages = new PageCache(versions, resolved.pageCacheBytes);
  const metrics = createListingMetrics(store, cache, pages);
  const policy = new AddressPolicy({
    allowPrivateAddresses: resolved.allowPrivateAddresses,
    anyAddress: resolved.anyAddress,
    resolveTimeoutMs: RESOLVE_TIMEOUT_MS,
    ...(resolved.resolve ? { resolve: resolved.resolve } : {}),
  });
  const verify = createVerifier({
    timeoutMs: resolved.pingTimeoutMs,
    maxBytes: resolved.pingMaxBytes,
    allowSelfSigned: resolved.allowSelfSigned,
  });
  const authFailures = new FixedWindowLimiter(resolved.authFailureLimit, resolved.now);
  const dials = new DialBudget(
    {
      perCaller: resolved.registerRateLimit,
      inFlightPerCaller: resolved.dialsInFlight.perCaller,
      inFlight: resolved.dialsInFlight.total,
      busyRetryS: Math.ceil((RESOLVE_TIMEOUT_MS + resolved.pingTimeoutMs) / 1000),
    },
    resolved.now,
  );
  const ctx: ListingContext = {
    options: resolved,
    store,
    cache,
    cursors,
    pages,
    policy,
    verify,
    metrics,
    authFailures,
    log,
    dials,
  };
  const checker = new LivenessChecker({
    store,
    policy,
    verify,
    intervalMs: resolved.checkIntervalMs,
    maxFailures: resolved.maxFailures,
    concurrency: resolved.checkConcurrency,
    leaseMs: RESOLVE_TIMEOUT_MS + resolved.pingTimeoutMs + 5000,
    log,
    now: resolved.now,
    onOutcome: (outcome) => metrics.check(outcome),
  });

  let app: FastifyInstance | undefined;
  try {
    app = await buildListingApp(ctx);
    await app.listen({ host: resolved.host, port: resolved.port });
  } catch (err) {
    await app?.close().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
  if (resolved.liveness) checker.start();

  const { port } = app.server.address() as AddressInfo;
  const url = `${resolved.tls ? 'https' : 'http'}://${bracketHost(resolved.host)}:${port}`;
  log.info(
    { url, store: store.kind, db: store.description },
    `listening on ${url} (${store.kind} store: ${store.description})`,
  );

  const listening = app;
  let closing: Promise<void> | undefined;
  return {
    app: listening,
    store,
    checker,
    options: resolved,
    port,
    url,
    close() {
      closing ??= (async () => {
        await checker.stop();
        await closeApp(listening, SHUTDOWN_GRACE_MS);
        await store.close();
        log.info('listing server closed');
      })();
      return closing;
    },
  };
}
