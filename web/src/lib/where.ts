/**
 * Where this page is served from, which decides what the server browser shows: a chat
 * server (its `/healthz` names an `id`: that server is preselected, and the directory
 * comes from a listing named in `?listing=` or at port 8080 of the same host), or a listing
 * server (the directory is on the same origin).
 */
import { type ListedServer, serverUrl } from '../../../src/client/index.js';
import { DEFAULT_LISTING_PORT } from '../../../src/protocol/address.js';
import { type ChatServerHealth, classifyHealth, normalizeListingUrl, type Origin } from './origin-rules.js';

export { type ChatServerHealth, classifyHealth, normalizeListingUrl, type Origin };

export async function fetchHealth(signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(new URL('healthz', window.location.href), {
    headers: { accept: 'application/json' },
    cache: 'no-store',
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

export async function detectOrigin(): Promise<Origin> {
  try {
    return classifyHealth(await fetchHealth(AbortSignal.timeout(4000)));
  } catch {
    return { kind: 'other' };
  }
}

/** The page's own chat server as a directory entry. */
export function homeServer(health: ChatServerHealth): ListedServer {
  return {
    id: health.id,
    displayName: health.name,
    address: window.location.host,
    connectedUsers: health.connectedUsers,
    maxUsers: health.maxUsers,
    // A page served over https:// comes from a server with a certificate: it speaks wss://.
    tls: window.location.protocol === 'https:',
  };
}

/** The WebSocket URL of the page's own server (`host` leaves a default port out, so a URL rather than host:port). */
export function homeWsUrl(): string {
  const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}`;
  return serverUrl(url) ?? url;
}

/** The listing the page starts with: `?listing=`, else the same origin on a listing, else remembered, else port 8080. */
export function initialListingUrl(origin: Origin, remembered: string | null): string {
  const param = new URLSearchParams(window.location.search).get('listing');
  const fromParam = param === null ? null : normalizeListingUrl(param);
  if (fromParam) return fromParam;
  if (origin.kind === 'listing') return window.location.origin;
  const fromMemory = remembered === null ? null : normalizeListingUrl(remembered);
  if (fromMemory) return fromMemory;
  // `hostname` keeps the brackets of an IPv6 address.
  return `${window.location.protocol}//${window.location.hostname || 'localhost'}:${DEFAULT_LISTING_PORT}`;
}
