/** The liveness checker: failures in a row, eviction, a PUT counting as alive. */
import { describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.js';
import type { Backend } from '../helpers/backends.js';
import { useChats, useListing } from '../helpers/fixtures.js';
import { auth } from '../helpers/http.js';
import { countingC2 } from '../helpers/peers.js';

const MINUTE = 60_000;

export function livenessSuite(backend: Backend) {
  describe('liveness: the background checker evicts a server that stopped', () => {
    const l = useListing(backend, { liveness: true, checkIntervalMs: 100, maxFailures: 2, pingTimeoutMs: 500 });
    const chats = useChats();

    it('pings listed servers, keeps the live one, removes the dead one after max failures', async () => {
      const live = await chats.start(701);
      const doomed = await chats.start(702);
      expect((await l.register(701, { address: live.address })).status).toBe(201);
      expect((await l.register(702, { address: doomed.address })).status).toBe(201);
      const registeredAt = Date.now();
      await eventually(
        async () => ((await l.listing.store.get(702))?.lastSeenAt ?? 0) > registeredAt,
        'a successful liveness check',
      );
      await doomed.close();
      await eventually(async () => (await l.request('/servers/702')).status === 404, 'eviction');
      expect((await l.request('/servers/701')).status).toBe(200);
      const metrics = (await l.request('/metrics')).text;
      expect(metrics).toMatch(/c2_listing_liveness_checks_total\{outcome="evicted"\} 1/);
      expect(metrics).toMatch(/c2_listing_liveness_checks_total\{outcome="alive"\} [1-9]/);
    });
  });

  describe('liveness: failures in a row, step by step (a controlled clock)', () => {
    const clock = { t: Date.now() };
    const l = useListing(backend, { now: () => clock.t, checkIntervalMs: MINUTE, maxFailures: 3 });

    it('counts failures in a row, resets them on success or PUT, evicts at --max-failures', async () => {
      const peer = await countingC2(703);
      const key = (await l.register(703, { address: peer.address })).text;
      const { checker, store } = l.listing;
      expect(peer.pings).toBe(1);

      expect(await checker.runOnce()).toBe(0); // not due yet
      clock.t += MINUTE;
      expect(await checker.runOnce()).toBe(1);
      expect(peer.pings).toBe(2);
      expect((await store.get(703))?.failures).toBe(0);

      await peer.close();
      for (const failures of [1, 2]) {
        clock.t += MINUTE;
        expect(await checker.runOnce()).toBe(1);
        expect((await store.get(703))?.failures).toBe(failures);
      }
      // A successful PUT counts as alive: failures reset, next check a full interval later.
      expect((await l.request('/servers/703', { method: 'PUT', headers: auth(key), body: {} })).status).toBe(200);
      expect((await store.get(703))?.failures).toBe(0);
      clock.t += MINUTE / 2;
      expect(await checker.runOnce()).toBe(0);

      for (const failures of [1, 2]) {
        clock.t += MINUTE;
        await checker.runOnce();
        expect((await store.get(703))?.failures).toBe(failures);
        expect((await l.request('/servers/703')).status).toBe(200);
      }
      clock.t += MINUTE;
      await checker.runOnce();
      expect(await store.get(703)).toBeUndefined();
      expect((await l.request('/servers/703')).status).toBe(404);
    });

    it('a re-registered entry does not inherit the failures of the one it replaced', async () => {
      const chats = { peer: await countingC2(704) };
      try {
        expect((await l.register(704, { address: chats.peer.address })).status).toBe(201);
        clock.t += MINUTE;
        // A check claimed for the old entry, answered after the entry was replaced, is not counted.
        const [claimed] = await l.listing.store.claimDue(clock.t, clock.t + 1000, 10);
        expect(claimed?.id).toBe(704);
        expect((await l.register(704, { address: chats.peer.address })).status).toBe(201);
        if (claimed) expect(await l.listing.store.recordFailure(claimed, clock.t + MINUTE, 1)).toBe('gone');
        expect((await l.request('/servers/704')).status).toBe(200);
      } finally {
        await chats.peer.close();
      }
    });
  });
}
