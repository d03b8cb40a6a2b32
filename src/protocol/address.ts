/**
 * Addresses as both servers and every client write them (contract §7, §9): `host:port`,
 * with an IPv6 host in brackets, and the default ports. Pure; the listing's strict parser
 * of the `address` property is src/listing/address/parse.ts.
 */

/** The chat server's port unless told otherwise, and the port a listed address defaults to. */
export const DEFAULT_CHAT_PORT = 5000;
/** The listing server's port unless told otherwise. */
export const DEFAULT_LISTING_PORT = 8080;

/** A host as it stands before `:port` or in a URL: an IPv6 address in brackets. */
export function bracketHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `host:port`, or `[v6]:port`. */
export function formatAddress(host: string, port: number): string {
  return `${bracketHost(host)}:${port}`;
}
