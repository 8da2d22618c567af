/**
 * Rows of every synced collection, keyed by id, and how deltas from main merge into them.
 * Plain functions over maps that React sees as new objects only for the collections that changed
 * (the rows themselves are never changed, only replaced).
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
 * Which map a collection's map was made from, and the rows it held before for the ids that
 * differ: lets an index over 100,000 rows (patientSearch.ts) update the few rows that changed
 * instead of starting again.
 */
const lineage = new WeakMap<object, { from: object; before: ReadonlyMap<string, unknown> }>();

/**
 * The ids changed between an earlier map of a collection and a later one made from it by
 * applyChanges, each with its row in the earlier map (undefined: it was not there); null when
 * `later` does not descend from `earlier` within `maxSteps` merges (then the caller rebuilds).
 */
export function changedSince(earlier: object, later: object, maxSteps = 64): Map<string, unknown> | null {
  const changed = new Map<string, unknown>();
  let at = later;
  for (let step = 0; at !== earlier; step++) {
    const link = lineage.get(at);
    if (!link || step >= maxSteps) return null;
    // Walking back: the link nearest `earlier` writes last, so each id keeps its row as it was there.
    for (const [id, row] of link.before) changed.set(id, row);
    at = link.from;
  }
  return changed;
}

/**
 * Collections too large to copy per change. Copying an object of 100,000 keys took longer than
 * the frame that shows a save (V8 copies a dictionary-mode object key by key), so their rows live
 * in one object changed in place, and every change hands out a fresh view of it (a Proxy that
 * forwards everything): a new identity for React and useMemo, in constant time. An earlier view
 * reads the current rows, not the rows of its time; what changed is kept in `lineage`.
 */
const changedInPlace: ReadonlySet<CollectionName> = new Set(['patients']);
/** A view's rows object. */
const rowsOfView = new WeakMap<object, Record<string, unknown>>();

function writableRows(collection: CollectionName, rows: object): { rows: Record<string, unknown>; view: object } {
  if (!changedInPlace.has(collection)) {
    const copy = { ...rows } as Record<string, unknown>;
    return { rows: copy, view: copy };
  }
  const target = rowsOfView.get(rows) ?? (rows as Record<string, unknown>);
  const view = new Proxy(target, {});
  rowsOfView.set(view, target);
  return { rows: target, view };
}

/**
 * Merges a batch of changes: upserts replace the row, deletes (tombstones) drop it. Collections
 * without a change keep their identity, so screens that do not show them do not re-render.
 */
export function applyChanges(data: ClinicData, changes: readonly DataChange[]): ClinicData {
  if (changes.length === 0) return data;
  const touched = new Map<CollectionName, { rows: Record<string, unknown>; view: object; before: Map<string, unknown> }>();
  for (const change of changes) {
    let entry = touched.get(change.collection);
    if (!entry) {
      entry = { ...writableRows(change.collection, data[change.collection]), before: new Map() };
      touched.set(change.collection, entry);
    }
    if (!entry.before.has(change.id)) entry.before.set(change.id, entry.rows[change.id]);
    if (change.op === 'delete') delete entry.rows[change.id];
    else if (change.row) entry.rows[change.id] = { ...change.row, id: change.id };
  }
  const next: Record<string, unknown> = { ...data };
  for (const [collection, entry] of touched) {
    lineage.set(entry.view, { from: data[collection], before: entry.before });
    next[collection] = entry.view;
  }
  return next as ClinicData;
}
