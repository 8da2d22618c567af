/**
 * Versioned schema of both stores, embedded SQLite and PostgreSQL: the same tables, each spelled
 * in its database's types by a dialect below. Append new entries; never edit an applied one.
 * Rows of every collection share one table (the row as JSON + hidden field versions); the few
 * lookups the domain needs (slots, payments of an invoice, usernames) get expression indexes.
 *
 * Beyond SQLite, PostgreSQL itself guards what concurrent writers on several instances could
 * break: a stock quantity can never be stored below 0, usernames are unique among live users,
 * a mutation id has one result, and change-log sequence numbers are unique. It applies the list
 * in one transaction under an advisory lock, so two instances starting at once migrate once.
 */
export type DialectName = 'sqlite' | 'postgres';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** How a database spells the parts of the schema that differ. */
interface Dialect {
  /** A field of a row's JSON as text, usable as an index expression. */
  field(name: string): string;
  json: string;
  time: string;
  /** A column's default of the commit time, where the database gives it. */
  nowDefault: string;
  /** An increasing key: the change log's and the audit log's order. */
  sequence: string;
  deletedColumn: string;
  notDeleted: string;
  /** Columns and constraints only this database has, with what needs them. */
  rowOrderColumn: string;
  rowsLiveOrder: string;
  stockGuard: string;
}

const dialects: Record<DialectName, Dialect> = {
  sqlite: {
    field: (name) => `json_extract(data, '$.${name}')`,
    json: 'TEXT',
    time: 'TEXT',
    nowDefault: '',
    sequence: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    deletedColumn: 'INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))',
    notDeleted: 'deleted = 0',
    // SQLite's rowid keeps insertion order.
    rowOrderColumn: '',
    rowsLiveOrder: '',
    stockGuard: '',
  },
  postgres: {
    field: (name) => `(data->>'${name}')`,
    json: 'JSONB',
    time: 'TIMESTAMPTZ',
    nowDefault: ' DEFAULT now()',
    // seq order is commit order: see the change-log lock in ./postgres/writeTx.ts
    sequence: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
    deletedColumn: 'BOOLEAN NOT NULL DEFAULT false',
    notDeleted: 'NOT deleted',
    // insertion order, for "oldest first" listings
    rowOrderColumn: 'ord BIGINT GENERATED ALWAYS AS IDENTITY,',
    rowsLiveOrder: ', ord',
    stockGuard: `,
        CONSTRAINT rows_stock_not_negative
          CHECK (collection <> 'inventory' OR deleted OR (data->>'quantity')::bigint >= 0)`,
  },
};

/** One step, the same in both databases or its own in each (a version number is per database). */
type Step = { name: string; sql: (d: Dialect) => string } | { version: number; per: Record<DialectName, { name: string; sql: string }> };

const steps: (Step & { version: number })[] = [
  {
    version: 1,
    name: 'rows, change log, mutations, audit, credentials, settings',
    sql: (d) => `
      CREATE TABLE rows (
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        ${d.rowOrderColumn}
        version INTEGER NOT NULL CHECK (version >= 1),
        deleted ${d.deletedColumn},
        data ${d.json} NOT NULL,
        field_versions ${d.json} NOT NULL,
        PRIMARY KEY (collection, id)${d.stockGuard}
      );
      CREATE INDEX rows_live ON rows (collection, deleted${d.rowsLiveOrder});
      CREATE INDEX rows_appointment_provider ON rows (${d.field('providerId')})
        WHERE collection = 'appointments';
      CREATE INDEX rows_appointment_room ON rows (${d.field('room')})
        WHERE collection = 'appointments';
      CREATE INDEX rows_payment_invoice ON rows (${d.field('invoiceId')})
        WHERE collection = 'payments';
      CREATE UNIQUE INDEX rows_username ON rows (lower(${d.field('username')}))
        WHERE collection = 'users' AND ${d.notDeleted};

      CREATE TABLE changes (
        seq ${d.sequence},
        collection TEXT NOT NULL,
        row_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
        committed_at ${d.time} NOT NULL${d.nowDefault},
        FOREIGN KEY (collection, row_id) REFERENCES rows (collection, id)
      );
      CREATE INDEX changes_row ON changes (collection, row_id);

      CREATE TABLE mutations (
        mutation_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        result ${d.json} NOT NULL,
        applied_at ${d.time} NOT NULL${d.nowDefault}
      );

      CREATE TABLE audit (
        seq ${d.sequence},
        at ${d.time} NOT NULL,
        user_id TEXT,
        username TEXT,
        action TEXT NOT NULL,
        collection TEXT,
        row_id TEXT,
        detail TEXT
      );

      CREATE TABLE credentials (
        collection TEXT NOT NULL DEFAULT 'users' CHECK (collection = 'users'),
        user_id TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        FOREIGN KEY (collection, user_id) REFERENCES rows (collection, id)
      );

      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES credentials (user_id) ON DELETE CASCADE,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    per: {
      sqlite: {
        name: 'rows carry the sequence number of their latest change',
        // A pull walked the change log and looked each entry's row up by (collection, id): a random
        // index probe per row, 2.3 s of a 600k-row first download. Walking rows by this column gives
        // the same entries (each row once, at the change that made its current version) in 0.9 s.
        // 0: no change entry for the row's current version (such a row was never pulled either).
        sql: `
      ALTER TABLE rows ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
      UPDATE rows SET change_seq = coalesce(
        (SELECT max(c.seq) FROM changes c WHERE c.collection = rows.collection AND c.row_id = rows.id AND c.version = rows.version), 0);
      CREATE INDEX rows_change_seq ON rows (change_seq);
    `,
      },
      postgres: {
        name: 'rate-limit counts shared by all instances (failed sign-ins)',
        // The layout rate-limiter-flexible's RateLimiterPostgres reads and writes (server/auth/throttle.ts).
        sql: `
      CREATE TABLE rate_limits (
        key VARCHAR(255) PRIMARY KEY,
        points INTEGER NOT NULL DEFAULT 0,
        expire BIGINT
      );
    `,
      },
    },
  },
  {
    version: 3,
    name: 'lookups of the appointment book: blocked time by provider, bookings of a series',
    // Blocked time, appointment types and recalls are rows like any other; a booking looks up the
    // blocks of its provider (and the clinic-wide ones) in the same write transaction.
    sql: (d) => `
      CREATE INDEX rows_blocked_time_provider ON rows (${d.field('providerId')})
        WHERE collection = 'blocked-times';
      CREATE INDEX rows_appointment_series ON rows (${d.field('seriesId')})
        WHERE collection = 'appointments';
    `,
  },
];

/** The migrations of one database, in order. */
export function migrationsFor(dialect: DialectName): Migration[] {
  return steps.map((step) =>
    'per' in step ? { version: step.version, ...step.per[dialect] } : { version: step.version, name: step.name, sql: step.sql(dialects[dialect]) },
  );
}
