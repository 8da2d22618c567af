/**
 * The renderer's store: the signed-in user, every synced collection keyed by id, sync status,
 * open conflicts and toasts. Loaded once after sign-in with 'data.list'; from then on it changes
 * only through 'data.changed' deltas pushed by main (our own optimistic edits included), so no
 * screen ever refetches a whole table. One zustand store in slices (clinicState.ts), each with
 * its actions in a module of its own: session, rows, mutations, notices.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ClinicBridge, InvokeChannel, InvokeRequest } from '../../../shared/ipc/contract';
import { initialState, sliceContext, type ClinicOptions, type ClinicState } from './clinicState';
import { call } from './invoke';
import { createMutationsActions } from './mutationsSlice';
import { createNoticesActions } from './noticesSlice';
import { createRowsActions } from './rowsSlice';
import { createSessionActions } from './sessionSlice';

export type { ClinicOptions, ClinicState, Phase, Toast, ToastTone } from './clinicState';
export { initialState } from './clinicState';
export type { MutationAnswer, MutationOptions } from './mutationsSlice';
export { catchUpBatchSize } from './rowsSlice';

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
