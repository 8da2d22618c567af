/**
 * Cached rows, one table per collection. Rows are stored as JSON with id/version columns.
 * Every write goes through `put`, which drops the fields the signed-in role may not see, so
 * clinical data can never land in a receptionist's cache file.
 */
import type { AnyRow, CollectionName, Role } from '../../shared/domain/collections';
import { collectionNames } from '../../shared/domain/collections';
import type { WireRow } from '../../shared/ipc/contract';
import { redactRow, syncedCollections } from '../../shared/domain/access';
import type Database from 'better-sqlite3-multiple-ciphers';
import { rowTable, type CacheDb } from './database';
import { prepared } from './prepared';

type RowStatement = 'get' | 'version' | 'put' | 'remove';

/** The per-row statements of each collection's table, written out once. */
const rowSql = Object.fromEntries(
  collectionNames.map((c) => {
    const t = rowTable(c);
    const sql: Record<RowStatement, string> = {
      get: `SELECT data FROM ${t} WHERE id = ?`,
      version: `SELECT version FROM ${t} WHERE id = ?`,
      put: `INSERT INTO ${t} (id, version, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data`,
      remove: `DELETE FROM ${t} WHERE id = ?`,
    };
    return [c, sql];
  }),
) as Record<CollectionName, Record<RowStatement, string>>;

/**
 * A cached row, typed by its collection. Rows enter the cache only through put(): what the server
 * sent or the collection's rules computed, redacted for the role. Their schemas are not run again
 * on every read (a first download stores 600k rows).
 */
function storedRow<C extends CollectionName>(_collection: C, row: AnyRow): WireRow<C> {
  return row as WireRow<C>;
}

export class RowCache {
  constructor(
    private readonly db: CacheDb,
    /** The role whose view the cache holds; null before anyone signed in. */
    private readonly role: () => Role | null,
  ) {}

  /** Prepared once per table and kind: preparing is a large part of a per-row cost. */
  private stmt(collection: CollectionName, kind: RowStatement): Database.Statement {
    return prepared(this.db, rowSql[collection][kind]);
  }

  /** Whether this role keeps the collection locally at all. */
  holds(collection: CollectionName): boolean {
    const role = this.role();
    return role !== null && syncedCollections(role).includes(collection);
  }

  get<C extends CollectionName>(collection: C, id: string): WireRow<C> | null {
    const found = this.stmt(collection, 'get').get(id) as
      | { data: string }
      | undefined;
    return found ? storedRow(collection, JSON.parse(found.data)) : null;
  }

  /** The cached row's version without reading its JSON (null: not cached). */
  versionOf(collection: CollectionName, id: string): number | null {
    const found = this.stmt(collection, 'version').get(id) as { version: number } | undefined;
    return found ? found.version : null;
  }

  list<C extends CollectionName>(collection: C): WireRow<C>[] {
    const rows = prepared(this.db, `SELECT data FROM ${rowTable(collection)} ORDER BY rowid`).all() as { data: string }[];
    return rows.map((r) => storedRow(collection, JSON.parse(r.data)));
  }

  /**
   * Up to `limit` rows stored after rowid `after`, in storage order, as the JSON text of an array
   * (joined by SQLite, never parsed here), with how many and the last one's rowid.
   */
  jsonAfter(collection: CollectionName, after: number, limit: number): { json: string; count: number; last: number } {
    const page = prepared(
      this.db,
      `SELECT count(*) AS count, max(at) AS last, '[' || coalesce(group_concat(data, ','), '') || ']' AS json
       FROM (SELECT rowid AS at, data FROM ${rowTable(collection)} WHERE rowid > ? ORDER BY rowid LIMIT ?)`,
    ).get(after, limit) as { count: number; last: number | null; json: string };
    return { json: page.json, count: page.count, last: page.last ?? after };
  }

  count(collection: CollectionName): number {
    return (prepared(this.db, `SELECT count(*) AS n FROM ${rowTable(collection)}`).get() as { n: number }).n;
  }

  /** Store a row as this role may see it; returns what was stored, or null if the role may not hold it. */
  put<C extends CollectionName>(collection: C, row: AnyRow): WireRow<C> | null {
    const role = this.role();
    if (role === null || !this.holds(collection)) return null;
    const visible = redactRow(role, collection, row);
    this.stmt(collection, 'put').run(visible.id, visible.version, JSON.stringify(visible));
    return storedRow(collection, visible);
  }

  /** The row as put() would store it for this role. */
  preview<C extends CollectionName>(collection: C, row: AnyRow): WireRow<C> | null {
    const role = this.role();
    return role === null || !this.holds(collection) ? null : storedRow(collection, redactRow(role, collection, row));
  }

  remove(collection: CollectionName, id: string): boolean {
    return this.stmt(collection, 'remove').run(id).changes > 0;
  }

  clearAll(): void {
    for (const c of collectionNames) this.db.exec(`DELETE FROM ${rowTable(c)}`);
  }

  clearCollection(collection: CollectionName): void {
    this.db.exec(`DELETE FROM ${rowTable(collection)}`);
  }
}
