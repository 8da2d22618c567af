/**
 * The clinic server's storage interface. The embedded SQLite store (./sqlite) implements it today;
 * a PostgreSQL store must be able to implement it unchanged, with several server instances
 * writing at once. Hence:
 * - everything is async, even though better-sqlite3 is synchronous;
 * - all writes happen inside `write(fn)`: ONE database transaction per call, committed when `fn`
 *   resolves, rolled back when it throws (nothing half-written). SQLite runs one writer at a time;
 *   PostgreSQL may run many, so the domain logic (server/mutations/) asks for `lock(keys)` before
 *   any check-then-write that other writers could race (double booking, mutation ids), and the
 *   store backs uniqueness with constraints (mutation id, username, change seq);
 * - the change log cursor is opaque (a string); only the store knows how to make a cursor that
 *   never lets a reader see seq N+1 committed while N is still in flight.
 *
 * Rows are stored whole (the row as the API returns it, derived fields included) plus hidden
 * per-field versions for field-level merge. Deleted rows stay as tombstones (`deleted: true`).
 */
import type { AnyRow, CollectionName, Role } from '../../shared/domain/collections';
import type { AuditEntry, Change, Cursor, MutationResult } from '../../shared/sync/protocol';
import type { RowWrite } from '../../shared/domain/mutations/decide';

/**
 * A row as stored: the public row plus what the server keeps beside it (tombstone, per-field
 * versions). The very shape the clinic's rules write (shared/domain/mutations/decide.ts).
 */
export type StoredRow = RowWrite;

/** One entry of the change log; the store assigns its sequence number. */
export interface ChangeEntry {
  collection: CollectionName;
  id: string;
  version: number;
  op: 'upsert' | 'delete';
}

export interface AuditInput {
  userId: string | null;
  username: string | null;
  /** e.g. `create`, `update`, `delete`, `adjust`, `read`, `login`, `login-failed`, `pull`. */
  action: string;
  collection: CollectionName | null;
  rowId: string | null;
  detail: string | null;
}

/** A remembered mutation result: it belongs to the user who sent the mutation. */
export interface StoredMutationResult {
  userId: string;
  result: MutationResult;
}

/** A user as auth needs it: the public row plus the password hash (never sent to clients). */
export interface UserCredentials {
  user: StoredRow;
  passwordHash: string;
}

export interface RefreshTokenRecord {
  /** Hash of the token; the token itself is never stored. */
  tokenHash: string;
  userId: string;
  /** ISO instant. */
  expiresAt: string;
}

export interface AppointmentSlotQuery {
  start: string;
  end: string;
  providerId: string;
  /** '' means no room: then only the provider can clash. */
  room: string;
  /** The appointment being written, which cannot clash with itself. */
  excludeId: string;
}

export interface BlockedTimeQuery {
  start: string;
  end: string;
  /** The provider being booked: their own blocks and the clinic-wide ones (providerId null) count. */
  providerId: string;
}

/** What a write transaction may do. Only server/mutations/ and server/auth/ use it. */
export interface WriteTx {
  /**
   * Serialize against other writers for these keys until this transaction ends
   * (PostgreSQL: pg_advisory_xact_lock per key, keys sorted to avoid deadlocks).
   * SQLite already runs one writer at a time, so there it does nothing.
   * Keys look like `slot:provider:<id>`, `slot:room:<name>`, `mutation:<id>`, `row:<collection>:<id>`.
   */
  lock(keys: string[]): Promise<void>;

  /** The row, including tombstones; null when it never existed. */
  getRow(collection: CollectionName, id: string): Promise<StoredRow | null>;
  /** Insert or replace the row (the caller has already bumped its version). */
  putRow(row: StoredRow): Promise<void>;
  /** Append to the change log in this transaction. */
  appendChange(change: ChangeEntry): Promise<void>;

  /** Live appointments (not deleted) of the provider or the room that overlap [start, end). */
  findOverlappingAppointments(query: AppointmentSlotQuery): Promise<AnyRow[]>;
  /** Live blocked times of the provider, or of the whole clinic, that overlap [start, end). */
  findBlockedTimes(query: BlockedTimeQuery): Promise<AnyRow[]>;
  /** Live payments of an invoice. */
  listPaymentsOfInvoice(invoiceId: string): Promise<AnyRow[]>;
  /** The live user row with this username (case-insensitive), if any. */
  findUserByUsername(username: string): Promise<StoredRow | null>;

  /** The first result of a mutation id and the user who sent it, if it was seen before. */
  getMutationResult(mutationId: string): Promise<StoredMutationResult | null>;
  /** Remember a mutation's result; a unique constraint refuses a second one for the same id. */
  saveMutationResult(mutationId: string, userId: string, result: MutationResult): Promise<void>;

  appendAudit(entry: AuditInput): Promise<void>;

