/**
 * Changes a person makes: each goes to main as one 'data.mutate'. The screen shows it from the
 * local 'data.changed' that main emits before it answers (rowsSlice.ts), never from the answer,
 * which names only the mutation: the row reaches every window, this one too, once.
 */
import type { AdjustInput, CollectionName, RowOf } from '../../../shared/domain/collections';
import type { InvokeResponse } from '../../../shared/ipc/contract';
import { call, type Outcome, type SliceContext } from './clinicState';
import type { NoticesActions } from './noticesSlice';

export type MutationAnswer = Outcome<{ mutationId: string; id: string }>;
/** inForm: the caller is a form that shows a refusal of its values itself (no toast for it). */
export type MutationOptions = { inForm?: boolean };

export type MutationsActions = ReturnType<typeof createMutationsActions>;

function newRowId(): string {
  return globalThis.crypto.randomUUID();
}

export function createMutationsActions({ store, bridge, set }: SliceContext, { toast }: Pick<NoticesActions, 'toast'>) {
  function afterMutation(answer: Outcome<InvokeResponse<'data.mutate'>>, id: string, options: MutationOptions = {}): MutationAnswer {
    if (!answer.ok) {
      // A form that stays open shows a refusal of its values itself, next to what was typed.
      if (!(options.inForm && answer.code === 'bad_request')) toast('error', `Not saved: ${answer.error}`);
      return answer;
    }
    const sync = store.getState().sync;
    if (sync && !sync.online) toast('info', 'Saved on this terminal; it will be sent when the server is back', 'queued');
    return { ok: true, value: { mutationId: answer.value.mutationId, id } };
  }

  async function create<C extends CollectionName>(collection: C, fields: Record<string, unknown>, options: MutationOptions = {}): Promise<MutationAnswer> {
    const id = typeof fields.id === 'string' ? fields.id : newRowId();
    const answer = await call(bridge, 'data.mutate', { op: 'create', collection, data: { ...fields, id } });
    return afterMutation(answer, id, options);
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
    return afterMutation(answer, id, options);
  }

  async function remove(collection: CollectionName, id: string): Promise<MutationAnswer> {
    const answer = await call(bridge, 'data.mutate', { op: 'delete', collection, id });
    return afterMutation(answer, id);
  }

  async function adjustStock(id: string, input: AdjustInput, options: MutationOptions = {}): Promise<MutationAnswer> {
    const answer = await call(bridge, 'data.mutate', { op: 'adjust', collection: 'inventory', id, data: input });
    return afterMutation(answer, id, options);
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

  return { create, update, remove, adjustStock, resolveConflict };
}
