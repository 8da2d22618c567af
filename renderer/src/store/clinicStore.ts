/**
 * The renderer's state: the signed-in user, every synced collection keyed by id, sync status,
 * open conflicts and toasts. Loaded once after sign-in with 'data.list'; from then on it changes
 * only through 'data.changed' deltas pushed by main (our own optimistic edits included), so no
 * screen ever refetches a whole table.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { canRead, syncedCollections } from '../../../shared/domain/access';
import { clinicSettingsId } from '../../../shared/domain/clinicSettings';
import type { AttentionEntry } from '../../../shared/ipc/attention';
import { setClinicLocale } from '../app/format';
import { refusalWords, rowWords, withoutIds } from './words';
import type { AdjustInput, CollectionName, PublicUser, RowOf } from '../../../shared/domain/collections';
import type { ClinicBridge, Conflict, EventPayload, SyncStatus, TerminalSettings, UpdateStatus } from '../../../shared/ipc/contract';
import { call, type Outcome } from './invoke';
import { describeRemoteChanges } from './remoteChanges';
import { applyAnsweredRow, applyChanges, emptyData, rowsById, type ClinicData, type DataChange } from './rows';

/** Remote batches larger than this are catch-up downloads and are merged without notices. */
export const catchUpBatchSize = 100;
/** How long a first download's rows may wait to be merged with the batches after them. */
const downloadMergeMs = 50;

export type ToastTone = 'info' | 'success' | 'error';
export type Toast = { id: number; tone: ToastTone; text: string; key?: string };

export type Phase = 'starting' | 'signed-out' | 'loading' | 'ready';

export type ClinicState = {
  phase: Phase;
  user: PublicUser | null;
  settings: TerminalSettings | null;
  signInError: string | null;
  data: ClinicData;
  /** Collections loaded for this user (the others stay empty). */
  collections: CollectionName[];
  sync: SyncStatus | null;
  /** This terminal's software update (the status bar shows it while there is news). */
  update: UpdateStatus | null;
  conflicts: Conflict[];
  /** Changes the server refused, kept by main until someone acts on them. */
  attention: AttentionEntry[];
  /** Bumped when the clinic's locale changes, so every screen formats again. */
  localeVersion: number;
  toasts: Toast[];
};

export type MutationAnswer = Outcome<{ mutationId: string; id: string }>;
/** inForm: the caller is a form that shows a refusal of its values itself (no toast for it). */
export type MutationOptions = { inForm?: boolean };

export type ClinicOptions = {
  /** How long a toast stays; errors stay twice as long. 0 keeps them until dismissed. */
  toastMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
};

export type ClinicActions = ReturnType<typeof createClinicActions>;
export type Clinic = { store: StoreApi<ClinicState>; actions: ClinicActions };

export function initialState(): ClinicState {
  return {
    phase: 'starting',
    user: null,
    settings: null,
    signInError: null,
    data: emptyData(),
    collections: [],
    sync: null,
    update: null,
    conflicts: [],
    attention: [],
    localeVersion: 0,
    toasts: [],
  };
}

export function createClinic(bridge: ClinicBridge, options: ClinicOptions = {}): Clinic {
  const store = createStore<ClinicState>()(() => initialState());
  return { store, actions: createClinicActions(store, bridge, options) };
}

function newRowId(): string {
  return globalThis.crypto.randomUUID();
}

