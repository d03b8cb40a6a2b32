/**
 * A client of the listing server's REST API (contract §7, docs/LISTING-API.md), on
 * `fetch`: runs in Node 20 and in browsers. Every failure is a `ListingError` carrying
 * the HTTP status and the listing's machine-readable `error` code.
 */

/** A server as the listing shows it. */
export interface ListedServer {
  id: number;
  displayName: string;
  /** `host:port` (IPv6 as `[addr]:port`). */
  address: string;
  connectedUsers: number;
  maxUsers: number;
  /**
   * The server speaks `wss://` only: connect to `wss://<address>` (`listedServerUrl` in
   * server-url.ts). False when the listing leaves it out (a listing older than the property).
   */
  tls: boolean;
}

/** The orders of the directory (contract §12): by id (default), name, fewest or most users. */
export type ListingSort = 'id' | 'name' | 'users' | '-users';

/** Which servers, in which order (contract §12). Every field is optional. */
export interface ListingQuery {
  /** Servers whose name or address contains this text (ignoring case and accents). */
  q?: string;
  /** Only servers with room. */
  notFull?: boolean;
  /** Only servers with someone connected. */
  notEmpty?: boolean;
  sort?: ListingSort;
}

/** One page of a walk: the servers, and the cursor of the next page (null on the last). */
export interface ListingPage {
  servers: ListedServer[];
  next: string | null;
}

export interface PageOptions {
  /** Page size, 1–1000. */
  limit: number;
  /** The `next` of the previous page (with the same query). */
  cursor?: string | null;
  /** Cancels the request (a `ListingError` with code `aborted`). */
  signal?: AbortSignal;
}

/** The largest page the listing gives. */
export const MAX_PAGE_SIZE = 1000;

/** What `register` and `update` may set; omitted ones keep their value (or default). */
export interface ListingProperties {
  serverName?: string;
  address?: string;
  connectedUsers?: number;
  maxUsers?: number;
  /** The server speaks `wss://` only (the listing pings it over `wss://`). */
  tls?: boolean;
}

export class ListingError extends Error {
  override readonly name = 'ListingError';

