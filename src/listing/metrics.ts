/** The listing's Prometheus metrics, in its own registry (served at /metrics). */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ListCache } from './list-cache.js';
import type { CheckOutcome } from './liveness.js';
import type { ListingStore } from './store/types.js';

export type RegistrationOutcome = 'created' | 'replaced' | 'conflict' | 'refused';

export interface ListingMetrics {
  readonly registry: Registry;
  request(method: string, route: string, status: number): void;
  registration(outcome: RegistrationOutcome): void;
  check(outcome: CheckOutcome): void;
}

export function createListingMetrics(store: ListingStore, cache: ListCache): ListingMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'c2_listing_' });
  // Requests are counted in a plain map on the hot path and copied into prom-client only
  // when /metrics is scraped (a labelled inc() per request costs a label hash each time).
  const requestCounts = new Map<string, { method: string; route: string; status: string; n: number }>();
  new Counter({
    name: 'c2_listing_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { method, route, status, n } of requestCounts.values()) this.inc({ method, route, status }, n);
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
  return {
    registry,
    request(method, route, status) {
      const key = `${method} ${status} ${route}`;
      const count = requestCounts.get(key);
      if (count) count.n++;
      else requestCounts.set(key, { method, route, status: String(status), n: 1 });
    },
    registration: (outcome) => registrations.inc({ outcome }),
    check: (outcome) => checks.inc({ outcome }),
  };
}
