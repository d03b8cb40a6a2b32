/** Pieces shared by the /servers routes: the id parameter, the optional body, the key check. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseServerId } from '../../protocol/rules.js';
import { keyFromAuthorization } from '../authorization.js';
import type { ListingContext } from '../context.js';
import { ApiError, notListed } from '../errors.js';
import { keyMatches } from '../keys.js';
import { callerKey, type DialGrant } from '../limits.js';
import type { ServerRecord } from '../store/types.js';

/** The `:id` path parameter as a number, or a 400 `invalid_id`. */
export function idFrom(text: string): number {
  const id = parseServerId(text);
  if (id === null) {
    throw new ApiError(
      'invalid_id',
      'the server id must be a whole number from 0 to 9007199254740991, without sign or leading zeros',
    );
  }
  return id;
}

/** preValidation hook: a request without a body is an empty object (every property optional). */
export async function absentBodyIsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) request.body = {};
}

const authenticated = new WeakMap<FastifyRequest, ServerRecord>();

/**
 * preParsing hook for PUT and DELETE: authentication comes before the body is even read
 * (an unauthenticated caller cannot make the listing parse anything): too many failed
 * authentications from this IP (429) → id (400) → Authorization header present and
 * well-formed (401) → listed (400 `not_listed`) → key matches (401 `bad_key`). Every 401
 * counts against the caller's failure limit.
 */
export function authenticate(ctx: ListingContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const caller = callerKey(request.ip);
    const retryAfter = ctx.authFailures.retryAfter(caller);
    if (retryAfter > 0) {
      throw new ApiError('rate_limited', `too many failed authentications from ${caller}; retry in ${retryAfter} s`, {
        retryAfter,
      });
    }
    const id = idFrom((request.params as { id: string }).id);
    try {
      const key = keyFromAuthorization(request.headers.authorization);
      const record = await ctx.store.get(id);
      if (record === undefined) throw notListed(id);
      if (!keyMatches(key, record.keyHash)) throw new ApiError('bad_key', `that key is not the key of server ${id}`);
      authenticated.set(request, record);
    } catch (err) {
      if (err instanceof ApiError && err.statusCode === 401) ctx.authFailures.hit(caller);
      throw err;
    }
  };
}

/** The entry `authenticate` found for this request. */
export function authenticatedEntry(request: FastifyRequest): ServerRecord {
  const record = authenticated.get(request);
  if (record === undefined) throw new Error('authenticate() did not run for this route');
  return record;
}

/**
 * After a conditional write found nothing to change: the entry went away (400
 * `not_listed`) or was re-registered with a new key meanwhile (401 `bad_key`).
 */
export async function vanished(ctx: ListingContext, id: number): Promise<ApiError> {
  return (await ctx.store.get(id)) === undefined
    ? notListed(id)
    : new ApiError('bad_key', `that key is not the key of server ${id}`);
}

/**
 * Claims a dial from the caller's budget (`429`/`503` when there is none left), for a
 * request that has passed every check that needs no network; the reply carries the
 * budget's `X-RateLimit-*` headers. Release the grant when the request is done dialling.
 */
export function takeDial(ctx: ListingContext, request: FastifyRequest, reply: FastifyReply): DialGrant {
  const grant = ctx.dials.take(request.ip);
  reply.headers(grant.headers);
  return grant;
}
