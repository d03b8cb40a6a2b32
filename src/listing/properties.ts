/**
 * The property rules of contract §7 that the JSON schema cannot state, and the merging
 * of a request's properties with defaults (POST) or the stored values (PUT).
 */
import { normalizeServerName, validateServerName } from '../protocol/rules.js';
import { type HostPort, isNumericHost, parseAddress } from './address/parse.js';
import { ApiError } from './errors.js';
import { DEFAULT_MAX_USERS, DEFAULT_SERVER_NAME, MAX_MAX_USERS, type ServerProperties } from './schemas.js';

function invalid(message: string): ApiError {
  return new ApiError('invalid_property', message);
}

export function checkServerName(name: string): string {
  const problem = validateServerName(name);
  if (problem) throw invalid(`"serverName" ${problem}`);
  return normalizeServerName(name);
}

export function checkAddressSyntax(text: string): HostPort {
  const hp = parseAddress(text);
  if (hp === null) {
    const host = text.slice(0, text.lastIndexOf(':'));
    if (/^[0-9a-fx.]{1,64}$/i.test(host) && isNumericHost(host)) {
      throw invalid(
        `"address": ${host} is neither a host name nor an IP address in standard form; write an IPv4 address as four decimal numbers from 0 to 255 without leading zeros (203.0.113.7)`,
      );
    }
    throw invalid('"address" must be host:port (an IPv6 host in brackets: [2001:db8::1]:5000), port 1 to 65535');
  }
  return hp;
}

export function checkUserCounts(connectedUsers: number, maxUsers: number): void {
  if (maxUsers < 1 || maxUsers > MAX_MAX_USERS) throw invalid('"maxUsers" must be a whole number from 1 to 1000000');
  if (connectedUsers < 0 || connectedUsers > maxUsers) {
    throw invalid(`"connectedUsers" must be a whole number from 0 to maxUsers (${maxUsers})`);
  }
}

/** The entry a POST describes: the body's properties, defaults for the rest (address aside). */
export function withDefaults(body: ServerProperties): {
  serverName: string;
  connectedUsers: number;
  maxUsers: number;
  tls: boolean;
} {
  const serverName = checkServerName(body.serverName ?? DEFAULT_SERVER_NAME);
  const maxUsers = body.maxUsers ?? DEFAULT_MAX_USERS;
  const connectedUsers = body.connectedUsers ?? 0;
  checkUserCounts(connectedUsers, maxUsers);
  return { serverName, connectedUsers, maxUsers, tls: body.tls ?? false };
}
