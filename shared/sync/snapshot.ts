/**
 * A first-download snapshot: instead of walking the change log page by page, a terminal with an
 * empty cache may ask `GET /api/sync/snapshot` (an extension of the API contract) for every live
 * row its role may see, as SQLite files, then pull the changes made since from the cursor of the
 * first file. Rows travel as the JSON text both ends store, so neither side parses 600k rows in
 * JavaScript (docs/performance.md, item 7). The page walk stays: a server or store without
 * snapshots answers 404 or 501, and the terminal walks the log as before.
 *
 * A snapshot comes in parts of up to `limit` rows (`?after=<next>` asks for the next one), so a
 * terminal copies one part while the server writes and sends the next. Each part is read at its own
 * moment, in the rows' stable storage order. Pulling from the first part's cursor afterwards still
 * ends with every row's final state: a row written after that cursor comes in the pull (and its
 * later copy wins); a row not written since then sits at one place in that order, in exactly one
 * part, as it is now.
 *
 * A part holds one table per collection of the role, `rows_<collection>` (id, version, data), and
 * `snapshot_info` (key, value) with at least `format` and `cursor`, plus `next` (where the next part
 * starts; absent on the last) and, on the first part, `total` (rows in the whole snapshot). The
 * answer's headers repeat them: `Snapshot-Cursor`, `Snapshot-Next`, `Snapshot-Total`.
 */
import { z } from 'zod';
import { hiddenFields, publicUserFields } from '../domain/access';
import type { CollectionName, Role } from '../domain/collections';

/** Bumped when the file's tables change; a terminal refuses a format it does not know. */
export const snapshotFormat = 1;

export const snapshotContentType = 'application/vnd.sqlite3';

/** Rows per part unless a terminal asks otherwise, and the most it may ask for. */
export const snapshotPartRows = { default: 50_000, max: 200_000 } as const;

export const snapshotQuery = z.strictObject({
  /** The previous part's `next`. */
  after: z.string().regex(/^\d{1,15}$/, 'a position a snapshot part gave out').optional(),
  limit: z.coerce.number().int().min(1).max(snapshotPartRows.max).optional(),
});

/** Headers of a snapshot part (lower case, as Node hands them over). */
export const snapshotHeaders = { cursor: 'snapshot-cursor', next: 'snapshot-next', total: 'snapshot-total' } as const;

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
