/**
 * Which server stores the tests run against, and a private PostgreSQL schema per test server.
 * SQLite always; PostgreSQL when DATABASE_URL points at one (`.ci/run` creates a fresh database).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { isPostgresUrl, parsePostgresUrl } from '../../server/store/postgres';

export type StoreKind = 'sqlite' | 'postgres';

let announced = false;

/** The base PostgreSQL URL for tests, or null (after saying once that those tests are skipped). */
export function postgresUrlForTests(): string | null {
  const url = process.env.DATABASE_URL;
  if (isPostgresUrl(url)) return url;
  // `npm test` says it once for the whole run (scripts/test.ts); a file run alone says it itself.
  if (!announced && !process.env.CLINIC_TESTS_PG_SKIP_ANNOUNCED) {
    announced = true;
    console.log('PostgreSQL tests skipped: DATABASE_URL is not set');
  }
  return null;
}

/** ['sqlite'], plus 'postgres' when DATABASE_URL is set. */
export function storesUnderTest(): StoreKind[] {
  return postgresUrlForTests() ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestSchema {
  /** DATABASE_URL for a server (or store) that works in this schema. */
  url: string;
  schema: string;
  /** Drop the schema and everything in it. */
  drop(): Promise<void>;
}

/**
 * A fresh, empty schema on the test database. The store creates its tables in it on migrate();
 * several servers given the same `url` share it (that is how the multi-instance tests work).
 */
export async function createTestSchema(baseUrl: string): Promise<TestSchema> {
  const schema = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(baseUrl);
  url.searchParams.set('schema', schema);
  // pool_max keeps a suite that starts several servers well under max_connections.
  if (!url.searchParams.has('pool_max')) url.searchParams.set('pool_max', '6');
  return {
    url: url.toString(),
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: parsePostgresUrl(baseUrl).connectionString });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Storage that outlives one server, for restart tests and for several instances on one store:
 * pass `options` to each startTestServer, and call cleanup() at the end.
 */
export async function testStorage(kind: StoreKind): Promise<{
  options: { dataDir?: string; databaseUrl?: string };
  cleanup(): Promise<void>;
}> {
  if (kind === 'postgres') {
    const base = postgresUrlForTests();
    if (!base) throw new Error("testStorage('postgres') needs DATABASE_URL");
    const schema = await createTestSchema(base);
    // Instances on one database share one data dir, as they share the token signing key in production.
    const dataDir = await mkdtemp(join(tmpdir(), 'clinic-store-test-'));
    return {
      options: { databaseUrl: schema.url, dataDir },
      cleanup: async () => {
        await schema.drop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'clinic-store-test-'));
  return { options: { dataDir }, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}

/** testStorage for the length of `run`, cleaned up however it ends. */
export async function withTestStorage(kind: StoreKind, run: (storage: Awaited<ReturnType<typeof testStorage>>) => Promise<void>): Promise<void> {
  const storage = await testStorage(kind);
  try {
    await run(storage);
  } finally {
    await storage.cleanup();
  }
}

/** Run one query in a PostgreSQL store's schema (tests that look at what the store wrote). */
export async function queryStoreDatabase<R extends pg.QueryResultRow>(databaseUrl: string, sql: string): Promise<R[]> {
  const target = parsePostgresUrl(databaseUrl);
  const client = new pg.Client({ connectionString: target.connectionString, options: `-c search_path=${target.schema}` });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}
