/**
 * The one path every server write takes (REST and sync push alike): the clinic's rules
 * (shared/domain/mutations) decide, with reads answered from the store under the locks other
 * writers could race on; this file writes what they decided. Talks only to WriteTx, so every
 * store reuses it unchanged.
 */
import { netPaid } from '../../shared/domain/rules';
import { latestToday } from '../../shared/domain/plausibility';
import { decideMutation, type MutationInput } from '../../shared/domain/mutations/decide';
import { decideOn, type AsyncRuleReads } from '../../shared/domain/mutations/reads';
import { RuleRefusal } from '../../shared/domain/mutations/refusal';
import type { AnyRow } from '../../shared/domain/collections';
import type { Actor, WriteTx } from '../store/types';
import { refusedOverHttp } from './refusal';

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
