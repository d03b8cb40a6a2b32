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
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: ErrorCode;
  message: string;
}

/** An error that becomes exactly one HTTP response. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    statusCode?: number,
  ) {
    super(message);
    this.statusCode = statusCode ?? ERROR_STATUS[code];
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