export function createClinicActions(store: StoreApi<ClinicState>, bridge: ClinicBridge, options: ClinicOptions = {}) {
  const toastMs = options.toastMs ?? 10_000;
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  let nextToastId = 1;
  /** Deltas that arrive while the first lists load; applied on top of them, in order. */
  let buffered: EventPayload<'data.changed'>[] | null = null;
  let loadGeneration = 0;
  const unsubscribers: (() => void)[] = [];

  const set = (partial: Partial<ClinicState> | ((s: ClinicState) => Partial<ClinicState>)) => store.setState(partial);

  function toast(tone: ToastTone, text: string, key?: string): void {
    const id = nextToastId++;
    // No notice ever shows a raw id, whatever sentence reached it.
    const words = withoutIds(text);
    set((s) => {
      // A keyed toast replaces its predecessor ("Saved" after "Saved"), so a drained queue is one notice.
      const others = key ? s.toasts.filter((t) => t.key !== key) : s.toasts;
      // Newer notices push out older ones, but never an error: it stays until dismissed.
      const next = [...others, { id, tone, text: words, key }];
      const errors = next.filter((t) => t.tone === 'error');
      const rest = next.filter((t) => t.tone !== 'error').slice(-Math.max(1, 4 - errors.length));
      return { toasts: next.filter((t) => t.tone === 'error' || rest.includes(t)) };
    });
    if (toastMs > 0 && tone !== 'error') setTimer(() => dismissToast(id), toastMs);
  }

  function dismissToast(id: number): void {
    set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  }

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
    for (const row of JSON.parse(payload.rowsJson) as { id: string }[]) {
      downloaded.push({ collection: payload.collection, id: row.id, op: 'upsert', row: row as DataChange['row'] });
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
      for (const notice of describeRemoteChanges(changes, state.user.id, data, namePatients)) toast('info', notice.text, `remote:${notice.userId}`);
    }
  }

  /**
   * Main says a first download is done only after its last rows were sent (as 'data.downloaded'
   * batches, or 'data.changed' when main wrote the pages itself): whatever comes after is news.
   */
  function onSyncStatus(status: SyncStatus): void {
    // Rows of the download still waiting to merge show before the status says done.
    mergeDownloaded();
    set({ sync: status });
    // Back online: the "will be sent" notice has done its job.
    if (status.online) set((s) => ({ toasts: s.toasts.filter((t) => t.key !== 'queued') }));
  }

  function onOutcome(outcome: EventPayload<'mutation.outcome'>): void {
    if (store.getState().phase !== 'ready') return;
    // A refusal is told by its Needs attention entry (onAttention), in words.
    if (outcome.status === 'applied') toast('success', 'Saved', 'saved');
  }

  /** What an entry says: "Not booked: the booking of Deckow, Leanne with Dr. Baker, … — Dr. Baker already has …". */
  function attentionText(entry: AttentionEntry): { what: string; why: string } {
    const data = store.getState().data;
    const row = { ...(entry.before ?? {}), ...(entry.data ?? {}) };
    const subject = entry.op === 'adjust' ? rowWords(data, entry.collection, entry.before) : rowWords(data, entry.collection, row);
    return { what: `Not saved: ${subject}`, why: refusalWords(data, entry) };
  }

  function onAttention(entries: AttentionEntry[]): void {
    const state = store.getState();
    if (state.phase !== 'ready') return;
    const known = new Set(state.attention.map((e) => e.id));
    set({ attention: entries });
    for (const entry of entries) {
      if (known.has(entry.id)) continue;
      const { what, why } = attentionText(entry);
      toast('error', `${what}. ${why}. It is listed under Needs attention.`, `attention:${entry.id}`);
    }
  }

  /** The clinic's language, date format and currency, from its settings row. */
  function applyLocale(data: ClinicData): void {
    if (setClinicLocale(data['clinic-settings'][clinicSettingsId] ?? null)) set((s) => ({ localeVersion: s.localeVersion + 1 }));
  }

  function onConflict(conflict: Conflict): void {
    set((s) => ({ conflicts: [...s.conflicts.filter((c) => c.id !== conflict.id), conflict] }));
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
    buffered = null;
    downloaded = [];
    set({ ...initialState(), phase: 'signed-out', settings: store.getState().settings, update: store.getState().update, signInError: reason });
  }

  /** Subscribes to main's events and restores a session that is still open (a reload). */
  async function start(): Promise<void> {
    if (unsubscribers.length === 0) {
      unsubscribers.push(
        bridge.on('data.changed', onDataChanged),
        bridge.on('data.downloaded', onDownloaded),
        bridge.on('sync.status', onSyncStatus),
        bridge.on('mutation.outcome', onOutcome),
        bridge.on('conflict.recorded', onConflict),
        bridge.on('session.changed', onSession),
        bridge.on('app.updateStatus', (update) => set({ update })),
        bridge.on('attention.changed', onAttention),
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

  let signingIn = false;
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
    buffered = [];
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
    const pending = buffered ?? [];
    buffered = null;
    set({
      phase: 'ready',
      data,
      // An event that arrived while loading is newer than the answer to our request.
      sync: store.getState().sync ?? (status.ok ? status.value : null),
      conflicts: conflicts.ok ? conflicts.value : [],
      attention: attention.ok ? attention.value : [],
    });
    applyLocale(data);
    for (const payload of pending) mergeDelta(payload, false);
    if (failures.length > 0) toast('error', `Some records could not be loaded: ${failures.join('; ')}`);
  }

  function afterMutation(
    collection: CollectionName,
    answer: Outcome<{ mutationId: string; row: Record<string, unknown> | null }>,
    id: string,
    options: MutationOptions = {},
  ): MutationAnswer {
    if (!answer.ok) {
      // A form that stays open shows a refusal of its values itself, next to what was typed.
      if (!(options.inForm && answer.code === 'bad_request')) toast('error', `Not saved: ${answer.error}`);
      return answer;
    }
    if (answer.value.row) set((s) => ({ data: applyAnsweredRow(s.data, collection, answer.value.row as Record<string, unknown>) }));
    const sync = store.getState().sync;
    if (sync && !sync.online) toast('info', 'Saved on this terminal; it will be sent when the server is back', 'queued');
    return { ok: true, value: { mutationId: answer.value.mutationId, id } };
  }

  async function create<C extends CollectionName>(collection: C, fields: Record<string, unknown>, options: MutationOptions = {}): Promise<MutationAnswer> {
    const id = typeof fields.id === 'string' ? fields.id : newRowId();
    const answer = await call(bridge, 'data.mutate', { op: 'create', collection, data: { ...fields, id } });
    return afterMutation(collection, answer, id, options);
  }

  /**
   * Sends only the fields the user changed, relative to `base`: the row as it was when the edit
   * began (default: the row now). Its version goes along, so the server can tell when someone
   * else changed the same field in the meantime, and a conflict is raised, never an overwrite.
   */
  async function update<C extends CollectionName>(
    collection: C,
    id: string,
    fields: Partial<RowOf<C>> | Record<string, unknown>,
    base?: Record<string, unknown>,
    options: MutationOptions = {},
  ): Promise<MutationAnswer> {
    const current = store.getState().data[collection][id] as Record<string, unknown> | undefined;
    if (!current) {
      const error = 'This record no longer exists (it may have been deleted on another terminal).';
      toast('error', `Not saved: ${error}`);
      return { ok: false, error, code: 'failed' };
    }
    const from = base ?? current;
    const changed = Object.fromEntries(
      Object.entries(fields).filter(([k, v]) => JSON.stringify(from[k]) !== JSON.stringify(v)),
    );
    if (Object.keys(changed).length === 0) return { ok: true, value: { mutationId: '', id } };
    const baseVersion = (typeof from.version === 'number' ? from.version : current.version) as number;
    const answer = await call(bridge, 'data.mutate', { op: 'update', collection, id, baseVersion, data: changed });
    return afterMutation(collection, answer, id, options);
  }

  async function remove(collection: CollectionName, id: string): Promise<MutationAnswer> {
    const answer = await call(bridge, 'data.mutate', { op: 'delete', collection, id });
    return afterMutation(collection, answer, id);
  }

  async function adjustStock(id: string, input: AdjustInput, options: MutationOptions = {}): Promise<MutationAnswer> {
    const answer = await call(bridge, 'data.mutate', { op: 'adjust', collection: 'inventory', id, data: input });
    return afterMutation('inventory', answer, id, options);
  }

  async function resolveConflict(conflictId: string, choice: 'mine' | 'theirs'): Promise<boolean> {
    const answer = await call(bridge, 'conflicts.resolve', { conflictId, choice });
    if (!answer.ok) {
      toast('error', `The conflict could not be resolved: ${answer.error}`);
      return false;
    }
    set((s) => ({ conflicts: s.conflicts.filter((c) => c.id !== conflictId) }));
    toast('success', choice === 'mine' ? 'Kept your version' : 'Kept the other version', 'conflict');
    return true;
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

  async function dismissAttention(id: string): Promise<boolean> {
    const answer = await call(bridge, 'attention.dismiss', { id });
    if (!answer.ok) {
      toast('error', `Could not take it off the list: ${answer.error}`);
      return false;
    }
    set((s) => ({ attention: s.attention.filter((e) => e.id !== id), toasts: s.toasts.filter((t) => t.key !== `attention:${id}`) }));
    return true;
  }

  return {
    start,
    stop,
    signIn,
    signOut,
    create,
    update,
    remove,
    adjustStock,
    resolveConflict,
    syncNow,
    dismissAttention,
    attentionText,
    toast,
    dismissToast,
    /** Direct calls for admin screens and settings, whose answers are not synced rows. */
    call: <C extends Parameters<typeof call>[1]>(channel: C, request: Parameters<typeof call<C>>[2]) => call(bridge, channel, request),
  };
}
