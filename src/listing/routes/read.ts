/**
 * `GET /servers` — the whole list from the cache (ETag/304, compressed forms made once per
 * version), or a query of the store: filters, order, pages with cursors (contract §12) —
 * and `GET /servers/<id>` (ext).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ListingContext } from '../context.js';
import { type CursorPosition, positionOf } from '../cursor.js';
import { notListedHere } from '../errors.js';
import { ifNoneMatchHits } from '../list-cache.js';
import { isWholeList, type ListQuery, MAX_LIMIT, parseListQuery } from '../list-query.js';
import type { AnswerCallback } from '../page-cache.js';
import { Representation } from '../representation.js';
import { emptyResponse, errorResponse, IdParams, ListQuerystring, ServerEntry, ServerList } from '../schemas.js';
import type { PublicServer } from '../store/types.js';
import { idFrom } from './request.js';

type ServerListBody = Static<typeof ServerList>;

/** The query string, checked by list-query.ts (clear messages, one pass) instead of Ajv. */
function listQueryValidator({ httpPart }: { httpPart?: string }) {
  if (httpPart !== 'querystring') return () => true;
  return (data: unknown) => {
    try {
      return { value: parseListQuery(data as Record<string, unknown> | null) };
    } catch (error) {
      return { error: error as Error };
    }
  };
}

export const readRoutes: FastifyPluginAsyncTypebox<{ ctx: ListingContext }> = async (app, { ctx }) => {
  /** Sends `representation` in the form the request accepts, or 304 when its tag matches. */
  function send(request: FastifyRequest, reply: FastifyReply, representation: Representation): void {
    const selected = representation.select(request.headers['accept-encoding']);
    const etag = representation.tag(selected);
    reply.header('etag', etag).header('cache-control', 'no-cache').header('vary', 'Accept-Encoding');
    if (ifNoneMatchHits(request.headers['if-none-match'], etag)) {
      reply.code(304).send();
      return;
    }
    // Already serialised and encoded: Fastify sends a Buffer as is, without the serialiser.
    reply.type('application/json; charset=utf-8');
    if (selected === 'identity') {
      reply.send(representation.body as unknown as ServerListBody);
      return;
    }
    const ready = representation.ready(selected);
    if (ready !== undefined) {
      reply.header('content-encoding', selected).send(ready as unknown as ServerListBody);
      return;
    }
    representation.encoded(selected).then(
      (body) => reply.header('content-encoding', selected).send(body as unknown as ServerListBody),
      (error: unknown) => {
        ctx.log.error({ err: (error as Error).message, coding: selected }, 'compression failed; answered uncompressed');
        reply.header('etag', representation.etag).send(representation.body as unknown as ServerListBody);
      },
    );
  }

  app.get(
    '/servers',
    {
      validatorCompiler: listQueryValidator,
      schema: {
        summary: 'List the servers: all of them, or filtered, sorted and in pages',
        description: [
          'Without parameters: every listed server, by id (the seed answer), compressed with br or gzip when the client accepts it (made once per version of the list).',
          'With parameters: the servers matching `q`, `notFull` and `notEmpty`, in the order `sort`; with `limit`, at most that many and `next`, the cursor of the next page (null on the last page).',
          'Pages are stable while the list changes: a walk shows every entry present throughout it exactly once (an entry whose sort key changes during the walk may move).',
          'Unknown parameters and bad values are 400 `invalid_query`; a cursor that was altered, made for other parameters or by another directory, or expired (after 24 hours) is 400 `invalid_cursor`.',
          'Every 200 has an ETag (per content coding): send it back as If-None-Match to get 304. Any origin may GET (CORS).',
        ].join('\n\n'),
        tags: ['servers'],
        querystring: ListQuerystring,
        response: {
          200: ServerList,
          304: emptyResponse('Not modified: the answer has not changed since that ETag'),
          400: errorResponse('invalid_query or invalid_cursor'),
          503: errorResponse('store_unavailable'),
        },
      },
    },
    // Not async: answered from the cache's batch callback, without a promise per request.
    (request, reply) => {
      const query = request.query as unknown as ListQuery;
      if (!isWholeList(query)) {
        answerQuery(query, (error, answer) =>
          answer === undefined ? reply.send(error as never) : send(request, reply, answer),
        );
        return;
      }
      ctx.cache.get((error, snapshot) => {
        if (snapshot === undefined) {
          // The store's error goes to the error handler (503 store_unavailable).
          reply.send(error as never);
          return;
        }
        send(request, reply, snapshot);
      });
    },
  );

  /**
   * A filtered, sorted or paged answer: kept per version of the directory (page-cache.ts),
   * else a query of the store through an index. A bad cursor is refused before anything.
   */
  function answerQuery(query: ListQuery, callback: AnswerCallback): void {
    let after: CursorPosition | null;
    try {
      after = query.cursor === null ? null : ctx.cursors.decode({ ...query, cursor: query.cursor });
    } catch (error) {
      callback(error, undefined);
      return;
    }
    const key = JSON.stringify([
      query.sort,
      query.notFull,
      query.notEmpty,
      query.q,
      query.limit,
      after?.key,
      after?.id,
    ]);
    ctx.pages.get(key, () => makeAnswer(query, after), callback);
  }

  async function makeAnswer(query: ListQuery, after: CursorPosition | null): Promise<Representation> {
    const filters = { q: query.q, notFull: query.notFull, notEmpty: query.notEmpty, sort: query.sort };
    if (query.limit !== null) {
      // One more than asked, to know whether there is a next page.
      const rows = await ctx.store.page({ ...filters, after, limit: query.limit + 1 });
      const servers = rows.length > query.limit ? rows.slice(0, query.limit) : rows;
      const last = servers[servers.length - 1];
      const next = rows.length > query.limit && last !== undefined ? ctx.cursors.encode(query, last) : null;
      return new Representation(Buffer.from(JSON.stringify({ servers, next }), 'utf8'), 'fast');
    }
    // Every match: a walk of the store in pages of MAX_LIMIT, other requests served between them.
    const servers: PublicServer[] = [];
    let position: CursorPosition | null = null;
    for (;;) {
      const rows = await ctx.store.page({ ...filters, after: position, limit: MAX_LIMIT });
      for (const row of rows) servers.push(row);
      const last = rows[rows.length - 1];
      if (rows.length < MAX_LIMIT || last === undefined) break;
      position = positionOf(query.sort, last);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return new Representation(Buffer.from(JSON.stringify({ servers }), 'utf8'), 'fast');
  }

  app.get(
    '/servers/:id',
    {
      schema: {
        summary: 'One server',
        tags: ['servers'],
        params: IdParams,
        response: {
          200: ServerEntry,
          400: errorResponse('invalid_id'),
          404: errorResponse('not_listed'),
          503: errorResponse('store_unavailable'),
        },
      },
    },
    // A primary-key read of the store: at 100,000 entries, cheaper than keeping (and
    // rebuilding after every change) an index of the whole list in memory.
    async (request) => {
      const id = idFrom(request.params.id);
      const entry = await ctx.store.get(id);
      if (entry === undefined) throw notListedHere(id);
      return {
        id: entry.id,
        displayName: entry.displayName,
        address: entry.address,
        connectedUsers: entry.connectedUsers,
        maxUsers: entry.maxUsers,
        tls: entry.tls,
      };
    },
  );
};
