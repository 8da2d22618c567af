/**
 * The cached view as "server row + my pending mutations": each unanswered mutation laid again over
 * the server's newer row. Replays are not decided again: the rules (shared/domain/mutations) decided
 * each when it was made and the server decides it on arrival; a replay only merges and derives.
 */
import type { AnyRow, CollectionName } from '../../shared/domain/collections';
import { withDerived } from '../../shared/domain/mutations/derived';
import type { MutationOp } from '../../shared/sync/protocol';

export interface PendingChange {
  op: MutationOp;
  collection: CollectionName;
  rowId: string;
  data: Record<string, unknown> | null;
}

/** The row after one change, or null when the change removes it. */
function applyChange(
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
      // The server's quantity may have fallen meanwhile: the replay floors at zero, the server refuses.
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
