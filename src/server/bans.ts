import { nameIdentity } from './name-identity.js';
import type { ServerStore, StoredBan } from './store.js';

/**
 * Banned usernames by identity key (nameIdentity), held in memory for the CONNECT path and
 * written through to the store. A ban stored under an older key (before look-alikes were
 * folded by the confusables skeleton) is moved to its current key when the list loads.
 */
export class BanList {
  private readonly bans = new Map<string, StoredBan>();

  constructor(private readonly store: ServerStore) {
    for (const ban of store.loadBans()) {
      const key = nameIdentity(ban.username);
      if (key !== ban.nameKey) {
        store.removeBan(ban.nameKey);
        store.addBan({ ...ban, nameKey: key });
      }
      this.bans.set(key, { ...ban, nameKey: key });
    }
  }

  has(nameKey: string): boolean {
    return this.bans.has(nameKey);
  }

  add(nameKey: string, username: string, message: string): void {
    const ban = { nameKey, username, message, bannedAt: Date.now() };
    this.store.addBan(ban);
    this.bans.set(nameKey, ban);
  }

  /** Returns false when the name was not banned. */
  remove(nameKey: string): boolean {
    if (!this.bans.has(nameKey)) return false;
    this.store.removeBan(nameKey);
    this.bans.delete(nameKey);
    return true;
  }

  list(): StoredBan[] {
    return [...this.bans.values()];
  }
}
