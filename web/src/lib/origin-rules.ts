/**
 * The pure part of telling where the page is served from (see where.ts): classifying a
 * `/healthz` answer and reading a listing URL typed by a person. No DOM.
 */

export interface ChatServerHealth {
  id: number;
  name: string;
  connectedUsers: number;
  maxUsers: number;
}

export type Origin =
  | { kind: 'chat-server'; health: ChatServerHealth }
  | { kind: 'listing' }
  /** Neither answered (a development server, a static host): the listing comes from settings. */
  | { kind: 'other' };

/** Classifies a `/healthz` answer. */
export function classifyHealth(body: unknown): Origin {
  const b = body as (Partial<ChatServerHealth> & { store?: unknown }) | null;
  if (b && typeof b.id === 'number' && typeof b.name === 'string') {
    return {
      kind: 'chat-server',
      health: {
        id: b.id,
        name: b.name,
        connectedUsers: typeof b.connectedUsers === 'number' ? b.connectedUsers : 0,
        maxUsers: typeof b.maxUsers === 'number' ? b.maxUsers : 0,
      },
    };
  }
  if (b && typeof b.store === 'string') return { kind: 'listing' };
  return { kind: 'other' };
}

/** `http(s)://host[:port]` without a trailing slash, or null when `text` is not an HTTP URL. */
export function normalizeListingUrl(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  try {
    const url = new URL(withScheme);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return null;
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}
