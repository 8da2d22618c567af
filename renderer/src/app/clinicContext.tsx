/**
 * The renderer's store, as every screen reaches it: the signed-in user, every synced collection
 * keyed by id, sync status, open conflicts and toasts. Loaded once after sign-in with 'data.list';
 * from then on it changes only through 'data.changed' deltas pushed by main (our own optimistic
 * edits included), so no screen ever refetches a whole table. One zustand store in slices
 * (store/clinicState.ts), each with its actions in a module of its own (session, rows, mutations,
 * notices), put together here and handed to the screens through a React context.
 */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ClinicBridge, InvokeChannel, InvokeRequest } from '../../../shared/ipc/contract';
import { call, initialState, sliceContext, type ClinicOptions, type ClinicState } from '../store/clinicState';
import { createMutationsActions } from '../store/mutationsSlice';
import { createNoticesActions } from '../store/noticesSlice';
import { createRowsActions } from '../store/rowsSlice';
import { createSessionActions } from '../store/sessionSlice';

export type ClinicActions = ReturnType<typeof createClinicActions>;
export type Clinic = { store: StoreApi<ClinicState>; actions: ClinicActions };

export function createClinic(bridge: ClinicBridge, options: ClinicOptions = {}): Clinic {
  const store = createStore<ClinicState>()(() => initialState());
  return { store, actions: createClinicActions(store, bridge, options) };
}

export function createClinicActions(store: StoreApi<ClinicState>, bridge: ClinicBridge, options: ClinicOptions = {}) {
  const context = sliceContext(store, bridge, options);
  const notices = createNoticesActions(context);
  const rows = createRowsActions(context, notices);
  const mutations = createMutationsActions(context, notices);
  const session = createSessionActions(context, rows, notices);
  return {
    ...session,
    ...mutations,
    dismissAttention: notices.dismissAttention,
    attentionText: notices.attentionText,
    toast: notices.toast,
    dismissToast: notices.dismissToast,
    /** Direct calls for admin screens and settings, whose answers are not synced rows. */
    call: <C extends InvokeChannel, R extends InvokeRequest<C>>(channel: C, request: R) => call(bridge, channel, request),
  };
}

const ClinicContext = createContext<Clinic | null>(null);

export function ClinicProvider({ clinic, children }: { clinic: Clinic; children: ReactNode }) {
  return <ClinicContext.Provider value={clinic}>{children}</ClinicContext.Provider>;
}

function useClinicContext(): Clinic {
  const clinic = useContext(ClinicContext);
  if (!clinic) throw new Error('ClinicProvider is missing');
  return clinic;
}

export function useClinic<T>(selector: (state: ClinicState) => T): T {
  return useStore(useClinicContext().store, selector);
}

export function useActions(): ClinicActions {
  return useClinicContext().actions;
}
