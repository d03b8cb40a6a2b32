/**
 * The server browser in Chromium against a listing of 100,000 servers (contract §12): the
 * first rows come fast, the search narrows the list on the listing's side, scrolling loads
 * more pages, the DOM and the page's memory stay bounded, and only the servers in view are
 * pinged.
 *
 * The 100,000 entries are inserted through the listing's store. Their addresses are 100,000
 * distinct loopback addresses (127.1.0.0 …) on one port, where one WebSocket server answers
 * `c2/PING <t>` with the id listed for the address it was reached at, and counts what it is
 * asked: 100,000 chat servers in one process, as far as a browser can tell.
 */
import { type AddressInfo, createServer } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { ListingServer } from '../../src/listing/index.js';
import { startTestListing } from '../helpers/listing.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWithChromium, launchChromium, screenshot, webRoot } from './helpers.js';

const N = 100_000;
const STEP_MS = 15_000;
const NAMES = ['Chatter Server', 'the lounge', 'Café des Amis', 'retro computing', 'night owls', 'rust & friends'];
const addressOf = (i: number) => `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const indexOf = (ip: string) => {
  const [, a = 0, b = 0, c = 0] = ip.split('.').map(Number);
  return ((a - 1) << 16) | (b << 8) | c;
};
const idOf = (i: number) => 1_000_000 + i;

/** A port on which every loopback address is reachable (bound to all IPv4 addresses). */
async function freeAnyPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '0.0.0.0', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describeWithChromium('web client with 100,000 servers (Chromium)', () => {
  let listing: ListingServer;
  let responder: WebSocketServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Addresses pinged (by index in the directory), and how often. */
  const pinged = new Map<number, number>();
  /** GET /servers requests the page made. */
  const reads: URL[] = [];

  beforeAll(async () => {
    const dir = tempDir('c2-e2e-scale-');
    const port = await freeAnyPort();
    responder = new WebSocketServer({ host: '0.0.0.0', port });
    responder.on('connection', (socket, request) => {
      const i = indexOf(request.socket.localAddress ?? '');
      pinged.set(i, (pinged.get(i) ?? 0) + 1);
      socket.on('message', (data) => {
        const match = /^c2\/PING ([0-9]{1,16})$/.exec(String(data));
        if (match) socket.send(`c2/PING ${match[1]}; ${idOf(i)}`);
      });
    });
    const root = await webRoot(`${dir}/web`);
    [listing, browser] = await Promise.all([
      startTestListing({ db: `${dir}/listing.db`, webRoot: root }),
      launchChromium(),
    ]);
    const now = Date.now();
    const servers = Array.from({ length: N }, (_, i) => {
      const maxUsers = 50 + ((i * 37) % 950);
      return {
        id: idOf(i),
        displayName: `${NAMES[i % NAMES.length]} #${i}`,
        address: `${addressOf(i)}:${port}`,
        connectedUsers: i % 10 === 0 ? 0 : (i * 13) % maxUsers,
        maxUsers,
        tls: false,
        keyHash: 'x',
        registeredFrom: '127.0.0.1',
      };
    });
    expect(await listing.store.insertMany(servers, now, now + 3_600_000)).toBe(N);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('pageerror', (err) => console.error('page error:', err));
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/servers') reads.push(url);
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await listing?.close();
    await new Promise((resolve) => (responder ? responder.close(resolve) : resolve(undefined)));
  }, 30_000);

  const rows = () => page.locator('table.servers tbody tr[data-server-id]');
  const names = () => page.locator('table.servers tbody tr[data-server-id] .server-name').allTextContents();
  const status = () => page.locator('.directory-status').textContent();
  /** Scrolls the directory down by `screens` of its own height. (Browser code as text: no DOM types here.) */
  const scrollBy = (screens: number) =>
    page.evaluate(
      `{ const el = document.querySelector('.servers-scroll'); el.scrollTop += ${screens} * el.clientHeight; }`,
    );
  /** The page's JS heap and DOM size, from Chromium's own counters. */
  async function metrics(): Promise<{ heapMiB: number; nodes: number }> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const { metrics: list } = await cdp.send('Performance.getMetrics');
    await cdp.detach();
    const get = (name: string) => list.find((m) => m.name === name)?.value ?? Number.NaN;
    return { heapMiB: get('JSHeapUsedSize') / 1024 / 1024, nodes: get('Nodes') };
  }

  it('shows the first rows fast, with a bounded DOM, and pings only the rows in view', async () => {
    const started = Date.now();
    await page.goto(`${listing.url}/`);
    await rows().first().waitFor();
    const firstRowsMs = Date.now() - started;
    // Sorted by name on the listing, by code point: "café des amis #10004" is the first of
    // the whole directory ("#1…" before "#2…").
    expect((await names())[0]).toBe('Café des Amis #10004');
    expect(await status()).toMatch(/^100 servers shown, more as you scroll/);
    const inDom = await rows().count();
    expect(inDom).toBeLessThan(40);
    // The servers in view get a round trip, measured by the page.
    await expect.poll(() => page.locator('.col-ping .ping[data-rtt]').count(), { timeout: STEP_MS }).toBeGreaterThan(5);
    expect(firstRowsMs).toBeLessThan(5000);
    // Only the servers in view were pinged (the page's rows include a few above and below).
    expect(pinged.size).toBeGreaterThan(5);
    expect(pinged.size).toBeLessThanOrEqual(inDom);
    // Never the whole list: every read was a page.
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((url) => url.searchParams.get('limit') === '100')).toBe(true);
    const { heapMiB, nodes } = await metrics();
    console.info(
      `100,000 servers: first rows in ${firstRowsMs} ms; ${inDom} rows in the DOM (${nodes} nodes); JS heap ${heapMiB.toFixed(1)} MiB; ${pinged.size} servers pinged`,
    );
    await screenshot(page, 'web-directory-100k');
  }, 60_000);

  it('typing in the search box narrows the list from the listing', async () => {
    reads.length = 0;
    const search = page.getByRole('searchbox', { name: 'Search' });
    await search.pressSequentially('#9999', { delay: 30 });
    await expect
      .poll(names, { timeout: STEP_MS })
      .toEqual([
        'Café des Amis #99992',
        'Café des Amis #99998',
        'Chatter Server #99990',
        'Chatter Server #99996',
        'night owls #99994',
        'retro computing #9999',
        'retro computing #99993',
        'retro computing #99999',
        'rust & friends #99995',
        'the lounge #99991',
        'the lounge #99997',
      ]);
    expect(await status()).toMatch(/^11 servers/);
    // The search was the listing's, asked once the typing paused (not once per key).
    const searches = reads.filter((url) => url.searchParams.has('q'));
    expect(searches.at(-1)?.searchParams.get('q')).toBe('#9999');
    expect(searches.length).toBeLessThanOrEqual(3);
    // Hiding full servers asks the listing again.
    await page.getByLabel('Hide empty servers').check();
    await expect.poll(() => reads.some((url) => url.searchParams.get('notEmpty') === 'true')).toBe(true);
    await page.getByLabel('Hide empty servers').uncheck();
    await search.fill('');
    await expect.poll(async () => (await names())[0]).toBe('Café des Amis #10004');
  }, 60_000);

  it('scrolling loads more pages; the DOM stays the same size and the page stays responsive', async () => {
    reads.length = 0;
    const before = pinged.size;
    await page.evaluate(`
      window.__longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
      }).observe({ type: 'longtask', buffered: false });
    `);
    // Scroll down a screen at a time, pausing on each as a reader would, to 2,000 rows and more.
    let shown = 0;
    for (let step = 0; step < 200 && shown < 2000; step++) {
      await scrollBy(1);
      await page.waitForTimeout(25);
      shown = Number(/^([0-9,]+) servers shown/.exec((await status()) ?? '')?.[1]?.replace(/,/g, '') ?? 0);
    }
    expect(shown).toBeGreaterThanOrEqual(2000);
    expect(reads.filter((url) => url.searchParams.has('cursor')).length).toBeGreaterThanOrEqual(19);
    expect(await rows().count()).toBeLessThan(40);
    // The rows rendered are the ones at this scroll position.
    const visibleRow = Number(await rows().first().getAttribute('aria-rowindex'));
    expect(visibleRow).toBeGreaterThan(1500);
    await page.waitForTimeout(500);
    // Pings: for the screens the view paused on, a fraction of the 2,000 rows scrolled past.
    const pingedWhileReading = pinged.size - before;
    expect(pingedWhileReading).toBeLessThan(shown / 4);

    // A fling: a screen a frame for 40 frames. Nothing on the way is pinged, only where it stops.
    const beforeFling = pinged.size;
    await page.evaluate(`new Promise((done) => {
      const el = document.querySelector('.servers-scroll');
      let frames = 0;
      const step = () => {
        el.scrollTop += el.clientHeight;
        if (++frames < 40) requestAnimationFrame(step);
        else done();
      };
      requestAnimationFrame(step);
    })`);
    await page.waitForTimeout(600);
    const inDom = await rows().count();
    const pingedByFling = pinged.size - beforeFling;
    expect(pingedByFling).toBeLessThanOrEqual(inDom);
    const longestTaskMs = await page.evaluate<number>('window.__longest');
    expect(longestTaskMs).toBeLessThan(250);
    const { heapMiB, nodes } = await metrics();
    expect(heapMiB).toBeLessThan(32);
    expect(nodes).toBeLessThan(3000);
    const loaded = (await status()) ?? '';
    console.info(
      `100,000 servers, scrolled to ${shown} rows loaded (${loaded.split(' · ')[0]} after the fling): ${inDom} rows in the DOM (${nodes} nodes); JS heap ${heapMiB.toFixed(1)} MiB; longest main-thread task ${longestTaskMs.toFixed(0)} ms; pinged: ${pingedWhileReading} while reading through ${shown} rows, ${pingedByFling} after a fling over 40 screens`,
    );
    // Every server pinged was one the listing had listed, and the page checked its id.
    for (const i of pinged.keys()) expect(i >= 0 && i < N).toBe(true);
    await expect.poll(() => page.locator('.col-ping .ping[data-rtt]').count(), { timeout: STEP_MS }).toBeGreaterThan(5);
    await screenshot(page, 'web-directory-100k-scrolled');
  }, 120_000);
});