  setPasswordHash(userId: string, passwordHash: string): Promise<void>;
  saveRefreshToken(record: RefreshTokenRecord): Promise<void>;
  /** Delete and return the refresh token (rotation: a token works once). */
  takeRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /** Drop every refresh token of a user (deactivation, password change). */
  revokeRefreshTokens(userId: string): Promise<void>;

  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;
  deleteSetting(key: string): Promise<void>;
}

export interface PullOptions {
  /** Omitted or '' = from the beginning. */
  since?: Cursor;
  limit: number;
  /** Only changes of these collections; the cursor still advances past the others. */
  collections: readonly CollectionName[];
}

/**
 * A pulled change with the row's current full state as the store keeps it: its JSON text (absent
 * for a delete). A page for a role that may see every field passes that text on as it is, without
 * parsing and re-serialising each row, the server's largest cost in a first download (see
 * server/sync/pullAnswer.ts). Redaction is the caller's job.
 */
export type StoredChange = Omit<Change, 'row'> & { rowJson?: string };

export interface PullPage {
  changes: StoredChange[];
  /** Resume from here. Advances past entries of collections not asked for. */
  cursor: Cursor;
  hasMore: boolean;
  /**
   * Optional, for progress bars: on a pull from the beginning, how many changes the whole walk
   * holds at this moment. Stores may leave it out.
   */
  total?: number;
}

export interface SnapshotOptions {
  role: Role;
  /** The collections to include, each as `role` may see it (shared/sync/snapshot.ts). */
  collections: readonly CollectionName[];
  /** Where this part starts: the previous part's `next`; omitted for the first part. */
  after?: string;
  /** Rows in this part at most. */
  limit: number;
}

/**
 * One part of a first-download snapshot. Each part is read at its own moment; a terminal that
 * pulls from the *first* part's cursor after the last part still ends with every row's final
 * state (shared/sync/snapshot.ts says why).
 */
export interface SnapshotFile {
  /** A new SQLite file in the store's own folder; the caller sends it and deletes it. */
  file: string;
  /** Every change up to it is in the rows this part holds. */
  cursor: Cursor;
  rows: Partial<Record<CollectionName, number>>;
  /** Where the next part starts, or null: this was the last one. */
  next: string | null;
  /** First part only: rows in the whole snapshot at this moment, for progress bars. */
  total?: number;
}

/** Thrown by a store for a cursor it cannot read (a client's mistake -> 400). */
export class BadCursorError extends Error {}

export interface ClinicStore {
  /** A short name for logs: `sqlite:<path>` or `postgres`. */
  readonly description: string;

  /** Create or upgrade the schema (versioned, recorded in schema_migrations). Idempotent. */
  migrate(): Promise<void>;

  /**
   * Run `fn` in one write transaction. Commits when it resolves, rolls back when it throws (and
   * rethrows). After a commit that appended changes, the `committed` listeners hear the new cursor.
   * The PostgreSQL store runs `fn` again after a race it lost (deadlock, a unique key a concurrent
   * writer took first, a stale row version), so `fn` must have no effects outside `tx`.
   */
  write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T>;

  getRow(collection: CollectionName, id: string): Promise<StoredRow | null>;
  /** Live rows (no tombstones) of one collection, oldest first. */
  listRows(collection: CollectionName): Promise<StoredRow[]>;
  countRows(collection: CollectionName): Promise<number>;

  /**
   * Changes after `since` in commit order, each with its row's current state. A log entry whose
   * version is older than the row's current version is skipped: a later entry carries that state,
   * so a walk never repeats a row state and never misses the final one.
   */
  pullSince(options: PullOptions): Promise<PullPage>;
  /** The cursor after the last committed change. */
  headCursor(): Promise<Cursor>;
  /**
   * Optional: the live rows of `collections`, redacted for `role`, a part at a time in a stable
   * order, each part a first-download snapshot file (shared/sync/snapshot.ts) from one consistent
   * read. Without it, a terminal's first download walks the change log with pullSince.
   */
  writeSnapshot?(options: SnapshotOptions): Promise<SnapshotFile>;

  findUserByUsername(username: string): Promise<UserCredentials | null>;
  countUsers(): Promise<number>;

  /** Newest first. */
  listAudit(limit: number): Promise<AuditEntry[]>;

  getSetting(key: string): Promise<string | null>;

  /**
   * One in-process event per committed write that changed rows, with the head cursor after it.
   * The PostgreSQL store will feed it from LISTEN/NOTIFY so every instance pokes its sockets.
   * Returns an unsubscribe function.
   */
  onCommitted(listener: (cursor: Cursor) => void): () => void;

  /** Resolves when the database answers a query; rejects (within a few seconds) when it does not. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** Who is acting, for role checks and `updatedBy`. */
export interface Actor {
  id: string;
  username: string;
  role: Role;
}
