/**
 * The web client in a real browser: a listing and two chat servers registered with it (all
 * in this process, port 0), and Chromium pages acting as people. Screenshots of each view
 * are written under test-results/.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ListingServer } from '../../src/listing/index.js';
import { usernameKey } from '../../src/protocol/index.js';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import { listServers, startTestListing } from '../helpers/listing.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';
import { describeWithChromium, horizontalOverflow, launchChromium, screenshot, setHidden, webRoot } from './helpers.js';

const ROOM_ID = 4242;
const QUIET_ID = 17;
const STEP_MS = 10_000;

describeWithChromium('web client (Chromium)', () => {
  let listing: ListingServer;
  let room: ChatServer;
  let quiet: ChatServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const raw: TestClient[] = [];

  beforeAll(async () => {
    const dir = tempDir('c2-e2e-');
    const root = await webRoot(join(dir, 'web'));
    listing = await startTestListing({ webRoot: root });
    const start = (id: number, name: string, extra: object = {}) =>
      startChatServer({
        host: '127.0.0.1',
        port: 0,
        id,
        name,
        webRoot: root,
        listing: { url: listing.url, heartbeatMs: 60_000 },
        ...extra,
      });
    [room, quiet, browser] = await Promise.all([
      // The flood limit is lifted so that one test can fill the room with 10,000 messages.
      start(ROOM_ID, 'E2E Room', { limits: { floodRatePerSecond: 1_000_000, floodBurst: 1_000_000 } }),
      start(QUIET_ID, 'Quiet Corner', { maxUsers: 5 }),
      launchChromium(),
    ]);
    await eventually(async () => (await listServers(listing.url)).length === 2, 'both servers listed');
  }, 60_000);

  afterAll(async () => {
    for (const c of raw) c.close();
    await Promise.allSettled(contexts.map((c) => c.close()));
    await browser?.close();
    await Promise.allSettled([room?.close(), quiet?.close()]);
    await listing?.close();
  }, 30_000);

  async function newPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('pageerror', (err) => console.error('page error:', err));
    return page;
  }

  const roomRow = (page: Page) => page.locator(`tr[data-server-id="${ROOM_ID}"]`);
  const messages = (page: Page) => page.getByRole('region', { name: /^Messages in/ });
  const composer = (page: Page) => page.getByRole('textbox', { name: /^Message / });

  async function send(page: Page, text: string): Promise<void> {
    await composer(page).fill(text);
    await composer(page).press('Enter');
  }

  let alice: Page;
  let bob: Page;

  it('lists the servers with a live ping measured by the browser, sorts and filters them', async () => {
    alice = await newPage();
    await alice.goto(`${listing.url}/`);
    await expect.poll(() => alice.title()).toBe('Servers · Chatter');
    const row = roomRow(alice);
    await row.locator('.server-name', { hasText: 'E2E Room' }).waitFor();
    // A round trip in milliseconds, measured with c2/PING <timestamp> from the page.
    const ping = row.locator('.col-ping .ping');
    await expect.poll(() => ping.getAttribute('data-rtt'), { timeout: STEP_MS }).toMatch(/^[0-9]+\.[0-9]+$/);
    expect(await ping.textContent()).toMatch(/^[0-9.]+ ms$/);
    expect(await row.locator('.col-users').textContent()).toMatch(/^0 \/ 50/);

    // Sorted, searched and filtered by the listing (contract §12).
    const names = () => alice.locator('table.servers tbody th .server-name').allTextContents();
    expect(await names()).toEqual(['E2E Room', 'Quiet Corner']);
    expect(await alice.locator('th[aria-sort="ascending"]').textContent()).toMatch(/^Name/);
    await alice.getByLabel('Sort by').selectOption('id');
    await expect.poll(names).toEqual(['Quiet Corner', 'E2E Room']);
    await alice.getByRole('button', { name: /^Name/ }).click();
    await expect.poll(names).toEqual(['E2E Room', 'Quiet Corner']);
    await alice.getByRole('searchbox', { name: 'Search' }).fill('QUIET');
    await expect.poll(names).toEqual(['Quiet Corner']);
    await alice.getByRole('searchbox', { name: 'Search' }).fill('');
    await expect.poll(names).toEqual(['E2E Room', 'Quiet Corner']);

    // Both pings in: the screenshot shows a complete directory.
    await expect.poll(() => alice.locator('.col-ping .ping[data-rtt]').count(), { timeout: STEP_MS }).toBe(2);
    await screenshot(alice, 'web-server-browser');
  }, 30_000);

  it('two people join from the server browser, chat both ways, rename and leave', async () => {
    // Alice joins from the listing's page and says something before Bob arrives.
    await alice.getByLabel('Your name').fill('alice');
    await roomRow(alice).getByRole('button', { name: /^Join/ }).click();
    await composer(alice).waitFor();
    await alice.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await expect.poll(() => alice.title()).toBe('E2E Room · Chatter');
    await send(alice, 'first, before bob');
    await messages(alice).getByText('first, before bob').waitFor();

    // Bob opens the chat server's own page: the server is preselected, and its server
    // browser tab reads the listing named in ?listing=.
    bob = await newPage();
    await bob.goto(`http://127.0.0.1:${room.port}/?listing=${encodeURIComponent(listing.url)}`);
    await bob.getByRole('heading', { name: 'E2E Room' }).waitFor();
    // Preselected: the join form of this server, with the name field focused.
    await expect.poll(() => bob.evaluate<string>('document.activeElement?.id')).toBe('join-name');
    await bob.getByText(/^ping [0-9.]+ ms$/).waitFor();
    await screenshot(bob, 'web-join-on-chat-server');
    await bob.getByRole('button', { name: 'Servers', exact: true }).click();
    const bobsRow = roomRow(bob);
    await bobsRow.getByText('this server').waitFor();
    await bob.locator('.home-card').getByRole('heading', { name: 'E2E Room' }).waitFor();
    await bobsRow.locator('.ping[data-rtt]').waitFor();
    await screenshot(bob, 'web-server-browser-on-chat-server');
    // A name the server will not take is shown at the name, without the server's code.
    await bob.getByLabel('Your name').fill('ALICE');
    await bobsRow.getByRole('button', { name: /^Join/ }).click();
    await bob.getByText('username "ALICE" is already taken').waitFor();
    expect(await bob.getByLabel('Your name').getAttribute('aria-invalid')).toBe('true');
    expect(await bob.locator('body').innerText()).not.toContain('[name_taken]');
    await bob.getByLabel('Your name').fill('bob');
    await bobsRow.getByRole('button', { name: /^Join/ }).click();
    await composer(bob).waitFor();

    // History on join: Bob sees what Alice said before he came.
    await messages(bob).getByText('first, before bob').waitFor();
    await messages(alice).getByText('bob joined').waitFor();
    // …and it was read out to screen readers through the live region.
    await alice.getByRole('log', { name: 'New messages' }).getByText('bob joined').waitFor({ state: 'attached' });
    await alice.getByRole('complementary', { name: /Users/ }).getByText('bob').waitFor();

    // Both ways.
    await send(alice, 'hello bob');
    await messages(bob).getByText('hello bob').waitFor();
    await send(bob, 'hi alice; how are you?');
    const fromBob = messages(alice).locator('li.message', { hasText: 'hi alice; how are you?' });
    await fromBob.waitFor();
    expect(await fromBob.locator('.author').textContent()).toBe('bob');
    // Own messages are marked.
    expect(await messages(alice).locator('li.message.own', { hasText: 'hello bob' }).count()).toBe(1);
    expect(await messages(bob).locator('li.message.own', { hasText: 'hello bob' }).count()).toBe(0);

    // A server ERROR is shown next to the input.
    await send(alice, '/ban bob');
    await alice.locator('#composer-error').getByText('ban is for operators only').waitFor();
    await alice.keyboard.press('Escape');
    await expect.poll(() => alice.locator('#composer-error').textContent()).toBe('');

    // Unread count in the title while the tab is in the background.
    await setHidden(alice, true);
    await send(bob, 'are you there?');
    await expect.poll(() => alice.title()).toBe('(1) E2E Room · Chatter');
    await setHidden(alice, false);
    await expect.poll(() => alice.title()).toBe('E2E Room · Chatter');

    // The server browser while in a chat: the chat goes on, its tab counts what is missed.
    await alice.getByRole('button', { name: 'Servers', exact: true }).click();
    await send(bob, 'still there?');
    await alice.locator('.tab .unread').getByText('1').waitFor();
    await expect.poll(() => alice.title()).toBe('(1) Servers · Chatter');
    await roomRow(alice)
      .getByRole('button', { name: /^Open chat/ })
      .click();
    await expect.poll(() => alice.evaluate<string>('document.activeElement?.id')).toBe('composer-input');
    await messages(alice).getByText('still there?').waitFor();
    await expect.poll(() => alice.title()).toBe('E2E Room · Chatter');

    // Bob renames; Alice sees it, in the pane and the user list.
    await send(bob, '/nick robert');
    await messages(alice).getByText('bob is now known as robert').waitFor();
    await messages(bob).getByText('You are now known as robert').waitFor();
    const users = alice.getByRole('complementary', { name: /Users/ });
    await users.getByText('robert').waitFor();
    await send(bob, '/users');
    await messages(bob).getByText('2 users: alice, robert').waitFor();

    await screenshot(alice, 'web-chat');

    // Bob leaves; Alice sees it and he is back in the server browser.
    await bob.getByRole('button', { name: 'Leave' }).click();
    await messages(alice).getByText('robert left').waitFor();
    await expect.poll(() => users.locator('li').allTextContents()).toEqual(['aliceyou']);
    await bob.locator('table.servers').waitFor();
  }, 60_000);

  it('reconnects on its own and shows the state while doing it', async () => {
    // Cut Alice's connection on the server's side, as a network failure would (no close frame).
    await alice
      .getByRole('status')
      .filter({ hasText: /^Connected$/ })
      .waitFor();
    const conn = room.hub.room.get(usernameKey('alice'));
    expect(conn).toBeDefined();
    conn?.ws.terminate();
    await alice
      .getByRole('status')
      .filter({ hasText: /Reconnecting/ })
      .waitFor();
    await alice
      .getByRole('status')
      .filter({ hasText: /^Connected$/ })
      .waitFor({ timeout: 15_000 });
    // Nothing was said meanwhile: the one line after an automatic reconnect says so.
    await messages(alice)
      .getByText(/Reconnected — no messages were missed/)
      .waitFor();
  }, 30_000);

  it('shows the server’s announcements in a style no user’s message has', async () => {
    const carol = await TestClient.connect(`ws://127.0.0.1:${room.port}`, 'carol');
    raw.push(carol);
    carol.send('c2/MSG E2E Room: the server is going down');
    expect(room.hub.announce('maintenance at noon')).toBeNull();
    const announced = messages(alice).locator('li.message').filter({ hasText: 'maintenance at noon' });
    const imitation = messages(alice).locator('li.message').filter({ hasText: 'the server is going down' });
    await announced.waitFor();
    await imitation.waitFor();
    expect(await announced.getAttribute('class')).toMatch(/\bannouncement\b/);
    expect(await announced.locator('.announcement-badge').textContent()).toBe('Server');
    expect(await announced.locator('.author').textContent()).toBe('E2E Room');
    expect(await imitation.getAttribute('class')).not.toMatch(/\bannouncement\b/);
    expect(await imitation.locator('.announcement-badge').count()).toBe(0);
    // Drawn differently, not only named differently: a band and a coloured edge.
    const look = (row: typeof announced) =>
      row.evaluate((el) => {
        // Runs in the page: getComputedStyle is the browser's (these tests compile without the DOM library).
        const page = globalThis as unknown as {
          getComputedStyle(e: unknown): { backgroundColor: string; boxShadow: string };
        };
        const s = page.getComputedStyle(el);
        return `${s.backgroundColor} | ${s.boxShadow}`;
      });
    const [band, plain] = await Promise.all([look(announced), look(imitation)]);
    expect(band).not.toBe(plain);
    expect(String(band)).not.toMatch(/^rgba\(0, 0, 0, 0\) \| none$/);
    carol.send('c2/DISCONNECT');
    await messages(alice).getByText('carol left').waitFor();
  }, 30_000);

  it('keeps up with a busy room: 10,000 messages, a bounded DOM, and sending still answers at once', async () => {
    const flooder = await TestClient.connect(`ws://127.0.0.1:${room.port}`, 'flood');
    raw.push(flooder);
    const total = 10_000;
    // Browser-side code as text: these tests are type-checked without the DOM library.
    await alice.evaluate(`
      window.__longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
      }).observe({ type: 'longtask' });
    `);
    const started = Date.now();
    for (let i = 1; i <= total; i++) flooder.send(`c2/MSG message ${i} of ${total}`);
    await messages(alice).getByText(`message ${total} of ${total}`).waitFor({ timeout: 30_000 });
    const elapsed = Date.now() - started;

    // Only the rows in view are in the DOM.
    const rendered = await messages(alice).locator('li').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(150);
    expect(Number(await messages(alice).locator('li').last().getAttribute('aria-setsize'))).toBeGreaterThan(total);

    // Sending right after the flood: the echo shows promptly.
    const sentAt = Date.now();
    await send(alice, 'still responsive');
    await messages(alice).locator('li.message.own', { hasText: 'still responsive' }).waitFor();
    const echoMs = Date.now() - sentAt;

    // Scrolling to the top brings the oldest rows in, still few in the DOM.
    await messages(alice).focus();
    await alice.keyboard.press('Home');
    await messages(alice).getByText('first, before bob').waitFor();
    expect(await messages(alice).locator('li').count()).toBeLessThan(150);
    await alice.getByRole('button', { name: /new entr|Newest/ }).click();
    await messages(alice).getByText('still responsive').waitFor();

    const longest = await alice.evaluate<number>('window.__longest');
    console.info(
      `10,000 messages shown in ${elapsed} ms; longest main-thread task ${Math.round(longest)} ms; ` +
        `echo of a message sent afterwards in ${echoMs} ms; ${rendered} rows in the DOM`,
    );
    expect(echoMs).toBeLessThan(2000);
  }, 60_000);

  it('can be used with the keyboard alone', async () => {
    const page = await newPage();
    await page.goto(`http://127.0.0.1:${room.port}/`);
    // The join form of this server has the focus: type a name, Enter.
    await expect.poll(() => page.evaluate<string>('document.activeElement?.id')).toBe('join-name');
    await page.keyboard.type('dave');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate<string>('document.activeElement?.id')).toBe('composer-input');
    await page.keyboard.type('typed, not clicked');
    await page.keyboard.press('Enter');
    await messages(alice).getByText('typed, not clicked').waitFor();
    // ↑ brings the last line back.
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => composer(page).inputValue()).toBe('typed, not clicked');
    await composer(page).fill('');
    // Shift+Tab reaches the message pane, which scrolls by keys.
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("aria-label")')).toMatch(
      /^Messages in E2E Room/,
    );
    await page.keyboard.press('Home');
    await expect.poll(() => page.evaluate<number>('document.activeElement.scrollTop')).toBe(0);
    await messages(page).getByText('typed, not clicked').waitFor({ state: 'detached' });
    await page.keyboard.press('End');
    await messages(page).getByText('typed, not clicked').waitFor();
    // Back to the input, and out with /quit: the server browser, name field focused.
    await page.keyboard.press('Tab');
    await page.keyboard.type('/quit');
    await page.keyboard.press('Enter');
    await page.locator('table.servers').waitFor();
    await messages(alice).getByText('dave left').waitFor();
    await expect
      .poll(() => page.evaluate<string | null>('document.activeElement?.getAttribute("autocomplete")'))
      .toBe('nickname');
  }, 30_000);

  it('fits a phone screen, in the dark theme too', async () => {
    const phone = await newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'dark',
    });
    await phone.goto(`${listing.url}/`);
    await roomRow(phone).locator('.ping[data-rtt]').waitFor();
    expect(await horizontalOverflow(phone)).toBeLessThanOrEqual(0);
    await screenshot(phone, 'web-server-browser-phone-dark');
    await phone.getByLabel('Your name').fill('carol');
    await roomRow(phone).getByRole('button', { name: /^Join/ }).click();
    await composer(phone).waitFor();
    await messages(phone).getByText('still responsive').waitFor();
    await send(phone, 'hello from a phone');
    await messages(alice).getByText('hello from a phone').waitFor();
    expect(await horizontalOverflow(phone)).toBeLessThanOrEqual(0);
    await screenshot(phone, 'web-chat-phone-dark');
    // The user list opens from the header on a narrow screen.
    await phone.getByRole('button', { name: /^Users/ }).click();
    await phone.getByRole('complementary', { name: /Users/ }).getByText('carol').waitFor();
    await screenshot(phone, 'web-chat-phone-users-dark');
    // It takes the focus, and Escape closes it, giving the focus back to its button.
    await expect.poll(() => phone.evaluate<string>('document.activeElement?.textContent')).toMatch(/^Close/);
    await phone.keyboard.press('Escape');
    await phone.getByRole('complementary', { name: /Users/ }).waitFor({ state: 'hidden' });
    expect(await phone.evaluate<string | null>('document.activeElement?.getAttribute("aria-expanded")')).toBe('false');
  }, 40_000);
});
