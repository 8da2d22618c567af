/**
 * The renderer's state, one zustand store made of slices: the session (who is signed in, the
 * terminal's settings and sync status), the rows of every synced collection, and the notices
 * (toasts, conflicts, Needs attention). Each slice's actions live in their own module; here is
 * what they all work with: the store, and the bridge's calls turned into outcomes with a message
 * a receptionist can read.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { AttentionEntry } from '../../../shared/ipc/attention';
import { collectionNames, type CollectionName, type PublicUser, type RowOf } from '../../../shared/domain/collections';
import { labelOf } from '../../../shared/domain/plausibility';
import type {
  ClinicBridge,
  Conflict,
  InvokeChannel,
  InvokeRequest,
  InvokeResponse,
  IpcError,
  SyncStatus,
  TerminalSettings,
  UpdateStatus,
  EventPayload,
} from '../../../shared/ipc/contract';

/** Rows of every synced collection, keyed by id (rowsSlice.ts merges deltas into them). */
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

export type ToastTone = 'info' | 'success' | 'error';
export type Toast = { id: number; tone: ToastTone; text: string; key?: string };

export type Phase = 'starting' | 'signed-out' | 'loading' | 'ready';

export type SessionState = {
  phase: Phase;
  user: PublicUser | null;
  settings: TerminalSettings | null;
  signInError: string | null;
  sync: SyncStatus | null;
  /** This terminal's software update (the status bar shows it while there is news). */
  update: UpdateStatus | null;
  /** Bumped when the clinic's locale changes, so every screen formats again. */
  localeVersion: number;
};

export type RowsState = {
  data: ClinicData;
  /** Collections loaded for this user (the others stay empty). */
  collections: CollectionName[];
};

export type NoticesState = {
  conflicts: Conflict[];
  /** Changes the server refused, kept by main until someone acts on them. */
  attention: AttentionEntry[];
  toasts: Toast[];
};

export type ClinicState = SessionState & RowsState & NoticesState;

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

export type ClinicOptions = {
  /** How long a toast stays; errors stay twice as long. 0 keeps them until dismissed. */
  toastMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
};

/** What every slice's actions work with. */
export type SliceContext = {
  store: StoreApi<ClinicState>;
  bridge: ClinicBridge;
  set: (partial: Partial<ClinicState> | ((s: ClinicState) => Partial<ClinicState>)) => void;
  setTimer: (fn: () => void, ms: number) => unknown;
  toastMs: number;
};

export function sliceContext(store: StoreApi<ClinicState>, bridge: ClinicBridge, options: ClinicOptions): SliceContext {
  return {
    store,
    bridge,
    set: (partial) => store.setState(partial),
    setTimer: options.setTimer ?? ((fn, ms) => setTimeout(fn, ms)),
    toastMs: options.toastMs ?? 10_000,
  };
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string; code: IpcError['code'] | 'transport' };

/**
 * An error as a sentence: the message, and the fields it names by their form labels unless the
 * message already says them. Details that are not field problems (a clashing row's id) are left out.
 */
export function describeIpcError(error: IpcError): string {
  const details = (error.details ?? [])
    .map((d) => {
      if (typeof d !== 'object' || d === null) return '';
      const issue = d as { path?: unknown; message?: unknown };
      if (typeof issue.message !== 'string') return '';
      const path = Array.isArray(issue.path) ? issue.path.join('.') : typeof issue.path === 'string' ? issue.path : '';
      // A request's own path ("data.firstName") names the field after its envelope.
      const field = path.split('.').filter((segment) => segment !== 'data')[0] ?? '';
      const label = field ? labelOf(field) : '';
      return label && !issue.message.startsWith(label) ? `${label}: ${issue.message}` : issue.message;
    })
    .filter((s) => s !== '' && !error.message.includes(s));
  return details.length > 0 ? `${error.message} (${details.join('; ')})` : error.message;
}

export async function call<C extends InvokeChannel, R extends InvokeRequest<C>>(
  bridge: ClinicBridge,
  channel: C,
  request: R,
): Promise<Outcome<InvokeResponse<C, R>>> {
  try {
    const envelope = await bridge.invoke(channel, request);
    if (envelope.ok) return { ok: true, value: envelope.value };
    return { ok: false, error: describeIpcError(envelope.error), code: envelope.error.code };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `The terminal did not answer: ${message}`, code: 'transport' };
  }
}
