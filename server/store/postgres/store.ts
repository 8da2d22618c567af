/**
 * The clinic store on PostgreSQL, for clinics that run several server instances (or want their
 * data in a database their IT already backs up). Same interface and behaviour as the SQLite store;
 * what differs is that many writers run at once, so every guarantee lives in the database:
 * see ./writeTx.ts for the locking and the change-log ordering, ./changeFeed.ts for how one
 * instance's commit reaches the live clients of the others.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { CollectionName } from '../../../shared/domain/collections';
import type { AuditEntry, Cursor } from '../../../shared/sync/protocol';
import {
  BadCursorError,
  type ClinicStore,
  type PullOptions,
  type PullPage,
  type StoredChange,
  type StoredRow,
  type UserCredentials,
  type WriteTx,
} from '../types';
import { ChangeFeed } from './changeFeed';
import { createPool, parsePostgresUrl, quoteIdent, type PostgresTarget } from './connection';
import { migrationsFor } from '../migrations';
import { cursorOf, rowColumns, toAuditEntry, toStoredRow, type AuditRecord, type RowRecord } from './rowCodec';
import { PostgresWriteTx, WriteRaceError } from './writeTx';

const migrations = migrationsFor('postgres');

/** Where the store reports what a support person should see (the server passes its logger). */
export interface StoreLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PostgresStoreOptions {
  log?: StoreLog;
  /** How often a transaction that lost a race is retried before the error surfaces. */
  maxAttempts?: number;
  /**
   * Fault injection for tests: runs after a transaction has written its change-log entries and
   * right before COMMIT, to hold a commit open and prove that no puller passes it meanwhile.
   */
  beforeCommit?: () => Promise<void>;
}

/** Without a logger: problems still reach stderr, where a support person looks first. */
const stderrLog: StoreLog = {
  info: () => undefined,
  warn: (message) => console.error(`[clinic-server] ${message}`),
  error: (message) => console.error(`[clinic-server] ${message}`),
};

/**
 * SQLSTATEs after which running the transaction again is the right answer: a deadlock or
 * serialization failure, or a unique key a concurrent writer took first (a duplicate mutation id:
 * the retry finds the first result; a username: the retry sees the user and refuses cleanly).
 */
const retryableCodes = new Set(['40001', '40P01', '23505']);

