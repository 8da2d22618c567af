/**
 * Every server write, from the request to the commit: REST writes and sync push both come
 * through here, so they follow exactly the same rules. One write transaction per mutation, with
 * its audit entry; a pushed mutation applied at most once (idempotent by its id). The clinic's
 * rules (shared/domain/mutations) decide, with their reads answered from the store under the
 * locks other writers could race on; this module writes what they decided. It talks only to
 * WriteTx and ClinicStore, so every store reuses it unchanged.
 */
import { redactRow } from '../../shared/domain/access';
import { netPaid } from '../../shared/domain/rules';
import { latestToday } from '../../shared/domain/plausibility';
import { decideMutation, type MutationInput } from '../../shared/domain/mutations/decide';
import { decideOn, type AsyncRuleReads } from '../../shared/domain/mutations/reads';
import { RuleRefusal } from '../../shared/domain/mutations/refusal';
import type { AnyRow } from '../../shared/domain/collections';
import type { Mutation, MutationResult } from '../../shared/sync/protocol';
import type { Actor, ClinicStore, StoredMutationResult, WriteTx } from '../store/types';
import { MutationRefused, refusedOverHttp } from './refusal';

export type { MutationInput };

export interface ApplyOptions {
  /** Sync: deleting a row that is already gone is what the terminal wanted, so it is applied. */
  tombstoneDeleteIsApplied?: boolean;
}

export interface Applied {
  /** The row after the write (full, unredacted); null for a delete. */
  row: AnyRow | null;
  /** What the audit log says about it. */
  detail: string;
}

const invoiceCounter = 'invoice-number';

/** The rules' reads, each behind the lock that keeps a concurrent writer (another PostgreSQL instance) out. */
function storeReads(tx: WriteTx): AsyncRuleReads {
  return {
    async row(collection, id, forWrite) {
      if (forWrite) await tx.lock([`row:${collection}:${id}`]);
      return tx.getRow(collection, id);
    },
    async overlappingAppointments(query) {
      const keys = [`slot:provider:${query.providerId}`];
      if (query.room !== '') keys.push(`slot:room:${query.room}`);
      await tx.lock(keys);
      return tx.findOverlappingAppointments(query);
    },
    blockedTimes: (query) => tx.findBlockedTimes(query),
    async paidOnInvoice(invoiceId, exceptPaymentId) {
      const payments = await tx.listPaymentsOfInvoice(invoiceId);
      return netPaid(
        payments
          .filter((p) => p.id !== exceptPaymentId)
          .map((p) => ({ amountCents: Number(p.amountCents), kind: p.kind === 'refund' ? ('refund' as const) : ('payment' as const) })),
      );
    },
    async userByUsername(username) {
      return (await tx.findUserByUsername(username))?.row ?? null;
    },
    async lastInvoiceNumber() {
      await tx.lock([`counter:${invoiceCounter}`]);
      return Number((await tx.getSetting(invoiceCounter)) ?? '0');
    },
  };
}

/** Apply one mutation inside `tx`. Throws MutationRefused (the caller's transaction then rolls back). */
export async function applyMutation(tx: WriteTx, actor: Actor, m: MutationInput, options: ApplyOptions = {}): Promise<Applied> {
  const ctx = { actor, now: new Date().toISOString(), today: latestToday(), authority: 'server' as const, ...options };
  let decision;
  try {
    decision = await decideOn(decideMutation(ctx, m), storeReads(tx));
  } catch (error) {
    throw error instanceof RuleRefusal ? refusedOverHttp(error) : error;
  }
  if (decision.invoiceNumber !== undefined) await tx.setSetting(invoiceCounter, String(decision.invoiceNumber));
  for (const w of decision.writes) {
    await tx.putRow(w);
    await tx.appendChange({ collection: w.collection, id: w.id, version: w.version, op: w.deleted ? 'delete' : 'upsert' });
  }
  if (decision.revokeTokensOf !== undefined) await tx.revokeRefreshTokens(decision.revokeTokensOf);
  return { row: decision.row, detail: decision.detail };
}

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
