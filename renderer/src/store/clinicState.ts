/**
 * The renderer's state, one zustand store made of slices: the session (who is signed in, the
 * terminal's settings and sync status), the rows of every synced collection, and the notices
 * (toasts, conflicts, Needs attention). Each slice's actions live in their own module.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { AttentionEntry } from '../../../shared/ipc/attention';
import type { CollectionName, PublicUser } from '../../../shared/domain/collections';
import type { ClinicBridge, Conflict, SyncStatus, TerminalSettings, UpdateStatus } from '../../../shared/ipc/contract';
import { emptyData, type ClinicData } from './rows';

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
