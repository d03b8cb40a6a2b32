/** The listing's Prometheus metrics, in its own registry (served at /metrics). */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ListCache } from './list-cache.js';
import type { CheckOutcome } from './liveness.js';
import type { PageCache } from './page-cache.js';
import type { ListingStore } from './store/types.js';

export type RegistrationOutcome = 'created' | 'replaced' | 'conflict' | 'refused';

export interface ListingMetrics {
  readonly registry: Registry;
  /** The request counter of one route (`unmatched` for requests no route matched). */
  route(route: string): (method: string, status: number) => void;
  registration(outcome: RegistrationOutcome): void;
  check(outcome: CheckOutcome): void;
}

export function createListingMetrics(store: ListingStore, cache: ListCache, pages?: PageCache): ListingMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'c2_listing_' });
  // Requests are counted in plain numbers on the hot path, each route with its own small
  // map (keyed by status and method, no string built per request), and copied into
  // prom-client only when /metrics is scraped (a labelled inc() costs a label hash each time).
  const routes = new Map<string, Map<number, { method: string; status: number; n: number }>>();
  new Counter({
    name: 'c2_listing_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [route, counts] of routes) {
        for (const { method, status, n } of counts.values()) this.inc({ method, route, status: String(status) }, n);
      }
    },
  });
  const registrations = new Counter({
    name: 'c2_listing_registrations_total',
    help: 'POST /servers/<id> outcomes',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const checks = new Counter({
    name: 'c2_listing_liveness_checks_total',
    help: 'Liveness pings by outcome (evicted: removed after too many failures)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  new Gauge({
    name: 'c2_listing_servers',
    help: 'Servers listed',
    registers: [registry],
    async collect() {
      try {
        this.set(await store.count());
      } catch {
        // The database is down: /healthz says so; keep the last value.
      }
    },
  });
  new Counter({
    name: 'c2_listing_list_rebuilds_total',
    help: 'Times the cached GET /servers body was rebuilt after a change',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cache.rebuilds);
    },
  });
  new Counter({
    name: 'c2_listing_list_version_reads_total',
    help: 'Reads of the listing version before answering GET /servers (one per batch of requests arriving together)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cache.reads);
    },
  });
  new Counter({
    name: 'c2_listing_page_answers_total',
    help: 'Filtered and paged GET /servers answers, by source: kept (made earlier at the same version) or made (a query)',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      if (pages === undefined) return;
      this.inc({ source: 'kept' }, pages.hits);
      this.inc({ source: 'made' }, pages.misses);
    },
  });
  return {
    registry,
    route(route) {
      let counts = routes.get(route);
      if (counts === undefined) {
        counts = new Map();
        routes.set(route, counts);
      }
      const byKey = counts;
      return (method, status) => {
        const index = methodIndex(method);
        const key = status * 16 + index;
        const count = byKey.get(key);
        if (count) count.n++;
        else byKey.set(key, { method: METHODS[index] ?? 'other', status, n: 1 });
      };
    },
    registration: (outcome) => registrations.inc({ outcome }),
    check: (outcome) => checks.inc({ outcome }),
  };
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'other'];

/** A small number for each method Node parses; every other method counts as `other`. */
function methodIndex(method: string): number {
  const i = METHODS.indexOf(method);
  return i < 0 ? METHODS.length - 1 : i;
}
