/**
 * The embedded store: better-sqlite3 in WAL mode. One connection writes (write transactions are
 * queued, so exactly one runs at a time, with BEGIN IMMEDIATE), a second read-only connection
 * serves reads, so a read never sees a write transaction that is still open across an `await`.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { AnyRow, CollectionName } from '../../../shared/domain/collections';
import type { AuditEntry, Cursor, MutationResult } from '../../../shared/sync/protocol';
import { redactedJsonSql, snapshotFormat, snapshotTable } from '../../../shared/sync/snapshot';
import {
  BadCursorError,
  type AppointmentSlotQuery,
  type BlockedTimeQuery,
  type AuditInput,
  type ChangeEntry,
  type ClinicStore,
  type PullOptions,
  type PullPage,
  type RefreshTokenRecord,
  type SnapshotFile,
  type SnapshotOptions,
  type StoredChange,
  type StoredRow,
  type UserCredentials,
  type WriteTx,
  StoredMutationResult,
} from '../types';
import { migrationsFor } from '../migrations';
import { WriteQueue } from './write-queue';

const migrations = migrationsFor('sqlite');

interface RowRecord {
  collection: string;
  id: string;
  version: number;
  deleted: number;
  data: string;
  field_versions: string;
}

function toStoredRow(r: RowRecord): StoredRow {
  return {
    collection: r.collection as CollectionName,
    id: r.id,
    version: r.version,
    deleted: r.deleted === 1,
    row: JSON.parse(r.data) as AnyRow,
    fieldVersions: JSON.parse(r.field_versions) as Record<string, number>,
  };
}

/** Address space the read connection may map (not memory: pages are shared with the file cache). */
const readerMmapBytes = 1024 * 1024 * 1024;

/**
 * Rows a snapshot part copies between two turns of the event loop: the copy runs on the server's
 * only thread, so other terminals' pushes and pulls wait at most one batch (10-30 ms).
 */
const snapshotBatchRows = 10_000;

/** Prepared statements, compiled once per connection (better-sqlite3 re-parses SQL on every prepare). */
const statementCache = new WeakMap<Database.Database, Map<string, Database.Statement>>();
function sql(db: Database.Database, text: string): Database.Statement {
  let cache = statementCache.get(db);
  if (!cache) statementCache.set(db, (cache = new Map()));
  let stmt = cache.get(text);
  if (!stmt) cache.set(text, (stmt = db.prepare(text)));
  return stmt;
}

/** A snapshot part's start: the previous part's `next` (a rowid of the rows table). */
function parseSnapshotPosition(after: string): number {
  if (!/^\d{1,15}$/.test(after)) throw new BadCursorError(`snapshot position "${after}" is not one this server gave out`);
  return Number(after);
}

function parseCursor(cursor: Cursor | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  if (!/^\d{1,15}$/.test(cursor)) throw new BadCursorError(`cursor "${cursor}" is not one this server gave out`);
  return Number(cursor);
}

export interface SqliteStoreOptions {
  dataDir: string;
  /** File name inside dataDir; default clinic.db. */
  fileName?: string;
}

export class SqliteClinicStore implements ClinicStore {
  readonly description: string;
  private readonly path: string;
  private writer: Database.Database;
  private reader: Database.Database | null = null;
  private readonly queue = new WriteQueue();
  private readonly events = new EventEmitter();
  private closed = false;
  /** The file this store opened (see ping). */
  private readonly fileId: { ino: number; dev: number };

  constructor(options: SqliteStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.path = join(options.dataDir, options.fileName ?? 'clinic.db');
    this.description = `sqlite:${this.path}`;
    this.writer = new Database(this.path);
    this.fileId = statSync(this.path);
    this.writer.pragma('journal_mode = WAL');
    this.writer.pragma('synchronous = NORMAL');
    this.writer.pragma('foreign_keys = ON');
    this.writer.pragma('busy_timeout = 5000');
    this.events.setMaxListeners(0);
  }

