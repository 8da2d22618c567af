/**
 * The rows slice: 'data.changed' deltas and first-download batches merged into the collections,
 * with a notice naming the colleague when someone else changed something. The merge works on
 * maps that React sees as new objects only for the collections that changed (the rows themselves
 * are never changed, only replaced).
 */
import { canRead } from '../../../shared/domain/access';
import { clinicSettingsId } from '../../../shared/domain/clinicSettings';
import { rowChange, type AnyWireRow, type EventPayload } from '../../../shared/ipc/contract';
import { setClinicLocale } from '../app/format';
import type { ClinicData, DataChange, SliceContext } from './clinicState';
import type { NoticesActions } from './noticesSlice';
import { describeRemoteChanges } from './remoteChanges';
import type { CollectionName } from '../../../shared/domain/collections';

/** Remote batches larger than this are catch-up downloads and are merged without notices. */
export const catchUpBatchSize = 100;
/** How long a first download's rows may wait to be merged with the batches after them. */
const downloadMergeMs = 50;

export type RowsActions = ReturnType<typeof createRowsActions>;

export function createRowsActions({ store, set, setTimer }: SliceContext, notices: Pick<NoticesActions, 'toast'>) {
  /** Deltas that arrive while the first lists load; applied on top of them, in order. */
  let buffered: EventPayload<'data.changed'>[] | null = null;

  function onDataChanged(payload: EventPayload<'data.changed'>): void {
    mergeDownloaded();
    receiveChanges(payload);
  }

  function receiveChanges(payload: EventPayload<'data.changed'>): void {
    const { phase } = store.getState();
    if (phase === 'loading' && buffered) {
      buffered.push(payload);
      return;
    }
    if (phase !== 'ready') return;
    mergeDelta(payload, true);
  }

  /**
   * A first download's rows, as JSON text, merged like a catch-up batch (no notices). Batches
   * arriving close together are merged at once: every merge copies the collection's map, and
   * 250 batches of 500k appointments one by one made that quadratic.
   */
  let downloaded: DataChange[] = [];
  let downloadMergeDue = false;
  function onDownloaded(payload: EventPayload<'data.downloaded'>): void {
    // The rows main's cache holds, as it stored them for this user (main/cache/rows.ts).
    const rows: AnyWireRow[] = JSON.parse(payload.rowsJson);
    for (const row of rows) {
      downloaded.push(rowChange(payload.collection, row.id, 'upsert', row));
    }
    if (downloadMergeDue) return;
    downloadMergeDue = true;
    setTimer(mergeDownloaded, downloadMergeMs);
  }

  /** Merge the downloaded rows waiting; before any other event, so they never land on newer rows. */
  function mergeDownloaded(): void {
    downloadMergeDue = false;
    if (downloaded.length === 0) return;
    const changes = downloaded;
    downloaded = [];
    receiveChanges({ source: 'remote', changes });
  }

  function mergeDelta(payload: EventPayload<'data.changed'>, announce: boolean): void {
    const state = store.getState();
    const allowed = new Set(state.collections);
    const changes: DataChange[] = payload.changes.filter((c) => allowed.has(c.collection));
    if (changes.length === 0) return;
    const data = applyChanges(state.data, changes);
    set({ data });
    if (changes.some((c) => c.collection === 'clinic-settings')) applyLocale(data);
    const initialSyncDone = state.sync?.initialSync.done ?? true;
    // A page-sized batch is a catch-up (first download, back after a long outage), not a colleague at work.
    const catchUp = changes.length > catchUpBatchSize;
    if (announce && payload.source === 'remote' && state.user && initialSyncDone && !catchUp) {
      // One notice per colleague: their next change replaces it instead of stacking up.
      const namePatients = canRead(state.user.role, 'patients');
      for (const notice of describeRemoteChanges(changes, state.user.id, data, namePatients)) notices.toast('info', notice.text, `remote:${notice.userId}`);
    }
  }

  /** The clinic's language, date format and currency, from its settings row. */
  function applyLocale(data: ClinicData): void {
    if (setClinicLocale(data['clinic-settings'][clinicSettingsId] ?? null)) set((s) => ({ localeVersion: s.localeVersion + 1 }));
  }

  /** A full load begins: deltas wait for it. */
  function holdDeltas(): void {
    buffered = [];
  }

  /** The full load is in the store: the deltas that waited go on top of it, in order, without notices. */
  function releaseDeltas(): void {
    const pending = buffered ?? [];
    buffered = null;
    applyLocale(store.getState().data);
    for (const payload of pending) mergeDelta(payload, false);
  }

  /** Signed out: nothing waiting belongs to anyone any more. */
  function forget(): void {
    buffered = null;
    downloaded = [];
  }

  return { onDataChanged, onDownloaded, mergeDownloaded, holdDeltas, releaseDeltas, forget };
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
