/**
 * The session slice's actions: signing in and out, the one full read after sign-in, the
 * terminal's sync status, and main's events wired to every slice.
 */
import { syncedCollections } from '../../../shared/domain/access';
import type { PublicUser } from '../../../shared/domain/collections';
import type { EventPayload, SyncStatus } from '../../../shared/ipc/contract';
import { call, emptyData, initialState, rowsById, type SliceContext } from './clinicState';
import type { NoticesActions } from './noticesSlice';
import type { RowsActions } from './rowsSlice';

export type SessionActions = ReturnType<typeof createSessionActions>;

export function createSessionActions({ store, bridge, set }: SliceContext, rows: RowsActions, notices: NoticesActions) {
  const { toast } = notices;
  let loadGeneration = 0;
  let signingIn = false;
  const unsubscribers: (() => void)[] = [];

  /**
   * Main says a first download is done only after its last rows were sent (as 'data.downloaded'
   * batches, or 'data.changed' when main wrote the pages itself): whatever comes after is news.
   */
  function onSyncStatus(status: SyncStatus): void {
    // Rows of the download still waiting to merge show before the status says done.
    rows.mergeDownloaded();
    set({ sync: status });
    // Back online: the "will be sent" notice has done its job.
    if (status.online) set((s) => ({ toasts: s.toasts.filter((t) => t.key !== 'queued') }));
  }

  function onSession(payload: EventPayload<'session.changed'>): void {
    const current = store.getState().user;
    if (payload.user === null) {
      if (current) signedOut(payload.reason ?? null);
    } else if (!signingIn && (!current || current.id !== payload.user.id)) {
      // Signed in from another window of this terminal (our own sign-in loads by itself).
      void load(payload.user);
    }
  }

  function signedOut(reason: string | null): void {
    loadGeneration++;
    rows.forget();
    set({ ...initialState(), phase: 'signed-out', settings: store.getState().settings, update: store.getState().update, signInError: reason });
  }

  /** Subscribes to main's events and restores a session that is still open (a reload). */
  async function start(): Promise<void> {
    if (unsubscribers.length === 0) {
      unsubscribers.push(
        bridge.on('data.changed', rows.onDataChanged),
        bridge.on('data.downloaded', rows.onDownloaded),
        bridge.on('sync.status', onSyncStatus),
        bridge.on('mutation.outcome', notices.onOutcome),
        bridge.on('conflict.recorded', notices.onConflict),
        bridge.on('session.changed', onSession),
        bridge.on('app.updateStatus', (update) => set({ update })),
        bridge.on('attention.changed', notices.onAttention),
      );
      void call(bridge, 'app.updateStatus', {}).then((answer) => {
        if (answer.ok) set({ update: answer.value });
      });
    }
    const current = await call(bridge, 'session.current', {});
    if (!current.ok) {
      set({ phase: 'signed-out', signInError: current.error });
      return;
    }
    set({ settings: current.value.settings });
    if (current.value.user) await load(current.value.user);
    else set({ phase: 'signed-out' });
  }

  function stop(): void {
    for (const off of unsubscribers.splice(0)) off();
  }

  async function signIn(username: string, password: string): Promise<boolean> {
    set({ signInError: null });
    signingIn = true;
    const answer = await call(bridge, 'session.login', { username, password }).finally(() => {
      signingIn = false;
    });
    if (!answer.ok) {
      set({ signInError: answer.error, phase: 'signed-out' });
      return false;
    }
    await load(answer.value.user);
    return true;
  }

  async function signOut(): Promise<void> {
    await call(bridge, 'session.logout', {});
    signedOut(null);
  }

  /** The one full read: every collection this role syncs, then deltas only. */
  async function load(user: PublicUser): Promise<void> {
    const generation = ++loadGeneration;
    const collections = syncedCollections(user.role);
    rows.holdDeltas();
    set({ phase: 'loading', user, signInError: null, collections, data: emptyData(), conflicts: [], attention: [] });
    const [lists, status, conflicts, attention] = await Promise.all([
      Promise.all(collections.map(async (c) => [c, await call(bridge, 'data.list', { collection: c })] as const)),
      call(bridge, 'sync.status', {}),
      call(bridge, 'conflicts.list', {}),
      call(bridge, 'attention.list', {}),
    ]);
    if (generation !== loadGeneration) return;
    let data = emptyData();
    const failures: string[] = [];
    for (const [collection, answer] of lists) {
      if (answer.ok) data = { ...data, [collection]: rowsById(answer.value) };
      else failures.push(`${collection}: ${answer.error}`);
    }
    set({
      phase: 'ready',
      data,
      // An event that arrived while loading is newer than the answer to our request.
      sync: store.getState().sync ?? (status.ok ? status.value : null),
      conflicts: conflicts.ok ? conflicts.value : [],
      attention: attention.ok ? attention.value : [],
    });
    rows.releaseDeltas();
    if (failures.length > 0) toast('error', `Some records could not be loaded: ${failures.join('; ')}`);
  }

  /** A person asked: say what it did, or that the server cannot be reached. */
  async function syncNow(): Promise<void> {
    const before = store.getState().sync;
    const received = countRemote();
    const answer = await call(bridge, 'sync.now', {});
    if (!answer.ok) {
      toast('error', `Sync now failed: ${answer.error}`, 'sync-now');
      return;
    }
    set({ sync: answer.value });
    const status = answer.value;
    const waiting = status.pending === 1 ? '1 change waits' : `${status.pending} changes wait`;
    if (!status.online) {
      toast('info', `Sync now: cannot reach the clinic server${status.pending > 0 ? `; ${waiting} on this terminal and will be sent when it is back` : ''}.`, 'sync-now');
      return;
    }
    const sent = Math.max(0, (before?.pending ?? 0) - status.pending);
    const got = received();
    const parts = [sent > 0 ? `sent ${sent === 1 ? '1 change' : `${sent} changes`}` : null, got > 0 ? `received ${got === 1 ? '1 change' : `${got} changes`}` : null].filter(Boolean);
    toast('success', `Sync now: ${parts.length > 0 ? `${parts.join(', ')}; ` : ''}up to date with the clinic server${status.pending > 0 ? ` (${waiting})` : ''}.`, 'sync-now');
  }

  /** Counts rows arriving from the server from now until the returned function is called. */
  function countRemote(): () => number {
    let n = 0;
    const off = bridge.on('data.changed', (p) => {
      if (p.source === 'remote') n += p.changes.length;
    });
    return () => {
      off();
      return n;
    };
  }

  return { start, stop, signIn, signOut, syncNow };
}
