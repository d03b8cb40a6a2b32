import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { closeApp } from '../http/close.js';
import { registerWebClient } from '../http/web-client.js';
import { bracketHost } from '../protocol/address.js';
import { Admission, readDescriptorLimit, refusalResponse } from './admission.js';
import { ListingLease } from './engine/listing-lease.js';
import { ClusterMismatch, LEASE_MS, LEASE_RENEW_MS, RedisEngine, redactRedisUrl } from './engine/redis.js';
import { ChatHub } from './hub.js';
import { createChatMetrics } from './metrics.js';
import {
  type ChatServerOptions,
  DEFAULT_LISTING_HEARTBEAT_MS,
  type ResolvedChatOptions,
  resolveChatOptions,
} from './options.js';
import { ClusterListing } from './registration/cluster-listing.js';
import { dataDirListingKeys } from './registration/listing-keys.js';
import { ListingRegistrar } from './registration/registrar.js';
import { resolveServerId } from './server-id.js';
import { ServerStore } from './store.js';

export interface ChatServer {
  readonly hub: ChatHub;
  readonly options: ResolvedChatOptions;
  /** The durable state (id, bans, history, listing key). */
  readonly store: ServerStore;
  /**
   * The listing registration, when started with `listing`; on a node of a cluster, only while
   * this node holds the listing lease (contract §11).
   */
  readonly registrar: ListingRegistrar | undefined;
  /** Who may open a socket: the per-address limits and the descriptor headroom. */
  readonly admission: Admission;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** `ws://host:port` (or `wss://`) as bound. */
  readonly url: string;
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 2000;

/**
 * Starts a c2 chat server: WebSocket upgrades on `/`, and plain HTTP on the same port for
 * the web client, `/healthz` and `/metrics` (contract §1).
 */
export async function startChatServer(options: ChatServerOptions, logger?: Logger): Promise<ChatServer> {
  const log = logger ?? pino({ level: 'silent' });
  if (options.cluster !== undefined && options.id === undefined) {
    throw new Error('--cluster needs --id: every node of one server is started with the same id');
  }
  const store = new ServerStore(options.dataDir);
  const resolved = resolveChatOptions(options, resolveServerId(store, options.id));
  let engine: RedisEngine | undefined;
  if (options.cluster !== undefined) {
    try {
      engine = await RedisEngine.open({
        url: options.cluster,
        id: resolved.id,
        name: resolved.name,
        maxUsers: resolved.maxUsers,
        historySize: resolved.historySize,
        log,
      });
    } catch (err) {
      store.close();
      if (err instanceof ClusterMismatch) throw err;
      throw new Error(`cannot reach the cluster store ${redactRedisUrl(options.cluster)}: ${(err as Error).message}`);
    }
  }
  const cluster = engine;
  const hub = new ChatHub(resolved, log, cluster ? (host) => cluster.bind(host) : store, options.opPassword);
  const admission = new Admission(
    {
      maxPerIp: resolved.maxPerIp,
      connectRatePerMinute: resolved.connectRate,
      exempt: resolved.exemptIps,
      trustProxy: resolved.trustProxy,
      descriptorLimit: options.descriptorLimit ?? readDescriptorLimit(),
    },
    log,
  );
  const metrics = createChatMetrics(hub.stats, admission);

  const app: FastifyInstance = Fastify({
    // Fastify's own per-request and "listening at" lines stay out of the log: one line
    // announces the server, below.
    loggerInstance: log.child({ component: 'http' }, { level: 'warn' }),
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  }) as unknown as FastifyInstance;

  app.get('/healthz', async () => ({
    status: 'ok',
    id: resolved.id,
    name: resolved.name,
    // The whole server's users (in a cluster, as this node last knew them), and this node's.
    connectedUsers: hub.engine.users,
    maxUsers: resolved.maxUsers,
    ...(cluster ? { nodeUsers: hub.room.size } : {}),
  }));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
  await registerWebClient(app, options.webRoot);

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: resolved.limits.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });

  // Every TCP connection counts toward the descriptor headroom, WebSocket or not.
  app.server.on('connection', (socket: Socket) => admission.trackConnection(socket));
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Decided before the handshake: a refused socket gets a short answer and is closed.
    const decision = admission.admit(req);
    if (!decision.ok) {
      socket.once('finish', () => socket.destroy());
      socket.end(refusalResponse(decision));
      return;
    }
    socket.once('close', () => admission.release(decision.key));
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws, decision.address));
  });

  try {
    await app.listen({ host: resolved.host, port: resolved.port });
  } catch (err) {
    await hub.engine.close();
    store.close();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  admission.start();
  hub.start();
  const url = `${options.tls ? 'wss' : 'ws'}://${bracketHost(resolved.host)}:${port}`;
  log.info(
    {
      url,
      id: resolved.id,
      name: resolved.name,
      maxUsers: resolved.maxUsers,
      maxPerIp: resolved.maxPerIp,
      connectRate: resolved.connectRate,
      exemptIps: resolved.exemptIps.map((r) => r.text).join(',') || 'none',
      trustProxy: resolved.trustProxy,
      maxSockets: admission.connectionCeiling,
    },
    `listening on ${url} (id ${resolved.id}, name ${JSON.stringify(resolved.name)})`,
  );

  let registrar: ListingRegistrar | undefined;
  let clusterListing: ClusterListing | undefined;
  if (options.listing) {
    const registration = {
      listingUrl: options.listing.url,
      serverId: resolved.id,
      ...(options.listing.publicAddress ? { publicAddress: options.listing.publicAddress } : {}),
      boundHost: resolved.host,
      port,
      heartbeatMs: options.listing.heartbeatMs ?? DEFAULT_LISTING_HEARTBEAT_MS,
      tls: options.tls !== undefined,
    };
    if (cluster) {
      // One entry for the whole cluster, kept by the node holding the listing lease.
      const c = new ClusterListing({
        lease: new ListingLease(cluster.redis, resolved.id, cluster.nodeId, LEASE_MS),
        registrar: registration,
        serverName: resolved.name,
        maxUsers: resolved.maxUsers,
        userCount: () => cluster.userCount(),
        renewMs: LEASE_RENEW_MS,
        log,
      });
      clusterListing = c;
      hub.onUsersChanged = () => c.countChanged();
      c.start();
    } else {
      const r = new ListingRegistrar({
        ...registration,
        keys: dataDirListingKeys(store),
        log,
        snapshot: () => ({ serverName: resolved.name, maxUsers: resolved.maxUsers, connectedUsers: hub.room.size }),
      });
      registrar = r;
      hub.onUsersChanged = () => r.countChanged();
      r.start();
    }
  }

  let closing: Promise<void> | undefined;
  return {
    hub,
    store,
    get registrar() {
      return clusterListing ? clusterListing.registrar : registrar;
    },
    admission,
    options: resolved,
    port,
    url,
    close() {
      closing ??= (async () => {
        // Unregister first (bounded in time), while users are still being served.
        await registrar?.stop();
        await clusterListing?.close();
        hub.close();
        const deadline = Date.now() + SHUTDOWN_GRACE_MS;
        while (hub.openSockets > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        hub.terminateAll();
        wss.close();
        await closeApp(app, SHUTDOWN_GRACE_MS);
        await hub.engine.close();
        store.close();
        log.info('chat server closed');
      })();
      return closing;
    },
  };
}
