/**
 * `npm run server -- backup <file>` and `restore <file>`.
 *
 * SQLite: the backup uses SQLite's online backup API (better-sqlite3 `db.backup`), so the server
 * keeps running and the copy is one consistent state, WAL included. PostgreSQL: `pg_dump -Fc` of
 * the store's schema, restored with `pg_restore` into a fresh schema.
 *
 * A restore never deletes the store it replaces: the old SQLite file is kept beside it
 * (`clinic.db.before-restore-<time>`), the old PostgreSQL schema renamed
 * (`<schema>_before_restore_<time>`). It then moves the change-log sequence past the old head and
 * records the gap (restoredLog.ts), so terminals that synced changes the restore took away are told
 * to download again instead of keeping them, and new changes never reuse a number a terminal
 * already holds as its cursor.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, renameSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { clientConfig, parsePostgresUrl, quoteIdent, type PostgresTarget } from '../store/postgres/connection';
import { parseRestoredRanges, restoredRangesSetting, resumeAfter, type RestoredRange } from './restoredLog';

const run = promisify(execFile);

export interface StoreLocation {
  dataDir: string;
  databaseUrl: string | undefined;
}

export interface BackupReport {
  file: string;
  bytes: number;
  /** The change-log head the backup holds. */
  head: number;
}

export interface RestoreReport {
  file: string;
  /** The backup's change-log head. */
  restoredHead: number;
  /** The old store's head, when it could be read. */
  previousHead: number | null;
  /** New changes are numbered from here + 1. */
  resumesAfter: number;
  /** Where the replaced store was kept. */
  keptAs: string | null;
}

const stamp = (now: Date) => now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');

const usesPostgres = (where: StoreLocation) => where.databaseUrl !== undefined && /^postgres(ql)?:\/\//i.test(where.databaseUrl);

export async function backupStore(where: StoreLocation, file: string): Promise<BackupReport> {
  const out = resolve(file);
  if (existsSync(out)) throw new Error(`${out} already exists; choose a new file name (a backup never overwrites one)`);
  return usesPostgres(where) ? backupPostgres(parsePostgresUrl(where.databaseUrl!), out) : backupSqlite(sqlitePath(where), out);
}

export async function restoreStore(where: StoreLocation, file: string, now = new Date()): Promise<RestoreReport> {
  const from = resolve(file);
  if (!existsSync(from)) throw new Error(`${from} does not exist`);
  return usesPostgres(where) ? restorePostgres(parsePostgresUrl(where.databaseUrl!), from, now) : restoreSqlite(sqlitePath(where), from, now);
}

// ---------- SQLite ----------

class StoreInUse extends Error {}

const sqlitePath = (where: StoreLocation) => join(resolve(where.dataDir), 'clinic.db');

function sqliteHead(db: Database.Database): number {
  const row = db.prepare("SELECT max(coalesce((SELECT max(seq) FROM changes), 0), coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)) AS head").get() as { head: number };
  return Number(row.head);
}

