/** The SQLite store keeps the directory, keys included, across a listing restart. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { startTestListing } from '../helpers/listing.js';
import { sqliteBackend, type TestDb } from './helpers/backends.js';
import { auth, http } from './helpers/http.js';

describe('SQLite: data survives a listing restart', () => {
  let db: TestDb;
  let chat: ChatServer;
  beforeAll(async () => {
    db = await sqliteBackend.create();
    chat = await startChatServer({ host: '127.0.0.1', port: 0, id: 901, name: 'Persistent' });
  });
  afterAll(async () => {
    await chat?.close();
    await db?.drop();
  });

  it('lists the same servers after a restart, and the old key still works', async () => {
    const address = `127.0.0.1:${chat.port}`;
    const first = await startTestListing({ db: db.db });
    const key = (
      await http(first.url, '/servers/901', {
        method: 'POST',
        body: { address, serverName: 'Kept', connectedUsers: 4 },
      })
    ).text;
    const before = await http(first.url, '/servers');
    await first.close();

    expect(existsSync(db.db)).toBe(true);
    // WAL mode: the journal is the -wal file next to the database.
    expect(readFileSync(db.db).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');

    const second = await startTestListing({ db: db.db });
    try {
      const after = await http(second.url, '/servers');
      expect(after.json()).toEqual(before.json());
      expect(after.json()).toEqual({
        servers: [{ id: 901, displayName: 'Kept', address, connectedUsers: 4, maxUsers: 50, tls: false }],
      });
      // Same content, same ETag, even from another process lifetime.
      expect(after.headers.etag).toBe(before.headers.etag);
      expect(
        (await http(second.url, '/servers/901', { method: 'PUT', headers: auth(key), body: { connectedUsers: 5 } }))
          .status,
      ).toBe(200);
      expect((await http(second.url, '/servers/901', { method: 'DELETE', headers: auth(key) })).status).toBe(200);
    } finally {
      await second.close();
    }
    const third = await startTestListing({ db: db.db });
    try {
      expect((await http(third.url, '/servers')).json()).toEqual({ servers: [] });
    } finally {
      await third.close();
    }
  });

  it('":memory:" is an in-memory database, not a file', async () => {
    const cwd = process.cwd();
    const memory = await startTestListing({ db: ':memory:' });
    try {
      expect(memory.store.description).toBe(':memory:');
      expect((await http(memory.url, '/servers')).json()).toEqual({ servers: [] });
      expect(existsSync(join(cwd, ':memory:'))).toBe(false);
    } finally {
      await memory.close();
    }
  });

  it('uses WAL journaling', async () => {
    const listing = await startTestListing({ db: db.db });
    try {
      const Database = (await import('better-sqlite3')).default;
      const raw = new Database(db.db, { readonly: true });
      try {
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        raw.close();
      }
    } finally {
      await listing.close();
    }
  });
});
