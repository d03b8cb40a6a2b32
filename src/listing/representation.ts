/**
 * A JSON answer of `GET /servers` and its compressed forms (contract §12): the body is
 * encoded once; each content coding a client asks for is made at most once per body, off
 * the event loop (zlib's thread pool), and kept with it. For the whole list that is once per
 * version of the directory, so a request costs no compression work.
 *
 * ETags: the uncompressed body's tag is derived from its bytes (`"<hash>"`, the same on every
 * listing instance); a compressed form has its own strong tag, `"<hash>-br"` or
 * `"<hash>-gzip"`, since its bytes differ (RFC 9110 §8.8.3). A revalidation matches the
 * tag of the form the request would get, so a cache never takes a gzip body for a client
 * that did not ask for gzip. Every answer says `Vary: Accept-Encoding`.
 */
import { createHash } from 'node:crypto';
import { brotliCompress, constants, gzip } from 'node:zlib';

export type Coding = 'br' | 'gzip';
export type Selected = Coding | 'identity';

/**
 * How hard to compress: `once` for a body kept and sent many times (the whole list:
 * about 0.3 s for 12 MB, off the event loop), `fast` for a page made per request.
 */
export type Effort = 'once' | 'fast';

/** Bodies shorter than this are sent as they are: compressing would save a few bytes at best. */
export const COMPRESS_MIN_BYTES = 256;

const BROTLI_QUALITY: Record<Effort, number> = { once: 4, fast: 1 };
const GZIP_LEVEL: Record<Effort, number> = { once: 6, fast: 1 };

/** A strong ETag derived from the bytes, so every instance gives equal bodies equal tags. */
export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

interface Encoded {
  promise: Promise<Buffer>;
  /** Set once the promise resolved, so that later requests need no promise. */
  buffer?: Buffer;
}

export class Representation {
  /** The tag of the uncompressed body. */
  readonly etag: string;
  private br: Encoded | undefined;
  private gzip: Encoded | undefined;

  constructor(
    readonly body: Buffer,
    private readonly effort: Effort,
  ) {
    this.etag = etagOf(body);
  }

  /** The form to send to a client whose Accept-Encoding is `header`. */
  select(header: string | undefined): Selected {
    return this.body.length < COMPRESS_MIN_BYTES ? 'identity' : negotiate(header);
  }

  /** The ETag of a form. */
  tag(selected: Selected): string {
    return selected === 'identity' ? this.etag : `${this.etag.slice(0, -1)}-${selected}"`;
  }

  /** The compressed body when it is made already (no promise needed), else undefined. */
  ready(coding: Coding): Buffer | undefined {
    return (coding === 'br' ? this.br : this.gzip)?.buffer;
  }

  /** The compressed body, made on first use and kept. */
  encoded(coding: Coding): Promise<Buffer> {
    let entry = coding === 'br' ? this.br : this.gzip;
    if (entry === undefined) {
      const made: Encoded = { promise: compress(this.body, coding, this.effort) };
      made.promise.then(
        (buffer) => {
          made.buffer = buffer;
        },
        () => {
          // Forget a failure, so that the next request tries again.
          if (coding === 'br') this.br = undefined;
          else this.gzip = undefined;
        },
      );
      entry = made;
      if (coding === 'br') this.br = made;
      else this.gzip = made;
    }
    return entry.promise;
  }
}

function compress(body: Buffer, coding: Coding, effort: Effort): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer) => (error ? reject(error) : resolve(result));
    if (coding === 'gzip') {
      gzip(body, { level: GZIP_LEVEL[effort] }, done);
      return;
    }
    brotliCompress(
      body,
      {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY[effort],
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      },
      done,
    );
  });
}

/** Accept-Encoding headers seen, and what they select (clients send a handful of distinct ones). */
const negotiated = new Map<string, Selected>();
const MAX_NEGOTIATED = 256;

/**
 * The coding to answer with (RFC 9110 §12.5.3): the one with the highest q-value among br,
 * gzip (or x-gzip) and `*`; br when tied; no coding when neither is acceptable, or when
 * `identity` is preferred. Remembered per header value.
 */
export function negotiate(header: string | undefined): Selected {
  if (header === undefined || header === '') return 'identity';
  let selected = negotiated.get(header);
  if (selected === undefined) {
    selected = parseAcceptEncoding(header);
    if (negotiated.size >= MAX_NEGOTIATED) negotiated.clear();
    negotiated.set(header, selected);
  }
  return selected;
}

function parseAcceptEncoding(header: string): Selected {
  let br: number | undefined;
  let gz: number | undefined;
  let identity: number | undefined;
  let any: number | undefined;
  for (const part of header.split(',')) {
    const [token = '', ...params] = part.split(';');
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param);
      if (match) q = Math.min(1, Number(match[1]) || 0);
    }
    switch (token.trim().toLowerCase()) {
      case 'br':
        br = q;
        break;
      case 'gzip':
      case 'x-gzip':
        gz = q;
        break;
      case 'identity':
        identity = q;
        break;
      case '*':
        any = q;
        break;
    }
  }
  const qBr = br ?? any ?? 0;
  const qGzip = gz ?? any ?? 0;
  const best = Math.max(qBr, qGzip);
  if (best <= 0 || (identity !== undefined && identity > best)) return 'identity';
  return qBr >= qGzip ? 'br' : 'gzip';
}