function isRetryable(error: unknown): boolean {
  if (error instanceof WriteRaceError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && retryableCodes.has(code);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const cursorPattern = /^\d{1,18}$/;

export class PostgresStore implements ClinicStore {
  readonly description: string;
  private readonly target: PostgresTarget;
  private readonly pool: pg.Pool;
  private readonly log: StoreLog;
  private readonly maxAttempts: number;
  private readonly beforeCommit: (() => Promise<void>) | undefined;
  /** Tells this instance's own commits apart from other instances' in the NOTIFY stream. */
  private readonly instanceId = randomUUID();
  private readonly channel: string;
  private readonly lockNamespace: string;
  private readonly listeners = new Set<(cursor: Cursor) => void>();
  private feed: ChangeFeed | null = null;
  private announced = 0n;
  private closed = false;

  constructor(databaseUrl: string, options: PostgresStoreOptions = {}) {
    this.target = parsePostgresUrl(databaseUrl);
    this.description = `postgres ${this.target.redacted}`;
    this.log = options.log ?? stderrLog;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.beforeCommit = options.beforeCommit;
    this.channel = `clinic_changes_${this.target.schema}`.slice(0, 63);
    this.lockNamespace = `clinic:${this.target.schema}`;
    this.pool = createPool(this.target);
    // An idle pooled connection that the server drops must not crash the process.
    this.pool.on('error', (error) => this.log.warn(`postgres: idle connection lost: ${describeError(error)}`));
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.lockNamespace}:migrations`]);
      // Only create a missing schema: CREATE SCHEMA needs a right on the database that a user who
      // was merely given an existing schema does not have, even with IF NOT EXISTS.
      const existing = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.target.schema]);
      if (existing.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(this.target.schema)}`);
      await client.query(`SET LOCAL search_path TO ${quoteIdent(this.target.schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        this.log.info(`postgres: applied migration ${migration.version} (${migration.name})`);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    await this.startFeed();
  }

  /** LISTEN before the server accepts clients, so no other instance's commit goes unheard. */
  private async startFeed(): Promise<void> {
    if (this.feed || this.closed) return;
    const feed = new ChangeFeed({
      target: this.target,
      channel: this.channel,
      instanceId: this.instanceId,
      onCommitted: (cursor) => this.emitCommitted(cursor),
      onResync: () => {
        this.log.info('postgres: live change feed reconnected');
        this.headCursor().then(
          (cursor) => this.emitCommitted(cursor),
          (error: unknown) => this.log.warn(`postgres: head after reconnect failed: ${describeError(error)}`),
        );
      },
      onError: (message, error) => this.log.warn(`postgres: ${message}: ${describeError(error)}`),
    });
    this.feed = feed;
    await feed.start();
  }

  async write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const tx = new PostgresWriteTx(client, this.lockNamespace);
      let committedCursor: string | null = null;
      let result: T;
      try {
        await client.query('BEGIN');
        result = await fn(tx);
        if (tx.hasChanges) {
          committedCursor = await tx.flushChanges(this.channel, this.instanceId);
          await this.beforeCommit?.();
        }
        await client.query('COMMIT');
        client.release();
      } catch (error) {
        let broken = false;
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        client.release(broken);
        if (attempt < this.maxAttempts && isRetryable(error)) {
          // A short random pause lets the winner of the race commit before we look again.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
          continue;
        }
        throw error;
      }
      if (committedCursor !== null) this.emitCommitted(committedCursor);
      return result;
    }
  }

  /**
   * Announce a cursor once, and never an older one after a newer: this instance's own commits are
   * announced straight after COMMIT, while another instance's earlier commit may still be on its
   * way through NOTIFY.
   */
  private emitCommitted(cursor: Cursor): void {
    const seq = BigInt(cursor);
    if (seq <= this.announced) return;
    this.announced = seq;
    for (const listener of this.listeners) {
      try {
        listener(cursor);
      } catch (error) {
        this.log.error(`postgres: a committed listener failed: ${describeError(error)}`);
      }
    }
  }

  onCommitted(listener: (cursor: Cursor) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async getRow(collection: CollectionName, id: string): Promise<StoredRow | null> {
    const { rows } = await this.pool.query<RowRecord>(
      `SELECT ${rowColumns} FROM rows WHERE collection = $1 AND id = $2`,
      [collection, id],
    );
    return rows[0] ? toStoredRow(rows[0]) : null;
  }

  async listRows(collection: CollectionName): Promise<StoredRow[]> {
    const { rows } = await this.pool.query<RowRecord>(
      `SELECT ${rowColumns} FROM rows WHERE collection = $1 AND NOT deleted ORDER BY ord`,
      [collection],
    );
    return rows.map(toStoredRow);
  }

  async countRows(collection: CollectionName): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM rows WHERE collection = $1 AND NOT deleted',
      [collection],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async pullSince(options: PullOptions): Promise<PullPage> {
    const since = options.since ?? '';
    if (since !== '' && !cursorPattern.test(since)) throw new BadCursorError(`unknown cursor "${since}"`);
    const sinceSeq = since === '' ? 0n : BigInt(since);
    // ONE statement, so the page and the head come from one snapshot. The page scans the next
    // `limit` log entries by seq alone and filters them afterwards: a filter on collection inside
    // the scan let the planner, on stale statistics after a bulk load, join and sort the whole
    // rest of the log for every page (1.9 s instead of 60 ms a page at 600k rows). A page may so
    // hold fewer than `limit` changes and still have more after it. A log entry whose version is
    // behind its row's current version is skipped: a later entry carries the row's state.
    const fromStart = sinceSeq === 0n;
    const { rows } = await this.pool.query<{ head: string; last: string | null; more: boolean; page: PageEntry[]; total: string | null }>(
      `WITH scanned AS MATERIALIZED (
         SELECT seq, collection, row_id, version FROM changes WHERE seq > $1 ORDER BY seq LIMIT $3
       ),
       page AS (
         -- data as text: the page passes each row's JSON on without a parse (see StoredChange)
         SELECT s.seq, s.collection, s.row_id, s.version, r.deleted, r.data::text AS data
         FROM scanned s JOIN rows r ON r.collection = s.collection AND r.id = s.row_id
         WHERE s.collection = ANY($2::text[]) AND s.version = r.version
       ),
       last AS (SELECT max(seq) AS seq FROM scanned)
       SELECT (SELECT coalesce(max(seq), 0) FROM changes) AS head,
              (SELECT seq FROM last) AS last,
              EXISTS (SELECT 1 FROM changes WHERE seq > (SELECT seq FROM last)) AS more,
              (SELECT coalesce(json_agg(page ORDER BY seq), '[]'::json) FROM page) AS page,
              -- a walk from the start yields each row once (tombstones included): progress total
              CASE WHEN $4 THEN (SELECT count(*) FROM rows WHERE collection = ANY($2::text[])) END AS total`,
      [sinceSeq.toString(), [...options.collections], options.limit, fromStart],
    );
    const answer = rows[0];
    const head = BigInt(answer?.head ?? '0');
    const hasMore = answer?.more === true;
    const changes: StoredChange[] = (answer?.page ?? []).map((e) =>
      e.deleted
        ? { collection: e.collection, id: e.row_id, op: 'delete', version: e.version }
        : { collection: e.collection, id: e.row_id, op: 'upsert', version: e.version, rowJson: e.data },
    );
    // Like the SQLite store: a page with more after it resumes after the last entry it scanned;
    // otherwise the snapshot's head (safe: no smaller seq can still commit, see ./writeTx.ts).
    const cursor = hasMore ? BigInt(answer!.last!) : head;
    const page: PullPage = { changes, cursor: cursorOf(cursor), hasMore };
    if (fromStart) page.total = hasMore ? Number(answer?.total ?? 0) : changes.length;
    return page;
  }

  async headCursor(): Promise<Cursor> {
    const { rows } = await this.pool.query<{ head: string }>('SELECT coalesce(max(seq), 0) AS head FROM changes');
    return cursorOf(rows[0]?.head ?? '0');
  }

  async findUserByUsername(username: string): Promise<UserCredentials | null> {
    const { rows } = await this.pool.query<RowRecord & { password_hash: string }>(
      `SELECT r.collection, r.id, r.version, r.deleted, r.data, r.field_versions, c.password_hash
       FROM rows r JOIN credentials c ON c.user_id = r.id
       WHERE r.collection = 'users' AND NOT r.deleted AND lower(r.data->>'username') = lower($1)`,
      [username],
    );
    const r = rows[0];
    return r ? { user: toStoredRow(r), passwordHash: r.password_hash } : null;
  }

  async countUsers(): Promise<number> {
    return this.countRows('users');
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query<AuditRecord>(
      'SELECT seq, at, user_id, username, action, collection, row_id, detail FROM audit ORDER BY seq DESC LIMIT $1',
      [limit],
    );
    return rows.map(toAuditEntry);
  }

  async getSetting(key: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return rows[0]?.value ?? null;
  }

  /**
   * A rate limiter whose counts live in this database, so that every instance sees the same
   * budget (login throttling). Should the database not answer, an in-memory twin decides.
   */
  sharedRateLimiter(options: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract {
    return new RateLimiterPostgres({
      ...options,
      storeClient: this.pool,
      storeType: 'pool',
      schemaName: this.target.schema,
      tableName: 'rate_limits',
      tableCreated: true, // by migration 2
      clearExpiredByTimeout: false, // an expired count is overwritten by the next failure
      insuranceLimiter: new RateLimiterMemory(options),
    });
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the store is closed');
    // The pool waits for a connection without a limit; a readiness probe must answer in time.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('PostgreSQL did not answer within 3 s')), 3_000);
    });
    try {
      await Promise.race([this.pool.query('SELECT 1 FROM schema_migrations LIMIT 1'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.feed?.close();
    await this.pool.end();
  }
}

interface PageEntry {
  seq: number;
  collection: CollectionName;
  row_id: string;
  version: number;
  deleted: boolean;
  /** The row's jsonb as text. */
  data: string;
}
