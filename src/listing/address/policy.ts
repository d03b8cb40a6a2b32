/**
 * The address policy (contract §7 *Security*): which addresses may be listed, by whom,
 * and which IP the listing dials for them.
 *
 * A host name is resolved once, every resolved address must be dialable, and the ping
 * goes to one of those resolved IPs (never re-resolved in between), so a name cannot
 * pass the check and then be pointed at an internal address for the ping.
 */
import { lookup } from 'node:dns/promises';
import { ApiError } from '../errors.js';
import { classifyIp } from './classify.js';
import { canonicalIp, formatAddress, type HostPort } from './parse.js';

export type Resolver = (host: string) => Promise<string[]>;

export interface AddressPolicyOptions {
  allowPrivateAddresses: boolean;
  anyAddress: boolean;
  /** Bound on a name lookup (default 5000 ms). */
  resolveTimeoutMs?: number;
  /** Name resolution; the system resolver by default. */
  resolve?: Resolver;
}

/** An address that passed the policy: what to store, and the IP to dial. */
export interface CheckedAddress {
  /** Canonical `host:port`, as stored and listed. */
  address: string;
  /** `ip:port` (or `[v6]:port`) to ping. */
  dial: string;
  /** Every IP the host stands for (one, for a literal). */
  ips: string[];
}

export const systemResolver: Resolver = async (host) => {
  const results = await lookup(host, { all: true, verbatim: true });
  return results.map((r) => r.address);
};

export class AddressPolicy {
  private readonly resolveTimeoutMs: number;
  private readonly resolver: Resolver;

  constructor(private readonly options: AddressPolicyOptions) {
    this.resolveTimeoutMs = options.resolveTimeoutMs ?? 5000;
    this.resolver = options.resolve ?? systemResolver;
  }

  /**
   * Checks an address named by a caller whose IP is `callerIp`.
   * `requireOwnership` is false only under `--any-address`.
   */
  async checkForCaller(hp: HostPort, callerIp: string): Promise<CheckedAddress> {
    const checked = await this.check(hp);
    if (this.options.anyAddress) return checked;
    const caller = canonicalIp(callerIp) ?? callerIp;
    if (!checked.ips.includes(caller)) throw notYours(checked.address, caller);
    return { ...checked, dial: formatAddress(caller, hp.port) };
  }

  /** Whether `callerIp` is (one of) the address's host, whatever `--any-address` says. */
  isOwnHost(checked: CheckedAddress, callerIp: string): boolean {
    return checked.ips.includes(canonicalIp(callerIp) ?? callerIp);
  }

  /** Resolves and checks an address for dialling, with no caller (the liveness checker). */
  async check(hp: HostPort): Promise<CheckedAddress> {
    const address = formatAddress(hp.host, hp.port);
    const ips = hp.kind === 'name' ? await this.resolveName(hp.host) : [hp.host];
    for (const ip of ips) {
      const kind = classifyIp(ip);
      if (kind === 'reserved') {
        throw new ApiError('address_not_allowed', `${address} is not a dialable address (${ip} is a reserved range)`);
      }
      if (kind === 'private' && !this.options.allowPrivateAddresses) {
        throw new ApiError(
          'address_not_allowed',
          `${address} is a private, loopback or link-local address (${ip}); this listing only lists public addresses`,
        );
      }
    }
    return { address, dial: formatAddress(ips[0] as string, hp.port), ips };
  }

  private async resolveName(host: string): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.resolveTimeoutMs} ms`)),
        this.resolveTimeoutMs,
      );
    });
    try {
      const found = await Promise.race([this.resolver(host), timeout]);
      const ips = [...new Set(found.map((ip) => canonicalIp(ip)).filter((ip): ip is string => ip !== null))];
      if (ips.length === 0) throw new Error('no addresses');
      return ips;
    } catch (err) {
      throw new ApiError('address_unresolvable', `cannot resolve the host name "${host}": ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

function notYours(address: string, caller: string): ApiError {
  return new ApiError(
    'address_not_yours',
    `${address} is not the address this request came from (${caller}): a server can only list its own address`,
  );
}