async function backupSqlite(path: string, out: string): Promise<BackupReport> {
  if (!existsSync(path)) throw new Error(`no store at ${path}`);
  const source = new Database(path, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    await source.backup(out);
  } finally {
    source.close();
  }
  const copy = new Database(out, { readonly: true, fileMustExist: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the backup in ${out} failed its check: ${String(check)}`);
    return { file: out, bytes: statSync(out).size, head: sqliteHead(copy) };
  } finally {
    copy.close();
  }
}

async function restoreSqlite(path: string, from: string, now: Date): Promise<RestoreReport> {
  let previousHead: number | null = null;
  if (existsSync(path)) {
    let old: Database.Database | null = null;
    try {
      old = new Database(path, { fileMustExist: true });
      old.pragma('busy_timeout = 0');
      // Leaving WAL mode needs the file to itself: it fails while a server has it open. It also
      // folds the WAL into the file, so the copy kept below is one self-contained file.
      if (old.pragma('journal_mode = DELETE', { simple: true }) !== 'delete') throw new StoreInUse();
      previousHead = sqliteHead(old);
    } catch (error) {
      if (error instanceof StoreInUse || (error as { code?: string }).code === 'SQLITE_BUSY') {
        throw new Error(`${path} is in use: stop the clinic server (every instance) before restoring`);
      }
      previousHead = null; // unreadable: handled as a lost store
    } finally {
      old?.close();
    }
  }
  // Prepare the copy beside the store, then swap it in with renames.
  const staging = `${path}.restoring-${stamp(now)}`;
  copyFileSync(from, staging);
  let restoredHead: number;
  let resumesAt: number;
  const db = new Database(staging, { fileMustExist: true });
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`${from} is not a sound SQLite file: ${String(check)}`);
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'changes'").get()) {
      throw new Error(`${from} is not a Clinic Desk store (no change log)`);
    }
    db.pragma('journal_mode = DELETE');
    restoredHead = sqliteHead(db);
    resumesAt = resumeAfter(restoredHead, previousHead);
    const ranges = parseRestoredRanges((db.prepare('SELECT value FROM settings WHERE key = ?').get(restoredRangesSetting) as { value: string } | undefined)?.value ?? null);
    const range: RestoredRange = { after: restoredHead, through: resumesAt, restoredAt: now.toISOString(), from: basename(from) };
    db.transaction(() => {
      db.prepare("DELETE FROM sqlite_sequence WHERE name = 'changes'").run();
      db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('changes', ?)").run(resumesAt);
      db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
        restoredRangesSetting,
        JSON.stringify([...ranges, range]),
      );
    })();
  } catch (error) {
    db.close();
    renameSync(staging, `${staging}.failed`);
    throw error;
  }
  db.close();
  let keptAs: string | null = null;
  if (existsSync(path)) {
    keptAs = `${path}.before-restore-${stamp(now)}`;
    // The WAL belongs to the old file: it moves with it, or the new file would read it.
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, keptAs + suffix);
  }
  renameSync(staging, path);
  return { file: from, restoredHead, previousHead, resumesAfter: resumesAt, keptAs };
}

// ---------- PostgreSQL ----------

/** pg_dump and pg_restore get the password through the environment, never on the command line. */
function libpqTarget(target: PostgresTarget): { url: string; env: NodeJS.ProcessEnv } {
  const url = new URL(target.connectionString);
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'clinic-desk-server (backup)' };
  if (url.password) {
    env.PGPASSWORD = decodeURIComponent(url.password);
    url.password = '';
  }
  return { url: url.toString(), env };
}

async function postgresHead(client: pg.Client, schema: string): Promise<number | null> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${quoteIdent(schema)}.changes`]);
  if (exists.rows[0]?.t === null) return null;
  const { rows } = await client.query<{ head: string }>(
    `SELECT greatest(
       coalesce((SELECT max(seq) FROM ${quoteIdent(schema)}.changes), 0),
       coalesce(pg_sequence_last_value(pg_get_serial_sequence($1, 'seq')::regclass), 0)
     )::text AS head`,
    [`${quoteIdent(schema)}.changes`],
  );
  return Number(rows[0]!.head);
}

async function withClient<T>(target: PostgresTarget, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(clientConfig(target));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function backupPostgres(target: PostgresTarget, out: string): Promise<BackupReport> {
  const { url, env } = libpqTarget(target);
  const head = await withClient(target, (client) => postgresHead(client, target.schema));
  if (head === null) throw new Error(`no Clinic Desk store in schema ${target.schema}`);
  await run('pg_dump', ['--format=custom', '--no-owner', '--schema', target.schema, '--file', out, '--dbname', url], { env });
  return { file: out, bytes: statSync(out).size, head };
}

async function restorePostgres(target: PostgresTarget, from: string, now: Date): Promise<RestoreReport> {
  const { url, env } = libpqTarget(target);
  const schema = target.schema;
  const keptSchema = `${schema}_before_restore_${stamp(now).replace('-', '_')}`.slice(0, 63);
  const { previousHead, keptAs } = await withClient(target, async (client) => {
    const head = await postgresHead(client, schema);
    const present = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (!present.rowCount) return { previousHead: null, keptAs: null };
    await client.query(`ALTER SCHEMA ${quoteIdent(schema)} RENAME TO ${quoteIdent(keptSchema)}`);
    return { previousHead: head, keptAs: keptSchema };
  });
  try {
    await run('pg_restore', ['--no-owner', '--single-transaction', '--exit-on-error', '--dbname', url, from], { env });
  } catch (error) {
    // Put the old store back: a failed restore leaves things as they were.
    await withClient(target, async (client) => {
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      if (keptAs) await client.query(`ALTER SCHEMA ${quoteIdent(keptAs)} RENAME TO ${quoteIdent(schema)}`);
    });
    throw new Error(`pg_restore failed, the store is unchanged: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`);
  }
  return withClient(target, async (client) => {
    const restoredHead = await postgresHead(client, schema);
    if (restoredHead === null) throw new Error(`${from} holds no Clinic Desk store for schema ${schema}`);
    const resumesAt = resumeAfter(restoredHead, previousHead);
    const s = quoteIdent(schema);
    await client.query('BEGIN');
    try {
      await client.query(`SELECT setval(pg_get_serial_sequence('${s}.changes', 'seq'), $1)`, [resumesAt]);
      const current = await client.query<{ value: string }>(`SELECT value FROM ${s}.settings WHERE key = $1`, [restoredRangesSetting]);
      const range: RestoredRange = { after: restoredHead, through: resumesAt, restoredAt: now.toISOString(), from: basename(from) };
      await client.query(
        `INSERT INTO ${s}.settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [restoredRangesSetting, JSON.stringify([...parseRestoredRanges(current.rows[0]?.value ?? null), range])],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    return { file: from, restoredHead, previousHead, resumesAfter: resumesAt, keptAs };
  });
}
