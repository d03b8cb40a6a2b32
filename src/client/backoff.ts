/** Exponential backoff with jitter, for reconnecting. */
import type { ReconnectOptions } from './types.js';

export type ResolvedReconnect = Required<ReconnectOptions>;

export const DEFAULT_RECONNECT: ResolvedReconnect = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Number.POSITIVE_INFINITY,
  maxRefusals: 10,
};

export function resolveReconnect(option: boolean | ReconnectOptions | undefined): ResolvedReconnect | null {
  if (option === undefined || option === false) return null;
  return { ...DEFAULT_RECONNECT, ...(option === true ? {} : option) };
}

/**
 * The wait before attempt `attempt` (1, 2, …): `initialDelayMs · factor^(attempt−1)`,
 * capped at `maxDelayMs`, of which the `jitter` fraction is random, so that clients cut
 * off together do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, options: ResolvedReconnect, random: () => number): number {
  const step = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.max(0, attempt - 1));
  const jitter = Math.min(1, Math.max(0, options.jitter));
  return Math.round(step * (1 - jitter * random()));
}
