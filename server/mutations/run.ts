/**
 * Running mutations against a store: one write transaction per mutation, with its audit entry.
 * REST writes and sync push both come through here, so they follow exactly the same rules.
 */
import { redactRow } from '../../shared/domain/access';
import type { AnyRow } from '../../shared/domain/collections';
import type { Mutation, MutationResult } from '../../shared/sync/protocol';
import type { Actor, ClinicStore, StoredMutationResult, WriteTx } from '../store/types';
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
    await auditWrite(tx, actor, m, applied.detail);
    return applied;
  });
}

/** Every applied write is audited: who did what to which row. */
function auditWrite(tx: WriteTx, actor: Actor, m: Pick<Mutation, 'op' | 'collection' | 'id'>, detail: string): Promise<void> {
  return tx.appendAudit({ userId: actor.id, username: actor.username, action: m.op, collection: m.collection, rowId: m.id, detail });
}

function redacted(actor: Actor, m: Mutation, row: AnyRow | null | undefined): AnyRow | null {
  return row ? redactRow(actor.role, m.collection, row) : null;
}

/**
 * A mutation id seen before: its first result when the same user sends it again; for anyone
 * else a 409 that says nothing of what the id did (a replayed id must not leak another user's row).
 */
function replayAnswer(actor: Actor, m: Mutation, seen: StoredMutationResult): MutationResult {
  if (seen.userId === actor.id) return seen.result;
  return {
    mutationId: m.mutationId,
    status: 'rejected',
    row: null,
    error: 'this mutation id was already used by another user; a terminal makes a new id for every change',
    code: 409,
  };
}

/**
 * One pushed mutation, applied at most once. Its result (applied, conflict or rejected) is
 * stored under its mutationId with the user who sent it, and returned again on that user's
 * replay. Each mutation has its own transaction: a refused one leaves the earlier ones of the
 * same push applied.
 */
export async function pushMutation(store: ClinicStore, actor: Actor, m: Mutation): Promise<MutationResult> {
  const input: MutationInput = { collection: m.collection, op: m.op, id: m.id, baseVersion: m.baseVersion, data: m.data };
  try {
    const outcome = await store.write(async (tx) => {
      await tx.lock([`mutation:${m.mutationId}`]);
      const seen = await tx.getMutationResult(m.mutationId);
      if (seen) return replayAnswer(actor, m, seen);
      if (m.collection === 'users' && m.op === 'create') {
        throw new MutationRefused(400, 'users are created with POST /api/users (they need a password)');
      }
      const applied = await applyMutation(tx, actor, input, { tombstoneDeleteIsApplied: true });
      const result: MutationResult = { mutationId: m.mutationId, status: 'applied', row: redacted(actor, m, applied.row) };
      await tx.saveMutationResult(m.mutationId, actor.id, result);
      await auditWrite(tx, actor, m, `${applied.detail} (sync ${m.mutationId})`);
      return result;
    });
    return outcome;
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
      if (seen) return replayAnswer(actor, m, seen);
      await tx.saveMutationResult(m.mutationId, actor.id, result);
      if (error.code === 403) await auditRefusal(tx, actor, m, error.message);
      return result;
    });
  }
}

/** Every 403 is audited: who tried what on which row (pushed mutations here, REST in http/errors.ts). */
function auditRefusal(tx: WriteTx, actor: Actor, m: Mutation, message: string): Promise<void> {
  return tx.appendAudit({
    userId: actor.id,
    username: actor.username,
    action: 'forbidden',
    collection: m.collection,
    rowId: m.id,
    detail: `sync ${m.op} refused: ${message}`,
  });
}
