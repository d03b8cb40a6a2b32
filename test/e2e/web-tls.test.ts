/**
 * The web client and a TLS server in the directory (contract §7 `tls`): the server speaks
 * wss:// only and is listed with `tls: true`; the page (served over plain http:// by the
 * listing) shows it as TLS, pings it over wss:// and joins it over wss://.
 *
 * The certificate is made in the test. This test's Chromium trusts exactly that certificate's
 * key (`--ignore-certificate-errors-spki-list`, honoured with the temporary profile Playwright
 * gives it); every other certificate is still verified.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ListingServer } from '../../src/listing/index.js';
import { usernameKey } from '../../src/protocol/index.js';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import { listServers, startTestListing } from '../helpers/listing.js';
import { selfSignedCert } from '../helpers/tls.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWithChromium, launchChromium, screenshot, spkiHash, webRoot } from './helpers.js';

const SECURE_ID = 1831;
const PLAIN_ID = 1832;
const STEP_MS = 10_000;

describeWithChromium('web client: a TLS server in the directory (Chromium)', () => {
  let listing: ListingServer;
  let secure: ChatServer;
  let plain: ChatServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    const dir = tempDir('c2-e2e-tls-');
    const root = await webRoot(join(dir, 'web'));
    const files = selfSignedCert(dir);
    const tls = { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
    listing = await startTestListing({ webRoot: root, allowSelfSigned: true });
    const listed = { url: listing.url, heartbeatMs: 60_000 };
    [secure, plain, browser] = await Promise.all([
      startChatServer({
        host: '127.0.0.1',
        port: 0,
        id: SECURE_ID,
        name: 'Secure Room',
        webRoot: root,
        tls,
        listing: listed,
      }),
      startChatServer({ host: '127.0.0.1', port: 0, id: PLAIN_ID, name: 'Plain Room', webRoot: root, listing: listed }),
      launchChromium([`--ignore-certificate-errors-spki-list=${spkiHash(tls.cert)}`]),
    ]);
    await eventually(async () => (await listServers(listing.url)).length === 2, 'both servers listed');
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('pageerror', (err) => console.error('page error:', err));
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await Promise.allSettled([secure?.close(), plain?.close()]);
    await listing?.close();
  }, 30_000);

  const row = (id: number) => page.locator(`tr[data-server-id="${id}"]`);

  it('shows the TLS server as TLS and pings it over wss://; the plain one over ws://', async () => {
    expect((await listServers(listing.url)).find((s) => s.id === SECURE_ID)?.tls).toBe(true);
    await page.goto(`${listing.url}/`);
    await row(SECURE_ID).locator('.server-name', { hasText: 'Secure Room' }).waitFor();
    await row(SECURE_ID).locator('.badge.tls').waitFor();
    expect(await row(PLAIN_ID).locator('.badge.tls').count()).toBe(0);
    // The server speaks nothing but wss://: a ping time is a wss:// round trip.
    for (const id of [SECURE_ID, PLAIN_ID]) {
      await expect
        .poll(() => row(id).locator('.col-ping .ping').getAttribute('data-rtt'), { timeout: STEP_MS })
        .toMatch(/^[0-9]+\.[0-9]+$/);
    }
    await screenshot(page, 'web-server-browser-tls');
  }, 30_000);

  it('joins the TLS server from the directory over wss:// and chats', async () => {
    await page.getByLabel('Your name').fill('tess');
    await row(SECURE_ID).getByRole('button', { name: /^Join/ }).click();
    const composer = page.getByRole('textbox', { name: /^Message / });
    await composer.waitFor();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await expect.poll(() => page.title()).toBe('Secure Room · Chatter');
    expect(secure.hub.room.get(usernameKey('tess'))).toBeDefined();
    await composer.fill('over TLS');
    await composer.press('Enter');
    await page
      .getByRole('region', { name: /^Messages in/ })
      .getByText('over TLS')
      .waitFor();
  }, 30_000);
});
