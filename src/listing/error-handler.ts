/**
 * Every error, ours or Fastify's (validation, 404, 413, 415, rate limit), leaves as
 * `{ "error": "<code>", "message": "<text>" }` with its status. Unexpected errors are
 * logged and answered with a plain 500: never a stack trace.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiError } from './errors.js';
import { StoreUnavailableError } from './store/types.js';

const PROPERTY_RULES: Record<string, string> = {
  serverName: '"serverName" must be a string of 1 to 64 characters',
  address: '"address" must be a string host:port',
  connectedUsers: '"connectedUsers" must be a whole number from 0 to maxUsers',
  maxUsers: '"maxUsers" must be a whole number from 1 to 1000000',
  tls: '"tls" must be true or false',
};

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

function fromValidation(context: string | undefined, issues: ValidationIssue[]): ApiError {
  const issue = issues[0];
  if (context === 'params') {
    return new ApiError(
      'invalid_id',
      'the server id must be a whole number from 0 to 9007199254740991, without sign or leading zeros',
    );
  }
  if (context !== 'body' || issue === undefined) {
    return new ApiError('bad_request', `invalid request ${context ?? ''}`.trim());
  }
  if (issue.keyword === 'additionalProperties') {
    const name = String(issue.params.additionalProperty);
    return new ApiError(
      'invalid_property',
      `unknown property "${name}"; the properties are serverName, address, connectedUsers, maxUsers and tls`,
    );
  }
  if (issue.instancePath === '') return new ApiError('invalid_body', 'the body must be a JSON object');
  const property = issue.instancePath.slice(1).split('/')[0] ?? '';
  return new ApiError('invalid_property', PROPERTY_RULES[property] ?? `invalid value at ${issue.instancePath}`);
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreUnavailableError) {
    return new ApiError('store_unavailable', "the listing's database is unavailable; try again later");
  }
  const e = err as FastifyError & { validation?: ValidationIssue[] };
  if (Array.isArray(e.validation)) return fromValidation(e.validationContext, e.validation);
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('body_too_large', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'send the body as Content-Type: application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid_body', 'the body is not valid JSON');
  }
  if (e.name === 'SyntaxError') return new ApiError('invalid_body', 'the body is not valid JSON');
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 429) return new ApiError('rate_limited', e.message);
  if (status === 413) return new ApiError('body_too_large', 'the request body is too large');
  if (status === 415) return new ApiError('unsupported_media_type', 'send the body as Content-Type: application/json');
  if (status >= 400 && status < 500) return new ApiError('bad_request', e.message || 'bad request', status);
  return new ApiError('internal_error', 'internal error; the listing logged it');
}

export function installErrorHandling(
  app: FastifyInstance,
  log: Logger,
  countUnmatched: (method: string, status: number) => void,
): void {
  app.setErrorHandler((err, request, reply) => {
    const apiError = toApiError(err);
    if (apiError.code === 'store_unavailable') {
      log.error({ err: (err as Error).message, reqId: request.id, url: request.url }, 'database unavailable');
    } else if (apiError.statusCode >= 500 && apiError.code !== 'busy') {
      log.error({ err, reqId: request.id, url: request.url }, 'request failed');
    } else if (apiError.detail !== undefined) {
      // What the caller is not told (a ping's real outcome): the operator's to read.
      log.info(
        { reqId: request.id, from: request.ip, url: request.url, error: apiError.code, detail: apiError.detail },
        `${request.method} ${request.url} from ${request.ip}: ${apiError.code}: ${apiError.detail}`,
      );
    }
    reply.headers(apiError.headers);
    return reply.code(apiError.statusCode).type('application/json; charset=utf-8').send(apiError.body());
  });
  app.setNotFoundHandler((request, reply) => {
    countUnmatched(request.method, 404);
    return reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send({
        error: 'not_found',
        message: `no route ${request.method} ${(request.url.split('?', 1)[0] ?? '').slice(0, 200)}`,
      });
  });
}