  async migrate(): Promise<void> {
    const db = this.writer;
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          new Date().toISOString(),
        );
      }).immediate();
    }
    // Snapshots a stopped server left half-sent.
    rmSync(this.snapshotDir, { recursive: true, force: true });
    if (!this.reader) {
      this.reader = new Database(this.path, { readonly: true });
      this.reader.pragma('busy_timeout = 5000');
      // Reads through a memory map instead of a read() per page: a first download walks the whole
      // file in change order, and this took its pull queries from 8.5 s to 6.9 s of a 600k-row
      // download (docs/performance.md). Read-only, so a mapped page is never written through.
      this.reader.pragma(`mmap_size = ${readerMmapBytes}`);
    }
  }

  /** Where first-download snapshots are written before they are sent (and deleted). */
  private get snapshotDir(): string {
    const dir = join(dirname(this.path), 'snapshots');
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private get read(): Database.Database {
    if (!this.reader) throw new Error('store used before migrate()');
    return this.reader;
  }

  async write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      if (this.closed) throw new Error('store is closed');
      const db = this.writer;
      const tx = new SqliteWriteTx(db);
      db.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await fn(tx);
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
      if (tx.changed) this.events.emit('committed', String(tx.lastSeq));
      return result;
    });
  }

  async getRow(collection: CollectionName, id: string): Promise<StoredRow | null> {
    const r = sql(this.read, 'SELECT * FROM rows WHERE collection = ? AND id = ?').get(collection, id) as
      | RowRecord
      | undefined;
    return r ? toStoredRow(r) : null;
  }

  async listRows(collection: CollectionName): Promise<StoredRow[]> {
    const rs = sql(this.read,'SELECT * FROM rows WHERE collection = ? AND deleted = 0 ORDER BY rowid')
      .all(collection) as RowRecord[];
    return rs.map(toStoredRow);
  }

  async countRows(collection: CollectionName): Promise<number> {
    const r = sql(this.read, 'SELECT count(*) AS n FROM rows WHERE collection = ? AND deleted = 0').get(collection) as {
      n: number;
    };
    return r.n;
  }

  async pullSince(options: PullOptions): Promise<PullPage> {
    const since = parseCursor(options.since);
    const db = this.read;
    // One read transaction: the page and the head come from the same snapshot.
    return db.transaction((): PullPage => {
      // Each row once, at the change that made its current version (rows.change_seq): the same
      // entries as walking the change log and skipping those a later change superseded.
      const entries = sql(
        db,
        `SELECT change_seq AS seq, collection, id, version, deleted, data
         FROM rows
         WHERE change_seq > ?
           -- '+' keeps SQLite on the change_seq index: walking it in order needs no sort; through
           -- rows_live every page re-read and re-sorted the whole rest of the table.
           AND +collection IN (SELECT value FROM json_each(?))
         ORDER BY change_seq LIMIT ?`,
      ).all(since, JSON.stringify(options.collections), options.limit + 1) as {
        seq: number;
        collection: CollectionName;
        id: string;
        version: number;
        deleted: number;
        data: string;
      }[];
      const hasMore = entries.length > options.limit;
      const page = hasMore ? entries.slice(0, options.limit) : entries;
      const changes: StoredChange[] = page.map((e) =>
        e.deleted === 1
          ? { collection: e.collection, id: e.id, op: 'delete', version: e.version }
          : { collection: e.collection, id: e.id, op: 'upsert', version: e.version, rowJson: e.data },
      );
      let cursor: number;
      if (hasMore) cursor = page[page.length - 1]!.seq;
      else {
        const head = sql(db, 'SELECT coalesce(max(seq), 0) AS head FROM changes').get() as { head: number };
        cursor = Math.max(head.head, page.length > 0 ? page[page.length - 1]!.seq : 0);
      }
      const result: PullPage = { changes, cursor: String(cursor), hasMore };
      if (since === 0 && hasMore) {
        const count = sql(
          db,
          // A walk from the start yields each row once (at its current version), tombstones included.
          `SELECT count(*) AS n FROM rows WHERE collection IN (SELECT value FROM json_each(?))`,
        ).get(JSON.stringify(options.collections)) as { n: number };
        result.total = count.n;
      } else if (since === 0) result.total = changes.length;
      return result;
    })();
  }

  async headCursor(): Promise<Cursor> {
    const r = sql(this.read, 'SELECT coalesce(max(seq), 0) AS head FROM changes').get() as { head: number };
    return String(r.head);
  }

  async writeSnapshot(options: SnapshotOptions): Promise<SnapshotFile> {
    const file = join(this.snapshotDir, `${randomUUID()}.sqlite`);
    const db = new Database(file);
    try {
      // A throwaway file: nothing to roll back or recover if the server stops half-way.
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
      db.prepare('ATTACH ? AS clinic').run(this.path);
      db.exec('CREATE TABLE snapshot_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      for (const c of options.collections) {
        db.exec(`CREATE TABLE ${snapshotTable(c)} (id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL)`);
      }
      const rows: SnapshotFile['rows'] = Object.fromEntries(options.collections.map((c) => [c, 0]));
      const wanted = JSON.stringify(options.collections);
      const start = options.after === undefined ? 0 : parseSnapshotPosition(options.after);
      db.exec('BEGIN');
      // One read transaction from here to COMMIT: the head and every batch see the same state.
      const head = (db.prepare('SELECT coalesce(max(seq), 0) AS head FROM clinic.changes').get() as { head: number }).head;
      const total =
        options.after === undefined
          ? (db.prepare('SELECT count(*) AS n FROM clinic.rows WHERE deleted = 0 AND collection IN (SELECT value FROM json_each(?))').get(wanted) as { n: number }).n
          : undefined;
      // The part walks the rows table in rowid order ('+': no index), from `after` on; each
      // collection's rows of that range then come by the rows_live (collection, deleted) index,
      // which ends in rowid, instead of a scan of the range per collection.
      const live = `+deleted = 0 AND +collection IN (SELECT value FROM json_each('${wanted.replace(/'/g, "''")}'))`;
      const upTo = db.prepare(`SELECT count(*) AS n, max(rowid) AS last FROM (SELECT rowid FROM clinic.rows WHERE rowid > ? AND ${live} ORDER BY rowid LIMIT ?)`);
      const copies = options.collections.map((c) =>
        db.prepare(
          `INSERT INTO ${snapshotTable(c)} (id, version, data)
           SELECT id, version, ${redactedJsonSql(options.role, c, 'data')} FROM clinic.rows
           WHERE collection = '${c}' AND deleted = 0 AND rowid > ? AND rowid <= ? ORDER BY rowid`,
        ),
      );
      let after = start;
      let copied = 0;
      while (copied < options.limit) {
        const batch = upTo.get(after, Math.min(snapshotBatchRows, options.limit - copied)) as { n: number; last: number | null };
        if (batch.last === null) break;
        options.collections.forEach((c, i) => (rows[c]! += copies[i]!.run(after, batch.last).changes));
        copied += batch.n;
        after = batch.last;
        await new Promise((resolve) => setImmediate(resolve));
        if (this.closed) throw new Error('store is closed');
      }
      const more = db.prepare(`SELECT 1 FROM clinic.rows WHERE rowid > ? AND ${live} LIMIT 1`).get(after) !== undefined;
      const next = more ? String(after) : null;
      const info = db.prepare('INSERT INTO snapshot_info (key, value) VALUES (?, ?)');
      info.run('format', String(snapshotFormat));
      info.run('cursor', String(head));
      info.run('role', options.role);
      info.run('createdAt', new Date().toISOString());
      if (next !== null) info.run('next', next);
      if (total !== undefined) info.run('total', String(total));
      db.exec('COMMIT');
      db.exec('DETACH clinic');
      db.close();
      return { file, cursor: String(head), rows, next, ...(total !== undefined ? { total } : {}) };
    } catch (err) {
      if (db.open) db.close();
      rmSync(file, { force: true });
      throw err;
    }
  }

  async findUserByUsername(username: string): Promise<UserCredentials | null> {
    const r = sql(this.read, `SELECT r.*, c.password_hash FROM rows r JOIN credentials c ON c.user_id = r.id
         WHERE r.collection = 'users' AND r.deleted = 0 AND lower(json_extract(r.data, '$.username')) = lower(?)`).get(username) as (RowRecord & { password_hash: string }) | undefined;
    return r ? { user: toStoredRow(r), passwordHash: r.password_hash } : null;
  }

  async countUsers(): Promise<number> {
    return this.countRows('users');
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    const rs = sql(this.read, `SELECT seq, at, user_id AS userId, username, action, collection, row_id AS rowId, detail
         FROM audit ORDER BY seq DESC LIMIT ?`).all(limit) as AuditEntry[];
    return rs;
  }

  async getSetting(key: string): Promise<string | null> {
    const r = sql(this.read, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value ?? null;
  }

  onCommitted(listener: (cursor: Cursor) => void): () => void {
    this.events.on('committed', listener);
    return () => this.events.off('committed', listener);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the store is closed');
    // The open connections keep a deleted or replaced file alive, and writes to it would be lost:
    // the store is only up while its path still names the file it opened.
    let now;
    try {
      now = statSync(this.path);
    } catch {
      throw new Error(`${this.path} is gone`);
    }
    if (now.ino !== this.fileId.ino || now.dev !== this.fileId.dev) throw new Error(`${this.path} was replaced while the server ran; restart it`);
    sql(this.read, 'SELECT count(*) FROM schema_migrations').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued writes finish before the connections go.
    await this.queue.run(async () => {
      this.closed = true;
    });
    this.reader?.close();
    this.writer.close();
    this.events.removeAllListeners();
  }
}

