/**
 * The two stores the contract suite runs against. Each test database is fresh: a new
 * SQLite file in a temp dir, or a new PostgreSQL schema (selected through search_path in
 * the URL), so test files and listings never share rows and may run in parallel.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { ListingServer } from '../../../src/listing/index.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';

export const POSTGRES_URL = process.env.C2_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  /** The value for `--db`. */
  db: string;
  drop(): Promise<void>;
}

/** A test database whose store can be made unreachable under a running listing. */
export interface BreakableDb extends TestDb {
  breakStore(listing: ListingServer): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  create(): Promise<TestDb>;
  createBreakable(): Promise<BreakableDb>;
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'c2-listing-test-'));
    return {
      db: join(dir, 'listing.db'),
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async createBreakable() {
    const db = await sqliteBackend.create();
    // An embedded database cannot become unreachable by itself: close it under the listing.
    return { ...db, breakStore: (listing) => listing.store.close() };
  },
};

/** A URL whose connections use `schema` (via `options=-c search_path=…`). */
export function urlWithSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.href;
}

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createSchema(url: string): Promise<TestDb> {
  const schema = `c2_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient((c) => c.query(`create schema ${schema}`));
  return {
    db: urlWithSchema(url, schema),
    async drop() {
      await withClient((c) => c.query(`drop schema if exists ${schema} cascade`));
    },
  };
}

export const postgresBackend: Backend = {
  name: 'postgres',
  create: () => createSchema(POSTGRES_URL),
  async createBreakable() {
    // The listing reaches PostgreSQL through a TCP proxy that the test can cut.
    const target = new URL(POSTGRES_URL);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(POSTGRES_URL);
    viaProxy.port = String(proxy.port);
    const db = await createSchema(viaProxy.href);
    return {
      db: db.db,
      async drop() {
        await proxy.close();
        await db.drop();
      },
      breakStore: () => proxy.close(),
    };
  },
};

/** Null when PostgreSQL answers, else why not. */
export async function postgresUnavailable(): Promise<string | null> {
  try {
    await withClient((c) => c.query('select 1'));
    return null;
  } catch (err) {
    const e = err as Error;
    return e.message || (e instanceof AggregateError ? e.errors.map((x) => (x as Error).message).join('; ') : e.name);
  }
}

/**
 * pg_trgm in the test database's `public` schema (once per database; a no-op after), so the
 * listings under test make their trigram index (store/postgres.ts). A listing never installs
 * it itself; without it (no privilege here) the same tests run, with q searches walking an
 * index instead.
 */
async function installTrigramExtension(): Promise<void> {
  try {
    await withClient((c) => c.query('create extension if not exists pg_trgm schema public'));
  } catch (err) {
    // Two test files at once (unique_violation), or no privilege: the tests run without it.
    const code = (err as { code?: string }).code;
    if (code !== '23505')
      process.stderr.write(`\n[c2] pg_trgm not installed in the test database: ${(err as Error).message}\n`);
  }
}

/**
 * How a PostgreSQL test file should proceed: run, skip with a visible notice, or (with
 * C2_REQUIRE_POSTGRES=1) fail.
 */
export async function postgresGate(): Promise<{ run: boolean; reason?: string; required: boolean }> {
  const reason = await postgresUnavailable();
  const required = process.env.C2_REQUIRE_POSTGRES === '1';
  if (reason === null) {
    await installTrigramExtension();
    return { run: true, required };
  }
  if (!required) {
    process.stderr.write(
      `\n[c2] PostgreSQL at ${POSTGRES_URL} is unreachable (${reason}): PostgreSQL tests SKIPPED.\n`,
    );
  }
  return { run: false, reason, required };
}
