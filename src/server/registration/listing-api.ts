/**
 * The three calls a chat server makes to a listing (contract §7), over fetch, with a time
 * bound each and no redirects. Every outcome is a value, never a throw.
 */

export type ListingOutcome =
  | { ok: true; status: number; text: string }
  | { ok: false; status: number; code: string; message: string; retryAfterMs?: number }
  | { ok: false; status: 0; code: 'unreachable'; message: string; retryAfterMs?: undefined };

export interface ListingProps {
  serverName?: string;
  address?: string;
  connectedUsers?: number;
  maxUsers?: number;
  /** The server speaks `wss://` only. */
  tls?: boolean;
}

export async function callListing(
  baseUrl: string,
  method: 'POST' | 'PUT' | 'DELETE',
  id: number,
  options: { key?: string; body?: ListingProps; timeoutMs: number; signal?: AbortSignal },
): Promise<ListingOutcome> {
  const headers: Record<string, string> = {};
  if (options.key !== undefined) headers.authorization = `C2Listing ${options.key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  let res: Response;
  let text: string;
  try {
    res = await fetch(new URL(`servers/${id}`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`), {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      redirect: 'error',
      signal: AbortSignal.any(signals),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `no answer within ${options.timeoutMs} ms`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, status: 0, code: 'unreachable', message: why };
  }
  if (res.ok) return { ok: true, status: res.status, text };
  let code = `http_${res.status}`;
  let message = text.slice(0, 200);
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') code = body.error;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the raw text
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  return {
    ok: false,
    status: res.status,
    code,
    message,
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  };
}
