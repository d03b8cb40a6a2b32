/**
 * A c2 server's address → the WebSocket URL to dial: one rule for `c2 chat`, `c2 ping`,
 * `c2 servers`, the listing's verification ping, `C2Client.connect` and the web client.
 *
 * - `ws://…` or `wss://…` (any case): a URL with a host and no user name or password; its
 *   path and query are kept, a fragment is dropped.
 * - `host:port` or `[IPv6]:port`: exactly a host and an explicit port, nothing else; it is
 *   dialled as `ws://host:port`, or `wss://` when `secure` (a listing entry with `tls`, or
 *   a page served over HTTPS, which may not open `ws://`: `listedServerUrl`).
 *
 * The URL comes out in one canonical form (lower-case scheme and host, a default port left
 * out, no `/` after an empty path: `ws://host:port`), so two spellings of one server give
 * the same URL. Pure and browser-safe.
 */

export type ServerUrl = { ok: true; url: string } | { ok: false; reason: string };

const WS_SCHEME = /^wss?:\/\//i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const EXPECTED = 'expected ws://host:port or wss://host:port';

/** Reads `host:port`, `[IPv6]:port` or a `ws://`/`wss://` URL; see the module comment. */
export function parseServerUrl(address: string, secure = false): ServerUrl {
  const text = address.trim();
  if (WS_SCHEME.test(text)) return fromUrl(text);
  if (ANY_SCHEME.test(text)) return { ok: false, reason: `"${text}" is not a WebSocket URL; ${EXPECTED}` };
  const url = tryUrl(`${secure ? 'wss' : 'ws'}://${text}/`);
  const exact =
    url !== null &&
    url.hostname !== '' &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    /:[0-9]+$/.test(text);
  if (!exact) return { ok: false, reason: `"${text}" is not host:port, [IPv6]:port or a ws:// or wss:// URL` };
  return { ok: true, url: canonical(url) };
}

/** The URL to dial for `address`, or null when it is not one (see `parseServerUrl`). */
export function serverUrl(address: string, secure = false): string | null {
  const parsed = parseServerUrl(address, secure);
  return parsed.ok ? parsed.url : null;
}

/**
 * The URL to dial for a listed server (contract §7): `wss://` when the entry has `tls`
 * (the server speaks `wss://` only), or when `secure` asks for it (a page served over
 * HTTPS); `ws://` otherwise. Null when the address is not `host:port` (a URL included).
 */
export function listedServerUrl(entry: { address: string; tls?: boolean }, secure = false): string | null {
  // A listed address is host:port: one that names its own scheme is not one to trust.
  if (ANY_SCHEME.test(entry.address.trim())) return null;
  return serverUrl(entry.address, secure || entry.tls === true);
}

/**
 * Why `url` is not a c2 server URL (`ws://` or `wss://`, as `C2Client.connect` takes), or
 * null when it is one. The same rule as `parseServerUrl`, without the `host:port` form.
 */
export function checkServerUrl(url: string): string | null {
  const text = url.trim();
  if (WS_SCHEME.test(text)) {
    const parsed = fromUrl(text);
    return parsed.ok ? null : parsed.reason;
  }
  if (tryUrl(text) === null) return `"${url}" is not a URL; ${EXPECTED}`;
  return `"${url}" is not a WebSocket URL; ${EXPECTED}`;
}

function fromUrl(text: string): ServerUrl {
  const url = tryUrl(text);
  if (url === null) return { ok: false, reason: `"${text}" is not a URL; ${EXPECTED}` };
  if (url.hostname === '') return { ok: false, reason: `"${text}" has no host` };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: `"${text}" has a user name or password, which c2 has no use for` };
  }
  url.hash = '';
  return { ok: true, url: canonical(url) };
}

function canonical(url: URL): string {
  const { href } = url;
  return url.pathname === '/' && href.endsWith('/') ? href.slice(0, -1) : href;
}

function tryUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
