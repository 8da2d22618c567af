/**
 * A first-download snapshot: instead of walking the change log page by page, a terminal with an
 * empty cache may ask `GET /api/sync/snapshot` (an extension of the API contract) for every live
 * row its role may see, as one SQLite file, then pull the changes made after it from the cursor the
 * file holds. Rows travel as the JSON text both ends store, so neither side parses 600k rows in
 * JavaScript (docs/performance.md, item 6). The page walk stays: a server or store without
 * snapshots answers 404 or 501, and the terminal walks the log as before.
 *
 * The file holds one table per collection of the role, `rows_<collection>` (id, version, data),
 * and `snapshot_info` (key, value) with at least `format` and `cursor`.
 */
import { hiddenFields, publicUserFields } from '../domain/access';
import type { CollectionName, Role } from '../domain/collections';

/** Bumped when the file's tables change; a terminal refuses a format it does not know. */
export const snapshotFormat = 1;

export const snapshotContentType = 'application/vnd.sqlite3';

/** The snapshot file's table for one collection ('treatment-records' -> rows_treatment_records). */
export function snapshotTable(collection: CollectionName): string {
  return `rows_${collection.replace(/[^a-z]/g, '_')}`;
}

/**
 * SQL for the JSON text of `column` as `role` may see it, the same redaction as redactRow done by
 * SQLite on the stored text: user rows keep only their public fields; other rows lose the fields
 * the role may not see (json_remove), or pass as they are. Field names come from the schema.
 */
export function redactedJsonSql(role: Role, collection: CollectionName, column: string): string {
  if (collection === 'users') {
    // `->` yields JSON, so json_object keeps each value's type (strings, booleans, numbers).
    return `json_object(${publicUserFields.map((f) => `'${f}', ${column} -> '$.${f}'`).join(', ')})`;
  }
  const strip = hiddenFields(role, collection);
  if (strip.length === 0) return column;
  return `json_remove(${column}, ${strip.map((f) => `'$.${f}'`).join(', ')})`;
}
