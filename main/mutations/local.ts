/**
 * A mutation made on this terminal: validated, then the optimistic row and its outbox entry are
 * written in ONE transaction, so the change is durable before any window hears of it.
 */
import { randomUUID } from 'node:crypto';
import type { PublicUser } from '../../shared/domain/collections';
import { rowChange, type AnyWireRow, type MutateRequest, type RowChange } from '../../shared/ipc/contract';
import type { CacheDb } from '../cache/database';
import type { Outbox } from '../cache/outbox';
import type { RowCache } from '../cache/rows';
import { validateMutation } from './validate';

export interface LocalMutationResult {
  mutationId: string;
  row: AnyWireRow | null;
  change: RowChange;
}

export function writeLocalMutation(db: CacheDb, rows: RowCache, outbox: Outbox, user: PublicUser, request: MutateRequest): LocalMutationResult {
  // IMMEDIATE: the write lock first, then the reads. A deferred transaction read the cache, and if
  // another connection (the first download's thread) committed meanwhile it could not write on
  // that stale snapshot: SQLite refuses at once ("database is locked") instead of waiting.
  const write = db.transaction((): LocalMutationResult => {
    const now = new Date().toISOString();
    const { mutation: m, row: next } = validateMutation(request, user, rows, now);
    const mutationId = randomUUID();
    const current = rows.get(m.collection, m.rowId);
    // An edit of a row with earlier edits still unanswered was made on the optimistic row.
    const baseIsLocal = m.op === 'update' && outbox.has(m.collection, m.rowId);
    // An edit on a version older than the cached one, where only this terminal's own answered
    // edits lie between, rests on those answers (see Outbox.ownBase).
    if (m.op === 'update' && !baseIsLocal && current && m.baseVersion !== null && m.baseVersion < current.version) {
      const carried = outbox.ownBase(m.collection, m.rowId, m.baseVersion);
      if (carried === current.version) m.baseVersion = carried;
    }
    outbox.append({
      mutationId,
      collection: m.collection,
      op: m.op,
      rowId: m.rowId,
      baseVersion: m.baseVersion,
      baseIsLocal,
      data: m.data,
      userId: user.id,
      createdAt: now,
    });
    if (next === null) {
      rows.remove(m.collection, m.rowId);
      return { mutationId, row: null, change: { collection: m.collection, id: m.rowId, op: 'delete' } };
    }
    const stored = rows.put(m.collection, next);
    return { mutationId, row: stored, change: rowChange(m.collection, m.rowId, 'upsert', stored ?? undefined) };
  });
  return write.immediate();
}
