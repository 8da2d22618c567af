/**
 * The terminal's local SQLite file: opened in WAL mode, schema brought up to date by numbered
 * migrations recorded in `PRAGMA user_version`, so an older cache file upgrades in place.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { collectionNames } from '../../shared/domain/collections';

export type CacheDb = Database.Database;

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
  // The appointment book's collections (appointment types, blocked time, recalls) arrived after
  // the first cache files were made: a table for every collection that has none yet.
  (db) => {
    for (const c of collectionNames) {
      db.exec(`CREATE TABLE IF NOT EXISTS ${rowTable(c)} (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)`);
    }
  },
];

export function openCache(dataDir: string): CacheDb {
  mkdirSync(dataDir, { recursive: true });
  // Under Electron, `npm start` passes a better-sqlite3 build for Electron's ABI (the one in
  // node_modules is built for Node, which tests and the headless terminal use).
  const nativeBinding = process.env.CLINIC_SQLITE_NATIVE_BINDING;
  const db = new Database(join(dataDir, 'terminal-cache.sqlite'), nativeBinding ? { nativeBinding } : {});
  // 16 KiB pages (SQLite's default is 4 KiB): a first download writes hundreds of megabytes
  // through the WAL and its checkpoints, and a quarter of the pages took 6.0-6.5 s for 600k rows
  // instead of 7.0-7.9 s (docs/performance.md, item 7). Only a new file takes it: an existing
  // cache keeps the page size it was made with.
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
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
  return db;
}