class SqliteWriteTx implements WriteTx {
  changed = false;
  lastSeq = 0;
  private readonly now = () => new Date().toISOString();

  constructor(private readonly db: Database.Database) {}

  async lock(_keys: string[]): Promise<void> {
    // One writer at a time already (WriteQueue + BEGIN IMMEDIATE).
  }

  async getRow(collection: CollectionName, id: string): Promise<StoredRow | null> {
    const r = sql(this.db, 'SELECT * FROM rows WHERE collection = ? AND id = ?').get(collection, id) as
      | RowRecord
      | undefined;
    return r ? toStoredRow(r) : null;
  }

  async putRow(row: StoredRow): Promise<void> {
    sql(this.db, `INSERT INTO rows (collection, id, version, deleted, data, field_versions) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (collection, id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted,
           data = excluded.data, field_versions = excluded.field_versions, change_seq = 0`).run(row.collection, row.id, row.version, row.deleted ? 1 : 0, JSON.stringify(row.row), JSON.stringify(row.fieldVersions));
  }

  async appendChange(change: ChangeEntry): Promise<void> {
    const info = sql(this.db, 'INSERT INTO changes (collection, row_id, version, op, committed_at) VALUES (?, ?, ?, ?, ?)').run(change.collection, change.id, change.version, change.op, this.now());
    // The row's pull position (see migration 2): putRow reset it, this change's seq sets it.
    sql(this.db, 'UPDATE rows SET change_seq = ? WHERE collection = ? AND id = ? AND version = ?').run(info.lastInsertRowid, change.collection, change.id, change.version);
    this.changed = true;
    this.lastSeq = Number(info.lastInsertRowid);
  }

