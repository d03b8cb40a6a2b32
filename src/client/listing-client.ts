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
}

/** What `register` and `update` may set; omitted ones keep their value (or default). */
export interface ListingProperties {
  serverName?: string;
  address?: string;
  connectedUsers?: number;
  maxUsers?: number;
}

export class ListingError extends Error {
  override readonly name = 'ListingError';

  constructor(
    /** The HTTP status; 0 when no response came (network failure, timeout). */
    readonly status: number,
    /**
     * The listing's `error` code (`not_listed`, `bad_key`, `invalid_property`…); or, when
     * the response had no error body, `network`, `timeout`, `invalid_id` (refused before
     * sending) or `unexpected_response`.
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
   * `GET /servers`: every listed server. Sends the previous answer's ETag, so an unchanged
   * directory costs a `304` and the previous list is returned.
   */
  async list(): Promise<ListedServer[]> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.cached) headers['if-none-match'] = this.cached.etag;
    const res = await this.request('GET', '/servers', headers);
    if (res.status === 304 && this.cached) return this.cached.servers.map((s) => ({ ...s }));
    await this.expect(res, 200);
    const body = (await this.json(res)) as { servers?: unknown };
    if (!Array.isArray(body?.servers)) throw unexpected(res, 'the listing answered without a "servers" array');
    const servers = body.servers as ListedServer[];
    const etag = res.headers.get('etag');
    this.cached = etag ? { etag, servers: servers.map((s) => ({ ...s })) } : undefined;
    return servers;
  }

  /** `GET /servers/<id>`; a server that is not listed is a `ListingError` with status 404. */
  async get(id: number): Promise<ListedServer> {
    const res = await this.request('GET', serverPath(id), { accept: 'application/json' });
    await this.expect(res, 200);
    return (await this.json(res)) as ListedServer;
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
  ): Promise<Response> {
    const url = this.baseUrl + path;
    try {
      return await this.fetchImpl(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const name = (err as Error)?.name;
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
