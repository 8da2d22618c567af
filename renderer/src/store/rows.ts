/**
 * Rows of every synced collection, keyed by id, and how deltas from main merge into them.
 * Plain functions over immutable maps so React sees a new object only for the collections that changed.
 */
import { collectionNames, type CollectionName, type RowOf } from '../../../shared/domain/collections';
import type { EventPayload } from '../../../shared/ipc/contract';

export type RowsById<C extends CollectionName> = Readonly<Record<string, RowOf<C>>>;
export type ClinicData = { readonly [C in CollectionName]: RowsById<C> };
export type DataChange = EventPayload<'data.changed'>['changes'][number];

export function emptyData(): ClinicData {
  return Object.fromEntries(collectionNames.map((c) => [c, {}])) as unknown as ClinicData;
}

/** Rows from a full list, keyed by id. */
export function rowsById<C extends CollectionName>(rows: readonly Record<string, unknown>[]): RowsById<C> {
  const byId: Record<string, RowOf<C>> = {};
  for (const row of rows) {
    if (typeof row.id === 'string') byId[row.id] = row as RowOf<C>;
  }
  return byId;
}

/**
 * Merges a batch of changes: upserts replace the row, deletes (tombstones) drop it. Collections
 * without a change keep their identity, so screens that do not show them do not re-render.
 */
export function applyChanges(data: ClinicData, changes: readonly DataChange[]): ClinicData {
  if (changes.length === 0) return data;
  const touched = new Map<CollectionName, Record<string, unknown>>();
  for (const change of changes) {
    let rows = touched.get(change.collection);
    if (!rows) {
      rows = { ...data[change.collection] };
      touched.set(change.collection, rows);
    }
    if (change.op === 'delete') delete rows[change.id];
    else if (change.row) rows[change.id] = { ...change.row, id: change.id };
  }
  return { ...data, ...Object.fromEntries(touched) } as ClinicData;
}

/**
 * A row answered by a mutate call: kept only when it is not older than what an event already
 * delivered, because events and answers can cross.
 */
export function applyAnsweredRow(data: ClinicData, collection: CollectionName, row: Record<string, unknown>): ClinicData {
  const id = row.id;
  if (typeof id !== 'string') return data;
  const current = data[collection][id] as { version?: number } | undefined;
  const version = typeof row.version === 'number' ? row.version : 0;
  if (current && typeof current.version === 'number' && current.version > version) return data;
  return applyChanges(data, [{ collection, id, op: 'upsert', row }]);
}
