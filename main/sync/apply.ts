/**
 * Writing what the server says into the cache. The cached row is always "the server's row with
 * my unanswered mutations laid over it", so a pull never hides an edit still in the outbox and
 * an answer from the server replaces the optimistic guess with the truth.
 */
import { randomUUID } from 'node:crypto';
import type { AnyRow, CollectionName } from '../../shared/domain/collections';
import { collections } from '../../shared/domain/collections';
import { rowChange, type Conflict, type RowChange } from '../../shared/ipc/contract';
import type { Change, MutationResult } from '../../shared/sync/protocol';
import type { ConflictLog } from '../cache/conflicts';
import type { AttentionLog } from '../cache/attention';
import type { Outbox, OutboxEntry } from '../cache/outbox';
import type { RowCache } from '../cache/rows';
import { rebase } from '../mutations/optimistic';

export type { RowChange };

const defaultsOf = (c: CollectionName) => ({ ...collections[c].defaults }) as Record<string, unknown>;

export class CacheWriter {
  constructor(
    private readonly rows: RowCache,
    private readonly outbox: Outbox,
    private readonly conflicts: ConflictLog,
    /** Where refused changes are kept until someone acts on them. */
    private readonly attention?: AttentionLog,
  ) {}

  /** Lay the server's row (null: gone) and my pending mutations into the cache. */
  settle(collection: CollectionName, id: string, server: AnyRow | null): RowChange | null {
    if (!this.rows.holds(collection)) return null;
    const pending = this.outbox.forRow(collection, id);
    const next = pending.length > 0 ? rebase(server, pending, defaultsOf) : server;
    if (next === null) {
      return this.rows.remove(collection, id) ? { collection, id, op: 'delete' } : null;
    }
    // Windows hear only of real changes (a pull often brings back what a push answer already set).
    const before = this.rows.get(collection, id);
    if (before && before.version === next.version && JSON.stringify(before) === JSON.stringify(this.rows.preview(collection, next))) return null;
    const stored = this.rows.put(collection, next);
    return stored ? rowChange(collection, id, 'upsert', stored) : null;
  }

  /** One pulled change. Skips a row older than the one already cached (an answer may come first). */
  applyPulled(change: Change): RowChange | null {
    if (!this.rows.holds(change.collection)) return null;
    if (change.op === 'upsert' && change.row) {
      if (!this.outbox.has(change.collection, change.id)) {
        const cachedVersion = this.rows.versionOf(change.collection, change.id);
        if (cachedVersion !== null && cachedVersion > change.row.version) return null;
        // A row new to this cache with nothing of ours pending (most of a first download): store it.
        if (cachedVersion === null) {
          const stored = this.rows.put(change.collection, change.row);
          return stored ? rowChange(change.collection, change.id, 'upsert', stored) : null;
        }
      }
      return this.settle(change.collection, change.id, change.row);
    }
    return this.settle(change.collection, change.id, null);
  }

  /**
   * The server's answer to one outbox entry. Removes the entry and returns what changed, the
   * conflict to record (if any) and the outcome for the window that made the change.
   */
  applyResult(entry: OutboxEntry, result: MutationResult, server: AnyRow | null) {
    if (result.status === 'rejected' && this.attention) {
      // In the same transaction as the outbox removal: the change moves from one list to the other.
      this.attention.record({
        userId: entry.userId,
        collection: entry.collection,
        op: entry.op,
        rowId: entry.rowId,
        data: entry.data,
        before: entry.op === 'create' ? null : (server ?? this.rows.get(entry.collection, entry.rowId)),
        code: result.code ?? null,
        error: result.error ?? 'refused by the server',
        details: result.details ?? [],
        conflictsWith: (result.conflictsWith as Record<string, unknown> | undefined) ?? null,
        madeAt: entry.createdAt,
      });
    }
    this.outbox.remove(entry.mutationId);
    if (result.status === 'applied' && entry.op === 'update' && server && entry.baseVersion !== null) {
      this.outbox.recordOwnStep(entry.collection, entry.rowId, entry.baseVersion, server.version);
    }
    let conflict: Conflict | null = null;
    if (server && entry.op !== 'delete') this.outbox.rebaseLocal(entry.collection, entry.rowId, server.version);
    if (result.status === 'conflict') {
      const mine = entry.data ?? {};
      const fields =
        result.fields && result.fields.length > 0
          ? result.fields
          : Object.keys(mine).filter((f) => !server || JSON.stringify(server[f]) !== JSON.stringify(mine[f]));
      conflict = {
        id: randomUUID(),
        collection: entry.collection,
        rowId: entry.rowId,
        mutationId: entry.mutationId,
        fields,
        mine: Object.fromEntries(fields.filter((f) => f in mine).map((f) => [f, mine[f]])),
        theirs: server ?? {},
        recordedAt: new Date().toISOString(),
      };
      this.conflicts.record(conflict);
    }
    // Whatever the status, the server's row (null: it has none) is now the truth for this row.
    const change = this.settle(entry.collection, entry.rowId, server);
    return { change, conflict };
  }

  /** Make a whole collection equal to the server's list (the bench's seed refetch, bench/support/refetchEverything.ts). */
  replaceCollection(collection: CollectionName, serverRows: AnyRow[]): RowChange[] {
    const changes: RowChange[] = [];
    const seen = new Set<string>();
    for (const row of serverRows) {
      seen.add(row.id);
      const before = this.rows.get(collection, row.id);
      const pending = this.outbox.has(collection, row.id);
      if (!pending && before && JSON.stringify(before) === JSON.stringify(this.rowAsStored(collection, row))) continue;
      const c = this.settle(collection, row.id, row);
      if (c) changes.push(c);
    }
    for (const row of this.rows.list(collection)) {
      if (seen.has(row.id)) continue;
      const c = this.settle(collection, row.id, null);
      if (c) changes.push(c);
    }
    return changes;
  }

  private rowAsStored(collection: CollectionName, row: AnyRow): AnyRow {
    // Cheap equality check: what put() would store differs only by redaction.
    return this.rows.preview(collection, row) ?? row;
  }
}
