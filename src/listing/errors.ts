/**
 * The listing's error responses: `{ "error": "<machine code>", "message": "<human text>" }`
 * with a stable code per kind of failure (contract §7). docs/LISTING-API.md lists them.
 */

export const ERROR_STATUS = {
  invalid_id: 400,
  invalid_body: 400,
  invalid_property: 400,
  address_not_allowed: 400,
  address_not_yours: 400,
  address_unresolvable: 400,
  ping_failed: 400,
  wrong_server_id: 400,
  not_listed: 400,
  invalid_query: 400,
  invalid_cursor: 400,
  bad_request: 400,
  missing_key: 401,
  malformed_authorization: 401,
  bad_key: 401,
  not_found: 404,
  already_listed: 409,
  body_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  store_unavailable: 503,
  origin_not_allowed: 403,
  busy: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: ErrorCode;
  message: string;
}

export interface ApiErrorOptions {
  /** Another status than the code's usual one. */
  statusCode?: number;
  /** What happened, for the listing's own log only; never sent to the caller. */
  detail?: string;
  /** Seconds for a `Retry-After` header. */
  retryAfter?: number;
  /** Other headers of the response. */
  headers?: Record<string, string>;
}

/** An error that becomes exactly one HTTP response. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;
  readonly detail: string | undefined;
  /** Headers the response carries. */
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: number | ApiErrorOptions = {},
  ) {
    super(message);
    const o = typeof options === 'number' ? { statusCode: options } : options;
    this.statusCode = o.statusCode ?? ERROR_STATUS[code];
    this.detail = o.detail;
    this.headers = { ...o.headers, ...(o.retryAfter === undefined ? {} : { 'retry-after': String(o.retryAfter) }) };
  }

  body(): ErrorBody {
    return { error: this.code, message: this.message };
  }
}

export function notListed(id: number): ApiError {
  return new ApiError('not_listed', `server ${id} is not listed`);
}

export function notListedHere(id: number): ApiError {
  return new ApiError('not_listed', `server ${id} is not listed`, 404);
}