  async findOverlappingAppointments(q: AppointmentSlotQuery): Promise<AnyRow[]> {
    const rs = sql(this.db, `SELECT data FROM rows
         WHERE collection = 'appointments' AND deleted = 0 AND id <> @excludeId
           AND (json_extract(data, '$.providerId') = @providerId
                OR (@room <> '' AND json_extract(data, '$.room') = @room))
           AND julianday(json_extract(data, '$.start')) < julianday(@end)
           AND julianday(json_extract(data, '$.end')) > julianday(@start)`).all(q) as { data: string }[];
    return rs.map((r) => JSON.parse(r.data) as AnyRow);
  }

  async findBlockedTimes(q: BlockedTimeQuery): Promise<AnyRow[]> {
    const rs = sql(this.db, `SELECT data FROM rows
         WHERE collection = 'blocked-times' AND deleted = 0
           AND (json_extract(data, '$.providerId') IS NULL OR json_extract(data, '$.providerId') = @providerId)
           AND julianday(json_extract(data, '$.start')) < julianday(@end)
           AND julianday(json_extract(data, '$.end')) > julianday(@start)`).all(q) as { data: string }[];
    return rs.map((r) => JSON.parse(r.data) as AnyRow);
  }

  async listPaymentsOfInvoice(invoiceId: string): Promise<AnyRow[]> {
    const rs = sql(this.db, `SELECT data FROM rows WHERE collection = 'payments' AND deleted = 0
         AND json_extract(data, '$.invoiceId') = ?`).all(invoiceId) as { data: string }[];
    return rs.map((r) => JSON.parse(r.data) as AnyRow);
  }

