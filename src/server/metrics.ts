import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Admission } from './admission.js';

/**
 * Plain counters bumped on the hot path (a property increment, no label hashing);
 * prom-client reads them only when /metrics is scraped.
 */
export class ChatStats {
  connectedUsers = 0;
  openSockets = 0;
  messagesIn = 0;
  /** Frames written to sockets (a broadcast to n users counts n). */
  messagesOut = 0;
  broadcasts = 0;
  slowConsumersDropped = 0;
  /** Times a connection's reading was paused for going over its frame budget. */
  throttled = 0;
  readonly errors = new Map<string, number>();

  countError(reason: string): void {
    this.errors.set(reason, (this.errors.get(reason) ?? 0) + 1);
  }
}

function counterFrom(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

export function createChatMetrics(stats: ChatStats, admission?: Admission): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'c2_' });
  new Gauge({
    name: 'c2_connected_users',
    help: 'Users in the connected state',
    registers: [registry],
    collect() {
      this.set(stats.connectedUsers);
    },
  });
  new Gauge({
    name: 'c2_open_sockets',
    help: 'Open WebSocket connections, connected or not',
    registers: [registry],
    collect() {
      this.set(stats.openSockets);
    },
  });
  counterFrom(registry, 'c2_messages_in_total', 'c2 frames received', () => stats.messagesIn);
  counterFrom(
    registry,
    'c2_messages_out_total',
    'c2 frames sent (a broadcast counts once per recipient)',
    () => stats.messagesOut,
  );
  counterFrom(registry, 'c2_broadcasts_total', 'Broadcasts encoded (each encoded once)', () => stats.broadcasts);
  counterFrom(
    registry,
    'c2_slow_consumers_dropped_total',
    'Connections dropped because their unsent backlog passed the limit',
    () => stats.slowConsumersDropped,
  );
  counterFrom(
    registry,
    'c2_throttled_total',
    'Times reading from a connection was paused because it sent frames faster than its budget',
    () => stats.throttled,
  );
  new Counter({
    name: 'c2_connections_refused_total',
    help: 'WebSocket upgrades refused before the handshake, by reason (max_per_ip, connect_rate, descriptors, bad_forwarded_for)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of admission?.refused ?? []) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: 'c2_errors_total',
    help: 'c2/ERROR replies sent, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of stats.errors) this.inc({ reason }, n);
    },
  });
  return registry;
}
