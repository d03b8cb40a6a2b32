/** /healthz, /metrics, /docs, the web client at /, and 503 when the database is unreachable. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListingServer } from '../../../src/listing/index.js';
import { startTestListing } from '../../helpers/listing.js';
import type { Backend, BreakableDb } from '../helpers/backends.js';
import { useChats, useListing } from '../helpers/fixtures.js';
import { auth, http } from '../helpers/http.js';

interface OpenApi {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        requestBody?: { required: boolean };
        responses: Record<string, { content?: Record<string, unknown> }>;
      }
    >
  >;
}

export function opsSuite(backend: Backend) {
  describe('operations and documentation', () => {
    const l = useListing(backend);

    it('GET /healthz: 200 while the database answers', async () => {
      const res = await l.request('/healthz');
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ status: 'ok', store: backend.name });
    });

    it('GET /metrics: Prometheus text from the listing’s own registry', async () => {
      await l.request('/servers');
      const res = await l.request('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toContain('c2_listing_http_requests_total{method="GET",route="/servers",status="200"}');
      expect(res.text).toMatch(/^c2_listing_servers 0$/m);
      expect(res.text).toMatch(/^c2_listing_list_version_reads_total [1-9]\d*$/m);
      expect(res.text).toContain('c2_listing_process_cpu_seconds_total');
    });

    it('GET /metrics counts every request once, by method, route and status', async () => {
      // A fresh listing per file: count the differences around these requests.
      const count = async (labels: string) => {
        const text = (await l.request('/metrics')).text;
        const line = text.split('\n').find((row) => row.startsWith(`c2_listing_http_requests_total{${labels}}`));
        return line === undefined ? 0 : Number(line.split(' ').pop());
      };
      const get200 = 'method="GET",route="/servers",status="200"';
      const head200 = 'method="HEAD",route="/servers",status="200"';
      const one404 = 'method="GET",route="/servers/:id",status="404"';
      const unmatched = 'method="GET",route="unmatched",status="404"';
      const before = [await count(get200), await count(head200), await count(one404), await count(unmatched)];
      for (let i = 0; i < 3; i++) await l.request('/servers');
      await l.request('/servers', { method: 'HEAD' });
      await l.request('/servers/4242');
      await l.request('/servers/4242');
      await l.request('/no/such/route');
      const after = [await count(get200), await count(head200), await count(one404), await count(unmatched)];
      expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([3, 1, 2, 1]);
    });

    it('GET /docs/json: the OpenAPI document of every route, from the route schemas', async () => {
      const res = await l.request('/docs/json');
      expect(res.status).toBe(200);
      const doc = res.json<OpenApi>();
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths['/servers'] ?? {})).toContain('get');
      expect(Object.keys(doc.paths['/servers/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'post', 'put']);
      const post = doc.paths['/servers/{id}']?.post;
      expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '409', '429']));
      expect(Object.keys(post?.responses['201']?.content ?? {})).toEqual(['text/plain']);
      // The body is optional (every property has a default).
      expect(post?.requestBody?.required).toBe(false);
      expect(doc.paths['/servers/{id}']?.put?.security).toEqual([{ C2Listing: [] }]);
      expect(doc.paths['/servers/{id}']?.delete?.security).toEqual([{ C2Listing: [] }]);
      expect(Object.keys(doc.paths['/servers/{id}']?.put?.responses ?? {})).toEqual(
        expect.arrayContaining(['200', '400', '401']),
      );
    });

    it('GET /docs: the interactive documentation', async () => {
      const res = await l.request('/docs');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
    });

    it('GET /: the web client', async () => {
      const res = await l.request('/');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('Chatter');
    });
  });

  describe('503 store_unavailable when the database is unreachable', () => {
    const chats = useChats();
    const state = {} as { db: BreakableDb; listing: ListingServer; key: string; address: string };
    beforeAll(async () => {
      state.db = await backend.createBreakable();
      state.listing = await startTestListing({ db: state.db.db });
      const chat = await chats.start(801);
      state.address = chat.address;
      state.key = (
        await http(state.listing.url, '/servers/801', { method: 'POST', body: { address: chat.address } })
      ).text;
      await state.db.breakStore(state.listing);
    });
    afterAll(async () => {
      await state.listing?.close();
      await state.db?.drop();
    });

    it('every route that needs the database answers 503 with a JSON error, and the process keeps serving', async () => {
      const requests: Array<[string, string, object?]> = [
        ['GET', '/servers'],
        ['GET', '/servers/801'],
        ['POST', '/servers/802', { address: state.address }],
        ['PUT', '/servers/801', {}],
        ['DELETE', '/servers/801'],
        ['GET', '/healthz'],
      ];
      for (const [method, path, body] of requests) {
        const res = await http(state.listing.url, path, {
          method,
          headers: method === 'PUT' || method === 'DELETE' ? auth(state.key) : {},
          ...(body ? { body } : {}),
        });
        expect(res.status, `${method} ${path}: ${res.text}`).toBe(503);
        expect(res.json()).toMatchObject({ error: 'store_unavailable' });
        expect(res.text).not.toMatch(/\bat .*\.(js|ts):\d+/);
      }
      // Routes without the database still answer.
      expect((await http(state.listing.url, '/servers/x')).status).toBe(400);
      expect((await http(state.listing.url, '/docs/json')).status).toBe(200);
    });
  });
}
