/**
 * The terminal's local SQLite file: opened in WAL mode, schema brought up to date by numbered
 * migrations recorded in `PRAGMA user_version`, so an older cache file upgrades in place.
 */
import { chmodSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { collectionNames } from '../../shared/domain/collections';
import { encryptPlainCache, isPlainSqliteFile, openEncrypted, type CacheDb, type CacheKey } from './encryption';

export type { CacheDb, CacheKey } from './encryption';

export const cacheFileName = 'terminal-cache.sqlite';

/** Table holding the cached rows of one collection ('treatment-records' -> rows_treatment_records). */
export function rowTable(collection: string): string {
  return `rows_${collection.replace(/[^a-z]/g, '_')}`;
}

const migrations: ((db: CacheDb) => void)[] = [
  (db) => {
    for (const c of collectionNames) {
      db.exec(`CREATE TABLE ${rowTable(c)} (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)`);
    }
    db.exec(`
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        mutation_id TEXT NOT NULL UNIQUE,
        collection TEXT NOT NULL,
        op TEXT NOT NULL,
        row_id TEXT NOT NULL,
        base_version INTEGER,
        -- 1 when the edit was made on an optimistic row (earlier mutations of the row still
        -- pending): its base version is then rewritten to what the server answered for them.
        base_is_local INTEGER NOT NULL DEFAULT 0,
        data TEXT,
        user_id TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX outbox_row ON outbox (collection, row_id);
      CREATE TABLE conflicts (
        id TEXT PRIMARY KEY,
        collection TEXT NOT NULL,
        row_id TEXT NOT NULL,
        mutation_id TEXT NOT NULL,
        fields TEXT NOT NULL,
        mine TEXT NOT NULL,
        theirs TEXT NOT NULL,
        recorded_at TEXT NOT NULL
      );
      CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE session (id INTEGER PRIMARY KEY CHECK (id = 1), user TEXT NOT NULL, access_token TEXT, refresh_token TEXT);
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  },
  // Collections added since (clinic-settings; appointment types, blocked time, recalls) get their
  // row table in an existing cache file.
  (db) => {
    for (const c of collectionNames) {
      db.exec(`CREATE TABLE IF NOT EXISTS ${rowTable(c)} (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)`);
    }
  },
  // Tokens leave the cache (the access token lives in memory, the refresh token in the keystore);
  // whether someone is signed in is kept apart from whose work the cache holds; offline sign-in.
  (db) => {
    db.exec(`
      ALTER TABLE session DROP COLUMN access_token;
      ALTER TABLE session DROP COLUMN refresh_token;
      ALTER TABLE session ADD COLUMN signed_in INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE offline_verifiers (
        username TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        salt BLOB NOT NULL,
        hash BLOB NOT NULL,
        params TEXT NOT NULL,
        verified_at TEXT NOT NULL
      );
    `);
  },
];

/**
 * Open (or create) the terminal's encrypted cache in `dataDir` (made 0700; the cache files 0600).
 * A cache from before encryption is encrypted in place; one this key cannot open (its key was
 * lost with the keystore) is moved aside and a new, empty cache started: `log` says so.
 */
export function openCache(dataDir: string, key: CacheKey | null, log: (line: string) => void = () => {}): CacheDb {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  // Under Electron, `npm start` passes a better-sqlite3-multiple-ciphers build for Electron's ABI
  // (the one in node_modules is built for Node, which tests and the headless terminal use).
  const nativeBinding = process.env.CLINIC_SQLITE_NATIVE_BINDING || undefined;
  const options = nativeBinding ? { nativeBinding } : {};
  const file = join(dataDir, cacheFileName);
  if (key !== null && isPlainSqliteFile(file)) {
    encryptPlainCache(file, key, options);
    log('the cache was not encrypted: it is now (SQLCipher format, key in the keystore)');
  }
  let db: CacheDb;
  try {
    db = openEncrypted(file, key, options);
  } catch (err) {
    if ((err as { code?: string }).code !== 'SQLITE_NOTADB') throw err;
    const aside = `${file}.unreadable-${Date.now()}`;
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
    log(`the cache cannot be opened with the keystore's key (the keystore was reset?); moved it to ${aside} and started an empty cache`);
    db = openEncrypted(file, key, options);
  }
  // 16 KiB pages (SQLite's default is 4 KiB): a first download writes hundreds of megabytes
  // through the WAL and its checkpoints, and a quarter of the pages took 6.0-6.5 s for 600k rows
  // instead of 7.0-7.9 s (docs/performance.md, item 7). Only a new file takes it: an existing
  // cache keeps the page size it was made with.
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Deleted rows are overwritten, so a previous user's clinical data does not linger in free pages.
  db.pragma('secure_delete = ON');
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      migrations[v]!(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  // A collection added after this file's last migration still gets its row table.
  for (const c of collectionNames) db.exec(`CREATE TABLE IF NOT EXISTS ${rowTable(c)} (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)`);
  return db;
}

/**
 * Runs `write` (one transaction) so that its commit is on the disk when it returns. The cache runs
 * at synchronous=NORMAL: a commit reaches the disk at the next checkpoint (1-5 s later, see
 * checkpoint-worker.ts), so a power cut or an OS crash can roll back the last seconds of commits.
 * That costs nothing for rows the server holds (they come again with the cursor), but what a
 * person made here may exist nowhere else yet (an edit waiting in the outbox while offline, a
 * setting): its commit syncs the WAL (FULL) before any window hears of it. About 0.2 ms more a
 * commit on a VM's disk; a download's thousands of commits stay at NORMAL.
 */
export function durably<T>(db: CacheDb, write: () => T): T {
  // SQLite refuses the setting inside a transaction: within one, the outer commit is the one that
  // counts, and its caller decides how it is synced.
  if (db.inTransaction) return write();
  // db.pragma, not a kept statement (prepared.ts): SQLite applies this pragma when it is prepared,
  // and a kept one's first run did not take effect in a trial.
  db.pragma('synchronous = FULL');
  try {
    return write();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}