  constructor(
    /** The HTTP status; 0 when no response came (network failure, timeout). */
    readonly status: number,
    /**
     * The listing's `error` code (`not_listed`, `bad_key`, `invalid_property`…); or, when
     * the response had no error body, `network`, `timeout`, `aborted` (cancelled by the
     * caller), `invalid_id` or `invalid_query` (refused before sending) or `unexpected_response`.
     */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ListingClientOptions {
  /** Deadline of each request (default 10 s). */
  timeoutMs?: number;
  /** The fetch implementation (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

const MAX_ID = Number.MAX_SAFE_INTEGER;

export class ListingClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  /** The last full list and its ETag, for `If-None-Match`. */
  private cached: { etag: string; servers: ListedServer[] } | undefined;

  constructor(baseUrl: string, options: ListingClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? ((...args) => globalThis.fetch(...args));
  }

  /**
   * `GET /servers`: every listed server, or with a query every matching one, in its order
   * (one answer, however many: use `page` or `pages` on a large directory). Without a query
   * it sends the previous answer's ETag, so an unchanged directory costs a `304` and the
   * previous list is returned.
   */
  async list(query: ListingQuery = {}): Promise<ListedServer[]> {
    const search = queryString(query);
    if (search !== '') return (await this.read(`/servers?${search}`)).servers;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.cached) headers['if-none-match'] = this.cached.etag;
    const res = await this.request('GET', '/servers', headers);
    if (res.status === 304 && this.cached) return this.cached.servers.map((s) => ({ ...s }));
    const { servers } = await this.serversOf(res);
    const etag = res.headers.get('etag');
    this.cached = etag ? { etag, servers: servers.map((s) => ({ ...s })) } : undefined;
    return servers;
  }

  /**
   * One page of the servers matching `query`, in its order (contract §12): at most `limit`,
   * after `cursor` (the previous page's `next`, with the same query). Pages are stable while
   * the directory changes: a walk shows each server present throughout it once.
   */
  async page(query: ListingQuery, options: PageOptions): Promise<ListingPage> {
    const { limit } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new ListingError(0, 'invalid_query', `the page size must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    }
    const params = new URLSearchParams(queryString(query));
    params.set('limit', String(limit));
    if (options.cursor) params.set('cursor', options.cursor);
    const page = await this.read(`/servers?${params}`, options.signal);
    if (page.next !== null && typeof page.next !== 'string') {
      throw new ListingError(200, 'unexpected_response', 'the listing answered a page without "next"');
    }
    return { servers: page.servers, next: page.next ?? null };
  }

  /**
   * Walks the servers matching `query` page by page (each of `limit`, default 1000): stop
   * iterating to stop asking.
   */
  async *pages(query: ListingQuery = {}, limit = MAX_PAGE_SIZE): AsyncGenerator<ListingPage> {
    let cursor: string | null = null;
    do {
      const page: ListingPage = await this.page(query, { limit, cursor });
      yield page;
      cursor = page.next;
    } while (cursor !== null);
  }

  private async read(path: string, signal?: AbortSignal): Promise<{ servers: ListedServer[]; next?: unknown }> {
    return this.serversOf(await this.request('GET', path, { accept: 'application/json' }, undefined, signal));
  }

  private async serversOf(res: Response): Promise<{ servers: ListedServer[]; next?: unknown }> {
    await this.expect(res, 200);
    const body = (await this.json(res)) as { servers?: unknown; next?: unknown };
    if (!Array.isArray(body?.servers)) throw unexpected(res, 'the listing answered without a "servers" array');
    return { servers: (body.servers as ListedServer[]).map(withTls), next: body.next };
  }

  /** `GET /servers/<id>`; a server that is not listed is a `ListingError` with status 404. */
  async get(id: number): Promise<ListedServer> {
    const res = await this.request('GET', serverPath(id), { accept: 'application/json' });
    await this.expect(res, 200);
    return withTls((await this.json(res)) as ListedServer);
  }

  /** `POST /servers/<id>`: lists a server (the listing pings it first). Resolves with its key. */
  async register(id: number, properties: ListingProperties = {}): Promise<string> {
    const res = await this.request('POST', serverPath(id), jsonHeaders(), JSON.stringify(properties));
    await this.expect(res, 201);
    return res.text();
  }

  /** `PUT /servers/<id>`: sets the given properties; the others keep their values. */
  async update(id: number, key: string, properties: ListingProperties): Promise<void> {
    const res = await this.request(
      'PUT',
      serverPath(id),
      { ...jsonHeaders(), ...auth(key) },
      JSON.stringify(properties),
    );
    await this.expect(res, 200);
  }

  /** `DELETE /servers/<id>`: removes the server from the listing. */
  async remove(id: number, key: string): Promise<void> {
    const res = await this.request('DELETE', serverPath(id), auth(key));
    await this.expect(res, 200);
  }

  private async request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
    signal?: AbortSignal,
  ): Promise<Response> {
    const url = this.baseUrl + path;
    const deadline = AbortSignal.timeout(this.timeoutMs);
    try {
      return await this.fetchImpl(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        redirect: 'error',
        signal: signal === undefined ? deadline : AbortSignal.any([signal, deadline]),
      });
    } catch (err) {
      const name = (err as Error)?.name;
      if (signal?.aborted) throw new ListingError(0, 'aborted', `${method} ${url}: cancelled`, { cause: err });
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ListingError(0, 'timeout', `${method} ${url}: no answer within ${this.timeoutMs} ms`, { cause: err });
      }
      const cause = (err as { cause?: { message?: string } })?.cause?.message;
      const detail = cause ? `${(err as Error).message} (${cause})` : (err as Error).message;
      throw new ListingError(0, 'network', `${method} ${url}: ${detail}`, { cause: err });
    }
  }

  /** Throws the response's error unless its status is `status`. */
  private async expect(res: Response, status: number): Promise<void> {
    if (res.status === status) return;
    let body: unknown;
    try {
      body = JSON.parse(await res.text());
    } catch {
      body = undefined;
    }
    const { error, message } = (body ?? {}) as { error?: unknown; message?: unknown };
    if (typeof error === 'string') {
      throw new ListingError(res.status, error, typeof message === 'string' ? message : error);
    }
    throw unexpected(res, `the listing answered HTTP ${res.status}`);
  }

  private async json(res: Response): Promise<unknown> {
    try {
      return await res.json();
    } catch (err) {
      throw new ListingError(res.status, 'unexpected_response', 'the listing answered with invalid JSON', {
        cause: err,
      });
    }
  }
}

/** `tls` as a boolean: absent (an older listing) or anything but `true` is false. */
function withTls(server: ListedServer): ListedServer {
  return server.tls === true || server.tls === false ? server : { ...server, tls: server.tls === true };
}

/** The query's parameters (only those that filter or order), for a URL. */
function queryString(query: ListingQuery): string {
  const params = new URLSearchParams();
  const q = query.q?.trim();
  if (q) params.set('q', q);
  if (query.notFull) params.set('notFull', 'true');
  if (query.notEmpty) params.set('notEmpty', 'true');
  if (query.sort !== undefined && query.sort !== 'id') params.set('sort', query.sort);
  return params.toString();
}

function serverPath(id: number): string {
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_ID) {
    throw new ListingError(0, 'invalid_id', `${id} is not a server id (a whole number from 0 to ${MAX_ID})`);
  }
  return `/servers/${id}`;
}

function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json' };
}

function auth(key: string): Record<string, string> {
  return { authorization: `C2Listing ${key}` };
}

function unexpected(res: Response, message: string): ListingError {
  return new ListingError(res.status, 'unexpected_response', message);
}
