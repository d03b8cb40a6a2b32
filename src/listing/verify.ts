/**
 * Verifying a server (contract §7): `ws://<address>/` must answer `c2/PING <now>` with
 * `c2/PING <now>; <id>` within the time bound. Failures become 400 responses.
 *
 * The answer is not an oracle: whatever went wrong (a closed port, an HTTP or other
 * service, a silent peer, a wrong reply), the caller is told one plain reason, and never
 * any byte the peer sent. What happened is kept for the listing's own log, in the error's
 * `detail`.
 */
import { pingServer } from '../client/node.js';
import { PingError } from '../client/ping.js';
import { ApiError } from './errors.js';

/** Where to ping: the address as listed, and the `ip:port` to dial. */
export interface PingTarget {
  address: string;
  dial: string;
}

/** Pings `target.dial` expecting server `id`; throws an ApiError when it fails. */
export type Verifier = (target: PingTarget, id: number, signal?: AbortSignal) => Promise<void>;

export interface VerifierOptions {
  timeoutMs: number;
  maxBytes: number;
}

export function createVerifier(options: VerifierOptions): Verifier {
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  return async (target, id, signal) => {
    try {
      await pingServer(target.dial, {
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        expectedId: id,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      const detail = `c2/PING to ws://${target.dial}/: ${err instanceof Error ? err.message : String(err)}`;
      if (err instanceof PingError && err.code === 'wrong_id') {
        throw new ApiError('wrong_server_id', `${target.address} answered with another server id, not ${id}`, {
          detail,
        });
      }
      throw new ApiError('ping_failed', `${target.address} did not answer a c2 PING within ${seconds} s`, { detail });
    }
  };
}
