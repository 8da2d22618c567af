/**
 * Running mutations against a store: one write transaction per mutation, with its audit entry.
 * REST writes and sync push both come through here, so they follow exactly the same rules.
 */
import { redactRow } from '../../shared/domain/access';
import type { AnyRow } from '../../shared/domain/collections';
import type { Mutation, MutationResult } from '../../shared/sync/protocol';
import type { Actor, ClinicStore, WriteTx } from '../store/types';
import { applyMutation, type Applied, type ApplyOptions, type MutationInput } from './apply';
import { MutationRefused } from './refusal';

/** Apply and audit in one transaction; throws MutationRefused (nothing written) when refused. */
export async function runMutation(
  store: ClinicStore,
  actor: Actor,
  m: MutationInput,
  options: ApplyOptions & { beforeCommit?: (tx: WriteTx, applied: Applied) => Promise<void> } = {},
): Promise<Applied> {
  return store.write(async (tx) => {
    const applied = await applyMutation(tx, actor, m, options);
    await options.beforeCommit?.(tx, applied);
    await tx.appendAudit({
      userId: actor.id,
      username: actor.username,
      action: m.op,
      collection: m.collection,
      rowId: m.id,
      detail: applied.detail,
    });
    return applied;
  });
}

function redacted(actor: Actor, m: Mutation, row: AnyRow | null | undefined): AnyRow | null {
  return row ? redactRow(actor.role, m.collection, row) : null;
}

/**
 * One pushed mutation, applied at most once. Its result (applied, conflict or rejected) is
 * stored under its mutationId and returned again on replay. Each mutation has its own
 * transaction: a refused one leaves the earlier ones of the same push applied.
 */
export async function pushMutation(store: ClinicStore, actor: Actor, m: Mutation): Promise<MutationResult> {
  const input: MutationInput = { collection: m.collection, op: m.op, id: m.id, baseVersion: m.baseVersion, data: m.data };
  try {
    return await store.write(async (tx) => {
      await tx.lock([`mutation:${m.mutationId}`]);
      const seen = await tx.getMutationResult(m.mutationId);
      if (seen) return seen;
      if (m.collection === 'users' && m.op === 'create') {
        throw new MutationRefused(400, 'users are created with POST /api/users (they need a password)');
      }
      const applied = await applyMutation(tx, actor, input, { tombstoneDeleteIsApplied: true });
      const result: MutationResult = { mutationId: m.mutationId, status: 'applied', row: redacted(actor, m, applied.row) };
      await tx.saveMutationResult(m.mutationId, actor.id, result);
      await tx.appendAudit({
        userId: actor.id,
        username: actor.username,
        action: m.op,
        collection: m.collection,
        rowId: m.id,
        detail: `${applied.detail} (sync ${m.mutationId})`,
      });
      return result;
    });
  } catch (error) {
    if (!(error instanceof MutationRefused)) throw error;
    // `row` is only ever this mutation's own row as the server has it; a refusal caused by another
    // row (the clashing appointment, the invoice a payment exceeds) must not pass for it.
    const current = error.extra.current?.id === m.id ? error.extra.current : null;
    const result: MutationResult = {
      mutationId: m.mutationId,
      status: error.extra.isVersionConflict ? 'conflict' : 'rejected',
      row: redacted(actor, m, current),
      error: error.message,
      code: error.code,
    };
    if (error.extra.fields) result.fields = error.extra.fields;
    if (error.extra.details) result.details = error.extra.details;
    if (error.extra.conflictsWith) result.conflictsWith = redactRow(actor.role, 'appointments', error.extra.conflictsWith);
    // Remember the refusal too, so a replay answers the same; a concurrent replay may have won.
    return store.write(async (tx) => {
      await tx.lock([`mutation:${m.mutationId}`]);
      const seen = await tx.getMutationResult(m.mutationId);
      if (seen) return seen;
      await tx.saveMutationResult(m.mutationId, actor.id, result);
      return result;
    });
  }
}
