/**
 * One PostgreSQL write transaction (READ COMMITTED) behind the store's WriteTx interface.
 *
 * Several server instances may run these at once, so correctness comes from the database:
 * - `lock(keys)` takes transaction-scoped advisory locks (sorted, so two writers never wait on
 *   each other in opposite order); after the lock, every statement sees what the previous holder
 *   committed, because a transaction becomes visible before its locks are released.
 * - The domain logic locks `row:<collection>:<id>` before each read-modify-write (field merge, a
 *   stock delta, a payment total), so `getRow` is a plain read (no FOR UPDATE: a row that is only
 *   referenced, like the patient of an appointment, must not serialize its writers).
 * - `putRow` only ever moves a row's version forward (a conditional upsert). Should a writer ever
 *   read-modify-write without the lock, the loser of the race fails here instead of silently
 *   overwriting, and the store retries its whole transaction: no lost update either way.
 * - A CHECK constraint keeps stock at or above 0, and unique indexes back mutation ids and
 *   usernames, whatever a process believes.
 *
 * The change log, and why a puller can never pass a seq that commits later:
 * `appendChange` only buffers. Just before COMMIT, `flushChanges` takes ONE advisory lock for the
 * change log of this schema, inserts the buffered entries (their seq comes from an identity
 * column, i.e. assigned now, under the lock), and queues a NOTIFY; the lock is held until the
 * transaction ends. PostgreSQL marks a transaction committed (visible to new snapshots) before it
 * releases its locks, so the next writer can only draw a seq after every smaller seq is either
 * visible or rolled back (a gap that will never fill). Hence in any snapshot the visible seqs form
 * a prefix of the final log (plus permanent gaps), and "max visible seq" is a safe cursor.
 * The lock is the last lock a transaction takes, held only for the insert and the commit, so it
 * cannot take part in a deadlock with the row and slot locks taken earlier.
 * The price: the tails of write transactions (lock + insert + notify in one round trip, then
 * COMMIT with its WAL flush) run one at a time per schema. Everything before them runs in parallel.
 */
import type pg from 'pg';
import type { AnyRow, CollectionName } from '../../../shared/domain/collections';
import type { MutationResult } from '../../../shared/sync/protocol';
import type {
  AppointmentSlotQuery,
  BlockedTimeQuery,
  AuditInput,
  ChangeEntry,
  RefreshTokenRecord,
  StoredRow,
  WriteTx,
  StoredMutationResult,
} from '../types';
import { rowColumns, toStoredRow, type RowRecord } from './rowCodec';

/** Thrown when a concurrent writer won a race; the store retries the whole transaction. */
export class WriteRaceError extends Error {
  readonly retryable = true;
}

export class PostgresWriteTx implements WriteTx {
  private readonly pending: ChangeEntry[] = [];

  constructor(
    private readonly client: pg.PoolClient,
    /** Prefixes every advisory-lock key so that schemas sharing a database do not contend. */
    private readonly lockNamespace: string,
  ) {}