  async findUserByUsername(username: string): Promise<StoredRow | null> {
    const r = sql(this.db, `SELECT * FROM rows WHERE collection = 'users' AND deleted = 0
         AND lower(json_extract(data, '$.username')) = lower(?)`).get(username) as RowRecord | undefined;
    return r ? toStoredRow(r) : null;
  }

  async getMutationResult(mutationId: string): Promise<StoredMutationResult | null> {
    const r = sql(this.db, 'SELECT user_id, result FROM mutations WHERE mutation_id = ?').get(mutationId) as
      | { user_id: string; result: string }
      | undefined;
    return r ? { userId: r.user_id, result: JSON.parse(r.result) as MutationResult } : null;
  }

  async saveMutationResult(mutationId: string, userId: string, result: MutationResult): Promise<void> {
    sql(this.db, 'INSERT INTO mutations (mutation_id, user_id, result, applied_at) VALUES (?, ?, ?, ?)').run(mutationId, userId, JSON.stringify(result), this.now());
  }

  async appendAudit(e: AuditInput): Promise<void> {
    sql(this.db, `INSERT INTO audit (at, user_id, username, action, collection, row_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(this.now(), e.userId, e.username, e.action, e.collection, e.rowId, e.detail);
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    sql(this.db, `INSERT INTO credentials (user_id, password_hash) VALUES (?, ?)
         ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash`).run(userId, passwordHash);
  }

  async saveRefreshToken(r: RefreshTokenRecord): Promise<void> {
    sql(this.db, 'INSERT INTO refresh_tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)').run(r.tokenHash, r.userId, r.expiresAt);
  }

  async takeRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const r = sql(this.db, 'DELETE FROM refresh_tokens WHERE token_hash = ? RETURNING token_hash, user_id, expires_at')
      .get(tokenHash) as { token_hash: string; user_id: string; expires_at: string } | undefined;
    return r ? { tokenHash: r.token_hash, userId: r.user_id, expiresAt: r.expires_at } : null;
  }

  async revokeRefreshTokens(userId: string): Promise<void> {
    sql(this.db, 'DELETE FROM refresh_tokens WHERE user_id = ?').run(userId);
  }

  async getSetting(key: string): Promise<string | null> {
    const r = sql(this.db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value ?? null;
  }

  async setSetting(key: string, value: string): Promise<void> {
    sql(this.db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async deleteSetting(key: string): Promise<void> {
    sql(this.db, 'DELETE FROM settings WHERE key = ?').run(key);
  }
}
