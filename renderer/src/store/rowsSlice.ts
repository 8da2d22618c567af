/**
 * The rows slice's actions: 'data.changed' deltas and first-download batches merged into the
 * collections (rows.ts), with a notice naming the colleague when someone else changed something.
 */
import { canRead } from '../../../shared/domain/access';
import { clinicSettingsId } from '../../../shared/domain/clinicSettings';
import { rowChange, type AnyWireRow, type EventPayload } from '../../../shared/ipc/contract';
import { setClinicLocale } from '../app/format';
import type { SliceContext } from './clinicState';
import type { NoticesActions } from './noticesSlice';
import { describeRemoteChanges } from './remoteChanges';
import { applyChanges, type ClinicData, type DataChange } from './rows';

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
