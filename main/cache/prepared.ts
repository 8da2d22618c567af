/**
 * Prepared statements kept per connection, by their SQL text. Preparing a statement cost more than
 * running the small queries a sync makes per change (the cursor, the outbox, the status counts):
 * with 50 terminals it was the largest single cost of a change reaching every one of them
 * (docs/performance.md, item 8). SQLite re-prepares a kept statement itself after a schema change
 * (the first download swaps tables in from another connection).
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import type { CacheDb } from './database';

const byConnection = new WeakMap<CacheDb, Map<string, Database.Statement>>();

export function prepared(db: CacheDb, sql: string): Database.Statement {
  let statements = byConnection.get(db);
  if (!statements) byConnection.set(db, (statements = new Map()));
  let statement = statements.get(sql);
  if (!statement) statements.set(sql, (statement = db.prepare(sql)));
  return statement;
}
