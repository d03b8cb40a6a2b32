/**
 * Verifying a server (contract §7): `ws://<address>/` (`wss://` for an entry with `tls`)
 * must answer `c2/PING <now>` with `c2/PING <now>; <id>` within the time bound. Failures
 * become 400 responses.
 *
 * Over `wss://` the certificate is verified against the system's CAs, for the listed host
 * name (SNI and the name check use it, while the IP dialled stays the one the address
 * policy checked); `allowSelfSigned` (`c2 listing --allow-self-signed`) skips that check.
 *
 * The answer is not an oracle: whatever went wrong (a closed port, an HTTP or other
 * service, a silent peer, a wrong reply), the caller is told one plain reason, and never
 * any byte the peer sent. What happened is kept for the listing's own log, in the error's
 * `detail`.
 */
import { pingServer } from '../client/node.js';
import { PingError } from '../client/ping.js';
import { parseAddress } from './address/parse.js';
import { ApiError } from './errors.js';

/** Where to ping: the address as listed, the `ip:port` to dial, and whether over TLS. */
export interface PingTarget {
  address: string;
  dial: string;
  /** `wss://` instead of `ws://` (default false). */
  tls?: boolean;
}

/** Pings `target.dial` expecting server `id`; throws an ApiError when it fails. */
export type Verifier = (target: PingTarget, id: number, signal?: AbortSignal) => Promise<void>;

export interface VerifierOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Accept any certificate over `wss://` (self-signed, untrusted, another name): tests and private setups. */
  allowSelfSigned?: boolean;
}

export function createVerifier(options: VerifierOptions): Verifier {
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  return async (target, id, signal) => {
    const tls = target.tls === true;
    try {
      await pingServer(target.dial, {
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        expectedId: id,
        ...(signal ? { signal } : {}),
        ...(tls ? tlsOptions(target.address, options.allowSelfSigned === true) : {}),
      });
    } catch (err) {
      const scheme = tls ? 'wss' : 'ws';
      const detail = `c2/PING to ${scheme}://${target.dial}/ (${target.address}): ${err instanceof Error ? err.message : String(err)}`;
      if (err instanceof PingError && err.code === 'wrong_id') {
        throw new ApiError('wrong_server_id', `${target.address} answered with another server id, not ${id}`, {
          detail,
        });
      }
      const over = tls ? ' over wss://' : '';
      throw new ApiError('ping_failed', `${target.address} did not answer a c2 PING${over} within ${seconds} s`, {
        detail,
      });
    }
  };
}

function tlsOptions(address: string, allowSelfSigned: boolean) {
  const hp = parseAddress(address);
  return {
    secure: true,
    rejectUnauthorized: !allowSelfSigned,
    // A name is what the certificate is for; an IP is checked as the IP dialled.
    ...(hp?.kind === 'name' ? { servername: hp.host } : {}),
  };
}
