/** The listing serves the built web client at `/`, next to its API and /docs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListingServer } from '../../src/listing/index.js';
import { startTestListing } from '../helpers/listing.js';
import { http } from './helpers/http.js';

describe('the web client at /', () => {
  let dir: string;
  let listing: ListingServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c2-listing-web-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>built client</title>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    listing = await startTestListing({ webRoot: dir });
  });
  afterAll(async () => {
    await listing?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the built files, and the API and docs still answer', async () => {
    expect((await http(listing.url, '/')).text).toContain('built client');
    expect((await http(listing.url, '/app.js')).status).toBe(200);
    expect((await http(listing.url, '/servers')).json()).toEqual({ servers: [] });
    expect((await http(listing.url, '/docs/json')).status).toBe(200);
    expect((await http(listing.url, '/docs')).status).toBe(200);
    expect((await http(listing.url, '/missing.js')).json()).toMatchObject({ error: 'not_found' });
  });
});
