/**
 * Versioned schema of the embedded store. Append new entries; never edit an applied one.
 * Rows of every collection share one table (the row as JSON + hidden field versions); the few
 * lookups the domain needs (slots, payments of an invoice, usernames) get expression indexes.
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
        version INTEGER NOT NULL CHECK (version >= 1),
        deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
        data TEXT NOT NULL,
        field_versions TEXT NOT NULL,
        PRIMARY KEY (collection, id)
      );
      CREATE INDEX rows_live ON rows (collection, deleted);
      CREATE INDEX rows_appointment_provider ON rows (json_extract(data, '$.providerId'))
        WHERE collection = 'appointments';
      CREATE INDEX rows_appointment_room ON rows (json_extract(data, '$.room'))
        WHERE collection = 'appointments';
      CREATE INDEX rows_payment_invoice ON rows (json_extract(data, '$.invoiceId'))
        WHERE collection = 'payments';
      CREATE UNIQUE INDEX rows_username ON rows (lower(json_extract(data, '$.username')))
        WHERE collection = 'users' AND deleted = 0;

      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        collection TEXT NOT NULL,
        row_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
        committed_at TEXT NOT NULL,
        FOREIGN KEY (collection, row_id) REFERENCES rows (collection, id)
      );
      CREATE INDEX changes_row ON changes (collection, row_id);

      CREATE TABLE mutations (
        mutation_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        result TEXT NOT NULL,
        applied_at TEXT NOT NULL
      );

      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
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
  {
    version: 3,
    name: 'lookups of the appointment book: blocked time by provider, bookings of a series',
    // Blocked time, appointment types and recalls are rows like any other; a booking looks up the
    // blocks of its provider (and the clinic-wide ones) in the same write transaction.
    sql: `
      CREATE INDEX rows_blocked_time_provider ON rows (json_extract(data, '$.providerId'))
        WHERE collection = 'blocked-times';
      CREATE INDEX rows_appointment_series ON rows (json_extract(data, '$.seriesId'))
        WHERE collection = 'appointments';
    `,
  },
];
