/**
 * A fresh PostgreSQL database on the local server (127.0.0.1:5432, trust auth) for one bench run,
 * or undefined when none is reachable; dropped again at the end of the run.
 */
import pg from 'pg';

export async function freshPostgresDatabase(): Promise<string | undefined> {
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const name = `clinic_bench_${Date.now()}`;
    await client.query(`CREATE DATABASE ${name}`);
    return `postgres://postgres@127.0.0.1:5432/${name}`;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropPostgresDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^clinic_bench_\d+$/.test(name)) return;
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } catch {
    // Left behind: harmless, and named for the run.
  } finally {
    await client.end().catch(() => undefined);
  }
}
