/**
 * Copying a first-download snapshot (shared/sync/snapshot.ts) into the load tables. The file comes
 * from the server, so it is checked like a pulled page: every row must have a UUID id, a positive
 * integer version and a JSON object with that id and version as its data, or the whole snapshot
 * is refused. SQLite does the checks and the copy, so no row passes through JavaScript: that is
 * the point of a snapshot (a 600k-row walk spent most of its time parsing and re-serialising rows).
 */
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CollectionName, Role } from '../../../shared/domain/collections';
import { redactedJsonSql, snapshotFormat, snapshotTable } from '../../../shared/sync/snapshot';
import type { CacheDb } from '../../cache/database';
import { BadServerAnswer } from '../client';

const hex = '[0-9a-fA-F]';
/**
 * The UUIDs `rowId` (shared/domain/primitives.ts, zod's uuid) accepts, as a GLOB: RFC 9562
 * versions 1-8 and variant 10xx, or the nil and max UUIDs. tests/unit/snapshot-import.test.ts
 * holds the two to the same answers.
 */
const uuidGlob = `${hex.repeat(8)}-${hex.repeat(4)}-[1-8]${hex.repeat(3)}-[89abAB]${hex.repeat(3)}-${hex.repeat(12)}`;
export const rowIsValidSql = `typeof(id) = 'text'
  AND (id GLOB '${uuidGlob}' OR id IN ('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'))
  AND typeof(version) = 'integer' AND version >= 1
  AND typeof(data) = 'text' AND json_valid(data) AND json_type(data) = 'object'
  AND data ->> 'id' = id AND data ->> 'version' = version`;

/** Where a terminal keeps a snapshot part while it is downloaded and copied: beside its cache, on the same disk. */
export function snapshotFileBeside(cacheFile: string, part: number): string {
  return `${cacheFile}.snapshot-${part}`;
}

/** Delete every snapshot part left beside the cache (they hold a user's rows). */
export function removeSnapshotFiles(cacheFile: string): void {
  const prefix = `${basename(cacheFile)}.snapshot-`;
  for (const name of readdirSync(dirname(cacheFile))) {
    if (name.startsWith(prefix)) rmSync(join(dirname(cacheFile), name), { force: true });
  }
}

/** Rows copied per transaction: the main thread's local edits wait for the write lock no longer. */
const copyBatchRows = 20_000;

export interface SnapshotHead {
  cursor: string;
  /** Rows the snapshot holds for the kept collections. */
  rows: number;
}

/**
 * Attach `file` and read what it is; `copy` then moves its rows into the load tables. Throws
 * BadServerAnswer for a file that is not a snapshot this terminal can read.
 */
export function openSnapshot(db: CacheDb, file: string, collections: readonly CollectionName[]): SnapshotHead {
  // A file from elsewhere: no SQL of its own (views, triggers) may run with this connection's rights.
  db.pragma('trusted_schema = OFF');
  db.pragma('cell_size_check = ON');
  try {
    db.prepare("ATTACH ? AS snapshot").run(file);
  } catch (err) {
    throw new BadServerAnswer(`The snapshot is not a database this terminal can read: ${(err as Error).message}`);
  }
  try {
    const info = new Map(
      (db.prepare('SELECT key, value FROM snapshot.snapshot_info').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]),
    );
    if (info.get('format') !== String(snapshotFormat)) {
      throw new BadServerAnswer(`The snapshot's format is ${info.get('format') ?? 'missing'}; this terminal reads format ${snapshotFormat}`);
    }
    const cursor = info.get('cursor') ?? '';
    if (!/^\d{1,15}$/.test(cursor)) throw new BadServerAnswer(`The snapshot's cursor "${cursor.slice(0, 40)}" is not a cursor`);
    let rows = 0;
    for (const c of collections) {
      const table = db
        .prepare("SELECT type FROM snapshot.sqlite_master WHERE name = ?")
        .get(snapshotTable(c)) as { type: string } | undefined;
      if (table?.type !== 'table') throw new BadServerAnswer(`The snapshot has no table of ${c}`);
      const columns = (db.prepare(`SELECT name FROM pragma_table_info(?, 'snapshot')`).all(snapshotTable(c)) as { name: string }[]).map((r) => r.name);
      for (const needed of ['id', 'version', 'data']) {
        if (!columns.includes(needed)) throw new BadServerAnswer(`The snapshot's table of ${c} has no ${needed} column`);
      }
      rows += (db.prepare(`SELECT count(*) AS n FROM snapshot.${snapshotTable(c)}`).get() as { n: number }).n;
    }
    return { cursor, rows };
  } catch (err) {
    closeSnapshot(db);
    if (err instanceof BadServerAnswer) throw err;
    throw new BadServerAnswer(`The snapshot could not be read: ${(err as Error).message}`);
  }
}

/**
 * Copy every checked row of the attached snapshot into `loadTable(c)`, as `role` may see it, a
 * batch per transaction; `progress` hears of each batch. Detaches the snapshot in the end.
 */
export function copySnapshot(
  db: CacheDb,
  role: Role,
  collections: readonly CollectionName[],
  loadTable: (c: CollectionName) => string,
  progress: (rows: number) => void,
): number {
  let copied = 0;
  try {
    for (const c of collections) {
      const from = `snapshot.${snapshotTable(c)}`;
      const last = (db.prepare(`SELECT coalesce(max(rowid), 0) AS last FROM ${from}`).get() as { last: number }).last;
      const copy = db.prepare(
        `INSERT INTO ${loadTable(c)} (id, version, data)
         SELECT id, version, ${redactedJsonSql(role, c, 'data')} FROM ${from}
         WHERE rowid > ? AND rowid <= ? AND ${rowIsValidSql} ORDER BY rowid`,
      );
      const count = db.prepare(`SELECT count(*) AS n FROM ${from} WHERE rowid > ? AND rowid <= ?`);
      for (let after = 0; after < last; after += copyBatchRows) {
        const upTo = after + copyBatchRows;
        const rows = db.transaction(() => {
          const inserted = copy.run(after, upTo).changes;
          const present = (count.get(after, upTo) as { n: number }).n;
          if (inserted !== present) {
            const bad = db.prepare(`SELECT id FROM ${from} WHERE rowid > ? AND rowid <= ? AND NOT (${rowIsValidSql}) LIMIT 1`).get(after, upTo) as
              | { id: unknown }
              | undefined;
            throw new BadServerAnswer(`The snapshot holds a malformed ${c} row (${String(bad?.id ?? '?').slice(0, 60)})`);
          }
          return inserted;
        })();
        copied += rows;
        progress(rows);
      }
    }
    return copied;
  } catch (err) {
    if (err instanceof BadServerAnswer) throw err;
    throw new BadServerAnswer(`The snapshot could not be copied: ${(err as Error).message}`);
  } finally {
    closeSnapshot(db);
  }
}

function closeSnapshot(db: CacheDb): void {
  try {
    db.exec('DETACH snapshot');
  } catch {
    // not attached
  }
}
