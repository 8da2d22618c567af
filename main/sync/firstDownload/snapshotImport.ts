/**
 * Copying a first-download snapshot (shared/sync/snapshot.ts) into the load tables. The file comes
 * from the server, so it is checked like a pulled page: every row must have a UUID id, a positive
 * integer version and a JSON object with that id and version as its data, or the whole snapshot
 * is refused. SQLite does the checks and the copy, so no row passes through JavaScript: that is
 * the point of a snapshot (a 600k-row walk spent most of its time parsing and re-serialising rows).
 */
import { newConnection } from '../../cache/connections';
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CollectionName, Role } from '../../../shared/domain/collections';
import { redactedJsonSql, snapshotFormat, snapshotTable } from '../../../shared/sync/snapshot';
import type { CacheDb } from '../../cache/database';
import { attachCache, type CacheKey } from '../../cache/encryption';
import { BadServerAnswer } from '../client';

/**
 * One connection through which both a snapshot part and the cache are visible: `snapshot` and
 * `cache` are their schema names in it. The copy runs in SQL on this connection.
 */
export interface SnapshotLink {
  db: CacheDb;
  snapshot: string;
  cache: string;
  close(): void;
}

/**
 * A snapshot part's bytes as an in-memory database, with the encrypted cache attached to it
 * (`cache`), so the rows go from memory into the cache's load tables without touching the disk
 * in clear.
 */
export function linkSnapshotBytes(bytes: Buffer, cacheFile: string, cacheKey: CacheKey | null, nativeBinding?: string): SnapshotLink {
  let db: CacheDb;
  try {
    db = newConnection(bytes, nativeBinding ? { nativeBinding } : {});
  } catch (err) {
    throw new BadServerAnswer(`The snapshot is not a database this terminal can read: ${(err as Error).message}`);
  }
  hardenForSnapshots(db);
  try {
    attachCache(db, cacheFile, cacheKey, 'cache');
  } catch (err) {
    db.close();
    throw err;
  }
  // The same settings as the download thread's own connection to the cache.
  db.pragma('busy_timeout = 5000');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('cache.secure_delete = ON');
  // Sorts and temporary tables stay in memory: SQLite's temporary files are not encrypted.
  db.pragma('temp_store = MEMORY');
  return { db, snapshot: 'main', cache: 'cache', close: () => db.close() };
}

/** A plain snapshot file attached to a cache connection (tests; a snapshot never lies on disk in clear otherwise). */
export function linkSnapshotFile(cacheDb: CacheDb, file: string): SnapshotLink {
  hardenForSnapshots(cacheDb);
  try {
    // KEY '': the attached file is not encrypted (it would take the cache's key otherwise).
    cacheDb.prepare("ATTACH ? AS snapshot KEY ''").run(file);
  } catch (err) {
    throw new BadServerAnswer(`The snapshot is not a database this terminal can read: ${(err as Error).message}`);
  }
  return { db: cacheDb, snapshot: 'snapshot', cache: 'main', close: () => closeSnapshot(cacheDb) };
}

/** A file from elsewhere: no SQL of its own (views, triggers) may run with this connection's rights. */
function hardenForSnapshots(db: CacheDb): void {
  db.pragma('trusted_schema = OFF');
  db.pragma('cell_size_check = ON');
}

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
 * Read what the linked snapshot is; `copySnapshot` then moves its rows into the load tables.
 * Throws BadServerAnswer for a file that is not a snapshot this terminal can read (and closes the link).
 */
export function openSnapshot(link: SnapshotLink, collections: readonly CollectionName[]): SnapshotHead {
  const { db, snapshot } = link;
  try {
    const info = new Map(
      (db.prepare(`SELECT key, value FROM ${snapshot}.snapshot_info`).all() as { key: string; value: string }[]).map((r) => [r.key, r.value]),
    );
    if (info.get('format') !== String(snapshotFormat)) {
      throw new BadServerAnswer(`The snapshot's format is ${info.get('format') ?? 'missing'}; this terminal reads format ${snapshotFormat}`);
    }
    const cursor = info.get('cursor') ?? '';
    if (!/^\d{1,15}$/.test(cursor)) throw new BadServerAnswer(`The snapshot's cursor "${cursor.slice(0, 40)}" is not a cursor`);
    let rows = 0;
    for (const c of collections) {
      const table = db
        .prepare(`SELECT type FROM ${snapshot}.sqlite_master WHERE name = ?`)
        .get(snapshotTable(c)) as { type: string } | undefined;
      if (table?.type !== 'table') throw new BadServerAnswer(`The snapshot has no table of ${c}`);
      const columns = (db.prepare(`SELECT name FROM pragma_table_info(?, ?)`).all(snapshotTable(c), snapshot) as { name: string }[]).map((r) => r.name);
      for (const needed of ['id', 'version', 'data']) {
        if (!columns.includes(needed)) throw new BadServerAnswer(`The snapshot's table of ${c} has no ${needed} column`);
      }
      rows += (db.prepare(`SELECT count(*) AS n FROM ${snapshot}.${snapshotTable(c)}`).get() as { n: number }).n;
    }
    return { cursor, rows };
  } catch (err) {
    link.close();
    if (err instanceof BadServerAnswer) throw err;
    throw new BadServerAnswer(`The snapshot could not be read: ${(err as Error).message}`);
  }
}

/**
 * Copy every checked row of the linked snapshot into the cache's `loadTable(c)`, as `role` may
 * see it, a batch per transaction; `progress` hears of each batch. Closes the link in the end.
 */
export function copySnapshot(
  link: SnapshotLink,
  role: Role,
  collections: readonly CollectionName[],
  loadTable: (c: CollectionName) => string,
  progress: (rows: number) => void,
): number {
  const { db } = link;
  let copied = 0;
  try {
    for (const c of collections) {
      const from = `${link.snapshot}.${snapshotTable(c)}`;
      const last = (db.prepare(`SELECT coalesce(max(rowid), 0) AS last FROM ${from}`).get() as { last: number }).last;
      const copy = db.prepare(
        `INSERT INTO ${link.cache}.${loadTable(c)} (id, version, data)
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
    link.close();
  }
}

function closeSnapshot(db: CacheDb): void {
  try {
    db.exec('DETACH snapshot');
  } catch {
    // not attached
  }
}