  /**
   * A named (prepared) statement: PostgreSQL parses and plans each once per connection, which
   * matters on the write path that every mutation takes.
   */
  private q<R extends pg.QueryResultRow = pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.client.query<R>({ name: `clinic.tx.${name}`, text, values });
  }

  async lock(keys: string[]): Promise<void> {
    const sorted = [...new Set(keys)].sort();
    if (sorted.length === 0) return;
    // unnest() without ORDER BY yields the array in order, so the locks are taken in sorted order.
    await this.q('lock',
      'SELECT pg_advisory_xact_lock(hashtextextended($1 || k, 0)) FROM unnest($2::text[]) AS k',
      [`${this.lockNamespace}:`, sorted],
    );
  }

  async getRow(collection: CollectionName, id: string): Promise<StoredRow | null> {
    const { rows } = await this.q<RowRecord>('getRow',
      `SELECT ${rowColumns} FROM rows WHERE collection = $1 AND id = $2`,
      [collection, id],
    );
    return rows[0] ? toStoredRow(rows[0]) : null;
  }

  async putRow(row: StoredRow): Promise<void> {
    const result = await this.q('putRow',
      `INSERT INTO rows (collection, id, version, deleted, data, field_versions)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (collection, id) DO UPDATE
         SET version = EXCLUDED.version, deleted = EXCLUDED.deleted,
             data = EXCLUDED.data, field_versions = EXCLUDED.field_versions
         WHERE rows.version < EXCLUDED.version`,
      [row.collection, row.id, row.version, row.deleted, JSON.stringify(row.row), JSON.stringify(row.fieldVersions)],
    );
    if (result.rowCount === 0) {
      throw new WriteRaceError(`${row.collection}/${row.id} already has version ${row.version} or later`);
    }
  }

  async appendChange(change: ChangeEntry): Promise<void> {
    this.pending.push({ ...change });
  }

  get hasChanges(): boolean {
    return this.pending.length > 0;
  }

  /**
   * Write the buffered change-log entries under the change-log lock and queue the NOTIFY that
   * pokes every instance. Call last, right before COMMIT. Returns the cursor after this commit.
   */
  async flushChanges(notifyChannel: string, instanceId: string): Promise<string> {
    // One round trip: the lock, the entries (their seqs are drawn only after the lock, as every
    // inserted row joins the lock's result) and the NOTIFY carrying the cursor after this commit.
    const { rows } = await this.q<{ cursor: string }>('flushChanges',
      `WITH changelog_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtextextended($1, 0)) AS locked),
       appended AS (
         INSERT INTO changes (collection, row_id, version, op)
         SELECT t.c, t.r, t.v, t.o
         FROM changelog_lock, unnest($2::text[], $3::text[], $4::int[], $5::text[]) WITH ORDINALITY AS t(c, r, v, o, n)
         ORDER BY t.n
         RETURNING seq
       ),
       head AS (SELECT max(seq)::text AS cursor FROM appended)
       SELECT cursor, pg_notify($6, json_build_object('instance', $7::text, 'cursor', cursor)::text) FROM head`,
      [
        `${this.lockNamespace}:changelog`,
        this.pending.map((c) => c.collection),
        this.pending.map((c) => c.id),
        this.pending.map((c) => c.version),
        this.pending.map((c) => c.op),
        notifyChannel,
        instanceId,
      ],
    );
    const cursor = rows[0]!.cursor;
    return cursor;
  }

  async findOverlappingAppointments(query: AppointmentSlotQuery): Promise<AnyRow[]> {
    // ISO instants with offsets: compare as timestamptz, not as text.
    const { rows } = await this.q<{ data: AnyRow }>('overlaps',
      `SELECT data FROM rows
       WHERE collection = 'appointments' AND NOT deleted AND id <> $5
         AND (data->>'providerId' = $3 OR ($4 <> '' AND data->>'room' = $4))
         AND (data->>'start')::timestamptz < $2::timestamptz
         AND $1::timestamptz < (data->>'end')::timestamptz
       ORDER BY ord`,
      [query.start, query.end, query.providerId, query.room, query.excludeId],
    );
    return rows.map((r) => r.data);
  }

  async findBlockedTimes(query: BlockedTimeQuery): Promise<AnyRow[]> {
    const { rows } = await this.q<{ data: AnyRow }>('blockedTimes',
      `SELECT data FROM rows
       WHERE collection = 'blocked-times' AND NOT deleted
         AND (data->>'providerId' IS NULL OR data->>'providerId' = $3)
         AND (data->>'start')::timestamptz < $2::timestamptz
         AND $1::timestamptz < (data->>'end')::timestamptz
       ORDER BY ord`,
      [query.start, query.end, query.providerId],
    );
    return rows.map((r) => r.data);
  }

  async listPaymentsOfInvoice(invoiceId: string): Promise<AnyRow[]> {
    const { rows } = await this.q<{ data: AnyRow }>('paymentsOfInvoice',
      `SELECT data FROM rows
       WHERE collection = 'payments' AND NOT deleted AND data->>'invoiceId' = $1 ORDER BY ord`,
      [invoiceId],
    );
    return rows.map((r) => r.data);
  }

  async findUserByUsername(username: string): Promise<StoredRow | null> {
    const { rows } = await this.q<RowRecord>('userByName',
      `SELECT ${rowColumns} FROM rows
       WHERE collection = 'users' AND NOT deleted AND lower(data->>'username') = lower($1)`,
      [username],
    );
    return rows[0] ? toStoredRow(rows[0]) : null;
  }

  async getMutationResult(mutationId: string): Promise<StoredMutationResult | null> {
    const { rows } = await this.q<{ user_id: string; result: MutationResult }>('getMutation',
      'SELECT user_id, result FROM mutations WHERE mutation_id = $1',
      [mutationId],
    );
    const r = rows[0];
    return r ? { userId: r.user_id, result: r.result } : null;
  }

  async saveMutationResult(mutationId: string, userId: string, result: MutationResult): Promise<void> {
    // A concurrent duplicate blocks on the primary key until the first commits, then fails with
    // unique_violation; the store retries it, and the retry finds the first result.
    await this.q('saveMutation', 'INSERT INTO mutations (mutation_id, user_id, result) VALUES ($1, $2, $3)', [
      mutationId,
      userId,
      JSON.stringify(result),
    ]);
  }

  async appendAudit(entry: AuditInput): Promise<void> {
    await this.q('audit',
      `INSERT INTO audit (at, user_id, username, action, collection, row_id, detail)
       VALUES (clock_timestamp(), $1, $2, $3, $4, $5, $6)`,
      [entry.userId, entry.username, entry.action, entry.collection, entry.rowId, entry.detail],
    );
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.q('setPassword',
      `INSERT INTO credentials (user_id, password_hash) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET password_hash = EXCLUDED.password_hash`,
      [userId, passwordHash],
    );
  }

  async saveRefreshToken(record: RefreshTokenRecord): Promise<void> {
    await this.q('saveRefresh', 'INSERT INTO refresh_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [
      record.tokenHash,
      record.userId,
      record.expiresAt,
    ]);
  }

  async takeRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    // DELETE ... RETURNING: of two instances racing with the same token, exactly one gets it.
    const { rows } = await this.q<{ token_hash: string; user_id: string; expires_at: string }>('takeRefresh',
      'DELETE FROM refresh_tokens WHERE token_hash = $1 RETURNING token_hash, user_id, expires_at',
      [tokenHash],
    );
    const r = rows[0];
    return r ? { tokenHash: r.token_hash, userId: r.user_id, expiresAt: r.expires_at } : null;
  }

  async revokeRefreshTokens(userId: string): Promise<void> {
    await this.q('revokeRefresh', 'DELETE FROM refresh_tokens WHERE user_id = $1', [userId]);
  }

  async getSetting(key: string): Promise<string | null> {
    const { rows } = await this.q<{ value: string }>('getSetting', 'SELECT value FROM settings WHERE key = $1', [key]);
    return rows[0]?.value ?? null;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.q('setSetting',
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
      [key, value],
    );
  }

  async deleteSetting(key: string): Promise<void> {
    await this.q('deleteSetting', 'DELETE FROM settings WHERE key = $1', [key]);
  }
}
