/**
 * Writing a first download into the cache the fast way. Row ids are random UUIDs, so inserting
 * 600k rows one by one into an indexed table touches a random index page per row: 4.5 s here, and
 * most of a 16 s first sync once each small transaction's commit rewrote those pages
 * (docs/performance.md). Appending to a table without an index and building the index once at
 * the end takes 1.2 s + 0.7 s. So the download fills `load_<table>` beside each cached table and
 * then swaps it in, in one transaction, with this terminal's unanswered edits laid back on top.
 *
 * Until the swap the windows and the main thread see the cached tables as they were (empty, on a
 * first download); the cursor is stored by the swap, so a crash before it starts the download over.
 * The swapped-in table has a UNIQUE index on id where the first schema had a PRIMARY KEY: every
 * statement on the cached tables (RowCache) works on either.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import type { AnyRow, CollectionName, Role } from '../../../shared/domain/collections';
import { collectionNames } from '../../../shared/domain/collections';
import { redactRow } from '../../../shared/domain/access';
import type { Change } from '../../../shared/sync/protocol';
import { rowTable, type CacheDb } from '../../cache/database';
import { ConflictLog } from '../../cache/conflicts';
import { Outbox } from '../../cache/outbox';
import { RowCache } from '../../cache/rows';
import { TerminalState } from '../../cache/state';
import { CacheWriter } from '../apply';

/** The table a download fills for one collection. */
export function loadTable(collection: CollectionName): string {
  return `load_${rowTable(collection)}`;
}

/** Drop what a download left behind (a crash, a sign-out): it holds the previous user's rows. */
export function dropLoadTables(db: CacheDb): void {
  for (const c of collectionNames) db.exec(`DROP TABLE IF EXISTS ${loadTable(c)}`);
}

export interface SwapSummary {
  /** Rows now cached, per collection. */
  rows: Partial<Record<CollectionName, number>>;
  /** Rows downloaded twice (changed during the download) of which the older copy was dropped. */
  duplicates: number;
  /** Rows of this terminal's unanswered edits laid over what the server sent. */
  pendingRows: number;
}

export class BulkLoad {
  private readonly inserts = new Map<CollectionName, Database.Statement>();
  /** Deletions in the walk: a row may have been downloaded before it was deleted. */
  private readonly gone: { collection: CollectionName; id: string; version: number }[] = [];

  constructor(
    private readonly db: CacheDb,
    private readonly role: Role,
    /** The collections this role keeps; changes of others are skipped. */
    private readonly collections: readonly CollectionName[],
  ) {}

  /** Start over: empty load tables for every kept collection. */
  begin(): void {
    this.db.transaction(() => {
      dropLoadTables(this.db);
      for (const c of this.collections) {
        this.db.exec(`CREATE TABLE ${loadTable(c)} (id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL)`);
      }
    })();
    for (const c of this.collections) {
      this.inserts.set(c, this.db.prepare(`INSERT INTO ${loadTable(c)} (id, version, data) VALUES (?, ?, ?)`));
    }
  }

  /** One pulled page, in one transaction. Returns how many rows it appended. */
  append(changes: readonly Change[]): number {
    let appended = 0;
    this.db.transaction(() => {
      for (const change of changes) {
        const insert = this.inserts.get(change.collection);
        if (!insert) continue;
        if (change.op === 'delete' || !change.row) {
          this.gone.push({ collection: change.collection, id: change.id, version: change.version });
          continue;
        }
        const visible = redactRow(this.role, change.collection, change.row);
        insert.run(visible.id, visible.version, JSON.stringify(visible));
        appended++;
      }
    })();
    return appended;
  }

  /**
   * Index every load table, then swap them in and store `cursor`, in one transaction. `progress`
   * hears of each step (an index of 500k rows takes about half a second).
   */
  finish(cursor: string, progress: (step: string) => void = () => {}): SwapSummary {
    let duplicates = 0;
    const indexes = new Map<CollectionName, string>();
    progress(`building the id index of ${this.collections.length} tables`);
    for (const c of this.collections) {
      const name = this.freeIndexName(c);
      duplicates += this.createUniqueIndex(c, name);
      indexes.set(c, name);
    }
    progress('swapping in the downloaded rows');
    const summary: SwapSummary = { rows: {}, duplicates, pendingRows: 0 };
    const rows = new RowCache(this.db, () => this.role);
    const outbox = new Outbox(this.db);
    const writer = new CacheWriter(rows, outbox, new ConflictLog(this.db));
    this.db.transaction(() => {
      this.applyDeletions();
      // This terminal's unanswered edits of kept rows: re-laid over the server's row after the swap.
      const pending = this.db
        .prepare('SELECT DISTINCT collection, row_id AS id FROM outbox ORDER BY seq')
        .all() as { collection: CollectionName; id: string }[];
      const kept = pending.filter((p) => this.collections.includes(p.collection));
      const serverRows = kept.map((p) => {
        const found = this.db.prepare(`SELECT data FROM ${loadTable(p.collection)} WHERE id = ?`).get(p.id) as { data: string } | undefined;
        return found ? (JSON.parse(found.data) as AnyRow) : null;
      });
      for (const c of this.collections) {
        this.db.exec(`DROP TABLE ${rowTable(c)}`);
        this.db.exec(`ALTER TABLE ${loadTable(c)} RENAME TO ${rowTable(c)}`);
      }
      kept.forEach((p, i) => writer.settle(p.collection, p.id, serverRows[i] ?? null));
      summary.pendingRows = kept.length;
      new TerminalState(this.db).setCursor(cursor);
      for (const c of this.collections) summary.rows[c] = rows.count(c);
    })();
    this.inserts.clear();
    return summary;
  }

  /**
   * Two names per table, taken in turn: the table being replaced still holds the index of the
   * previous download until the swap drops it.
   */
  private freeIndexName(collection: CollectionName): string {
    const names = ['a', 'b'].map((s) => `${rowTable(collection)}_id_${s}`);
    const used = new Set(
      (this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name IN (?, ?)`).all(...names) as { name: string }[]).map((r) => r.name),
    );
    return names.find((n) => !used.has(n)) ?? names[0]!;
  }

  /** Returns how many older copies of rows downloaded twice it dropped. */
  private createUniqueIndex(collection: CollectionName, name: string): number {
    const table = loadTable(collection);
    const create = `CREATE UNIQUE INDEX ${name} ON ${table} (id)`;
    try {
      this.db.exec(create);
      return 0;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
    }
    // A row changed during the download came twice; the change log's order makes the later copy
    // (the larger rowid) the newer version.
    const dropped = this.db.prepare(`DELETE FROM ${table} WHERE rowid NOT IN (SELECT max(rowid) FROM ${table} GROUP BY id)`).run().changes;
    this.db.exec(create);
    return dropped;
  }

  private applyDeletions(): void {
    const deletes = new Map(this.collections.map((c) => [c, this.db.prepare(`DELETE FROM ${loadTable(c)} WHERE id = ? AND version <= ?`)]));
    for (const g of this.gone) deletes.get(g.collection)!.run(g.id, g.version);
  }
}
