/**
 * Versioned schema of the PostgreSQL store, the same tables as the SQLite store's migrations
 * (../sqlite/migrations.ts) in PostgreSQL's types. Append new entries; never edit an applied one.
 * Applied in one transaction under an advisory lock, so two instances starting at once migrate once.
 *
 * Beyond SQLite, the database itself guards what concurrent writers on several instances could
 * break: a stock quantity can never be stored below 0, usernames are unique among live users,
 * a mutation id has one result, and change-log sequence numbers are unique.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'rows, change log, mutations, audit, credentials, settings',
    sql: `
      CREATE TABLE rows (
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        -- insertion order, for "oldest first" listings
        ord BIGINT GENERATED ALWAYS AS IDENTITY,
        version INTEGER NOT NULL CHECK (version >= 1),
        deleted BOOLEAN NOT NULL DEFAULT false,
        data JSONB NOT NULL,
        field_versions JSONB NOT NULL,
        PRIMARY KEY (collection, id),
        CONSTRAINT rows_stock_not_negative
          CHECK (collection <> 'inventory' OR deleted OR (data->>'quantity')::bigint >= 0)
      );
      CREATE INDEX rows_live ON rows (collection, deleted, ord);
      CREATE INDEX rows_appointment_provider ON rows ((data->>'providerId'))
        WHERE collection = 'appointments';
      CREATE INDEX rows_appointment_room ON rows ((data->>'room'))
        WHERE collection = 'appointments';
      CREATE INDEX rows_payment_invoice ON rows ((data->>'invoiceId'))
        WHERE collection = 'payments';
      CREATE UNIQUE INDEX rows_username ON rows (lower(data->>'username'))
        WHERE collection = 'users' AND NOT deleted;

      -- seq order is commit order: see the change-log lock in ./writeTx.ts
      CREATE TABLE changes (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        collection TEXT NOT NULL,
        row_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
        committed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        FOREIGN KEY (collection, row_id) REFERENCES rows (collection, id)
      );
      CREATE INDEX changes_row ON changes (collection, row_id);

      CREATE TABLE mutations (
        mutation_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        result JSONB NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );

      CREATE TABLE audit (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at TIMESTAMPTZ NOT NULL,
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
  {
    version: 3,
    name: 'lookups of the appointment book: blocked time by provider, bookings of a series',
    sql: `
      CREATE INDEX rows_blocked_time_provider ON rows ((data->>'providerId'))
        WHERE collection = 'blocked-times';
      CREATE INDEX rows_appointment_series ON rows ((data->>'seriesId'))
        WHERE collection = 'appointments';
    `,
  },
];
