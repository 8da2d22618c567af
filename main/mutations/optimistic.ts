/**
 * What a mutation does to a row, computed on the terminal: the same business rules the server
 * applies (shared/domain/rules), so the optimistic row is what the server will most likely store,
 * and so that the cached view can be rebuilt as "server row + my pending mutations".
 */
import type { AnyRow, CollectionName, InvoiceLine } from '../../shared/domain/collections';
import { invoiceTotal, lowStock } from '../../shared/domain/rules';
import type { MutationOp } from '../../shared/sync/protocol';

export interface PendingChange {
  op: MutationOp;
  collection: CollectionName;
  rowId: string;
  data: Record<string, unknown> | null;
}

/** Recompute the fields the server derives, so the optimistic row reads right. */
export function withDerived(collection: CollectionName, row: AnyRow): AnyRow {
  if (collection === 'invoices') {
    const lines = (row.lines ?? []) as InvoiceLine[];
    return { ...row, totalCents: invoiceTotal(lines), paidCents: typeof row.paidCents === 'number' ? row.paidCents : 0 };
  }
  if (collection === 'inventory') {
    return { ...row, lowStock: lowStock({ quantity: Number(row.quantity ?? 0), reorderLevel: Number(row.reorderLevel ?? 0) }) };
  }
  return row;
}

/** The row after one change, or null when the change removes it. */
export function applyChange(
  current: AnyRow | null,
  change: PendingChange,
  meta: { userId: string; now: string; defaults?: Record<string, unknown> },
): AnyRow | null {
  switch (change.op) {
    case 'create': {
      if (current) return current; // already known (e.g. the server's copy arrived first)
      const row = { ...(meta.defaults ?? {}), ...(change.data ?? {}), id: change.rowId, version: 1, updatedAt: meta.now, updatedBy: meta.userId } as AnyRow;
      return withDerived(change.collection, row);
    }
    case 'update':
      if (!current) return null;
      return withDerived(change.collection, { ...current, ...(change.data ?? {}), updatedAt: meta.now, updatedBy: meta.userId });
    case 'delete':
      return null;
    case 'adjust': {
      if (!current) return null;
      const delta = Number(change.data?.delta ?? 0);
      return withDerived(change.collection, { ...current, quantity: Math.max(0, Number(current.quantity ?? 0) + delta), updatedAt: meta.now, updatedBy: meta.userId });
    }
  }
}

/** The server's row with this terminal's still-unanswered mutations laid over it. */
export function rebase(
  server: AnyRow | null,
  pending: readonly (PendingChange & { userId: string; createdAt: string })[],
  defaults: (c: CollectionName) => Record<string, unknown>,
): AnyRow | null {
  let row = server;
  for (const p of pending) {
    row = applyChange(row, p, { userId: p.userId, now: p.createdAt, defaults: defaults(p.collection) });
  }
  return row;
}
