/**
 * The `Authorization: C2Listing <key>` header, parsed strictly: the scheme (compared
 * case-insensitively, as HTTP schemes are), one space, and a key of the exact form the
 * listing issues. Anything else is a malformed header (401), told apart from a missing one.
 */
import { ApiError } from './errors.js';
import { KEY_PATTERN } from './keys.js';

const HEADER = /^C2Listing ([^ ]+)$/i;

/** Returns the key, or throws a 401 ApiError. */
export function keyFromAuthorization(header: string | string[] | undefined): string {
  if (header === undefined || header === '') {
    throw new ApiError('missing_key', 'send the key as "Authorization: C2Listing <key>"');
  }
  if (Array.isArray(header)) {
    throw new ApiError('malformed_authorization', 'send exactly one Authorization header');
  }
  const match = HEADER.exec(header);
  if (!match || !KEY_PATTERN.test(match[1] as string)) {
    throw new ApiError(
      'malformed_authorization',
      'the Authorization header must be "C2Listing <key>", with the key exactly as the listing issued it',
    );
  }
  return match[1] as string;
}
