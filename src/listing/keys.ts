/**
 * Authorization keys (contract §7 *Security*): 256 bits from the CSPRNG, handed out once
 * as base64url text; only their SHA-256 is stored, and keys are compared by hash in
 * constant time. (A fast hash is right here: the key is random, not a password.)
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const KEY_BYTES = 32;
/** base64url of 32 bytes, without padding. */
export const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

/** The stored form of a key: lower-case hex SHA-256. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Whether `key` hashes to `storedHash`, in time independent of where they differ. */
export function keyMatches(key: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(key, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
