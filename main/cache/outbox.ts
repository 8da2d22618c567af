/**
 * The outbox: mutations made on this terminal that the server has not answered yet, in the order
 * they were made. Written in the same transaction as the optimistic row, removed only once the
 * server's answer has been applied, so a crash in between replays the mutation (its id makes the
 * replay harmless on the server).
 */
import type { CollectionName } from '../../shared/domain/collections';
import type { Mutation, MutationOp } from '../../shared/sync/protocol';
import type { CacheDb } from './database';
import { prepared } from './prepared';

export interface OutboxEntry {
  seq: number;
  mutationId: string;
  collection: CollectionName;
  op: MutationOp;
  rowId: string;
  baseVersion: number | null;
  baseIsLocal: boolean;
  data: Record<string, unknown> | null;
  userId: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
}

interface OutboxRecord {
  seq: number;
  mutation_id: string;
  collection: string;
  op: string;
  row_id: string;
  base_version: number | null;
  base_is_local: number;
  data: string | null;
  user_id: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
}

function fromRecord(r: OutboxRecord): OutboxEntry {
  return {
    seq: r.seq,
    mutationId: r.mutation_id,
    collection: r.collection as CollectionName,
    op: r.op as MutationOp,
    rowId: r.row_id,
    baseVersion: r.base_version,
    baseIsLocal: r.base_is_local === 1,
    data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
    userId: r.user_id,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
  };
}

export function toMutation(e: OutboxEntry): Mutation {
  const m: Mutation = { mutationId: e.mutationId, collection: e.collection, op: e.op, id: e.rowId };
  if (e.baseVersion !== null) m.baseVersion = e.baseVersion;
  if (e.data !== null) m.data = e.data;
  return m;
}

/** How many rows' own answered edits are remembered (memory only; a restart forgets them). */
const ownStepRows = 500;

export class Outbox {
  constructor(private readonly db: CacheDb) {}

  /**
   * Versions this terminal's own edits made, per row: base version -> the version the server gave
   * it, kept only when nobody else wrote in between (result = base + 1). A window may send its next
   * edit on the version it last showed while the answer to its previous edit is still on its way
   * (two status clicks, quick moves in the book); such an edit rests on that answer, not on a
   * colleague's change, so it must not come back as a conflict with itself.
   */
  private readonly ownSteps = new Map<string, Map<number, number>>();

  recordOwnStep(collection: CollectionName, rowId: string, from: number, to: number): void {
    if (to !== from + 1) return;
    const key = `${collection}:${rowId}`;
    const steps = this.ownSteps.get(key) ?? new Map<number, number>();
    this.ownSteps.delete(key); // re-inserted last: the oldest row goes first
    steps.set(from, to);
    if (steps.size > 20) steps.delete(steps.keys().next().value as number);
    this.ownSteps.set(key, steps);
    if (this.ownSteps.size > ownStepRows) this.ownSteps.delete(this.ownSteps.keys().next().value as string);
  }

  /** `base` carried forward over this terminal's own answered edits of the row, and only those. */
  ownBase(collection: CollectionName, rowId: string, base: number): number {
    const steps = this.ownSteps.get(`${collection}:${rowId}`);
    let version = base;
    while (steps?.has(version)) version = steps.get(version)!;
    return version;
  }

  append(entry: Omit<OutboxEntry, 'seq' | 'attempts' | 'lastError'>): void {
    prepared(
      this.db,
      `INSERT INTO outbox (mutation_id, collection, op, row_id, base_version, base_is_local, data, user_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
        entry.mutationId,
        entry.collection,
        entry.op,
        entry.rowId,
        entry.baseVersion,
        entry.baseIsLocal ? 1 : 0,
        entry.data === null ? null : JSON.stringify(entry.data),
        entry.userId,
        entry.createdAt,
      );
  }

  /** The oldest pending entries, in the order they were made. */
  pending(limit = 1_000_000): OutboxEntry[] {
    return (prepared(this.db, 'SELECT * FROM outbox ORDER BY seq LIMIT ?').all(limit) as OutboxRecord[]).map(fromRecord);
  }

  forRow(collection: CollectionName, rowId: string): OutboxEntry[] {
    const records = prepared(this.db, 'SELECT * FROM outbox WHERE collection = ? AND row_id = ? ORDER BY seq').all(collection, rowId);
    return (records as OutboxRecord[]).map(fromRecord);
  }

  has(collection: CollectionName, rowId: string): boolean {
    return prepared(this.db, 'SELECT 1 FROM outbox WHERE collection = ? AND row_id = ? LIMIT 1').get(collection, rowId) !== undefined;
  }

  size(): number {
    return (prepared(this.db, 'SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  }

  /** Users with unsent mutations (a different user must not sign in over them). */
  owners(): string[] {
    return (prepared(this.db, 'SELECT DISTINCT user_id FROM outbox').all() as { user_id: string }[]).map((r) => r.user_id);
  }

  remove(mutationId: string): void {
    prepared(this.db, 'DELETE FROM outbox WHERE mutation_id = ?').run(mutationId);
  }

  /** Later edits made on top of an answered mutation now rest on the version the server gave it. */
  rebaseLocal(collection: CollectionName, rowId: string, version: number): void {
    prepared(this.db, 'UPDATE outbox SET base_version = ? WHERE collection = ? AND row_id = ? AND base_is_local = 1 AND op = ?').run(
      version,
      collection,
      rowId,
      'update',
    );
  }

  recordFailure(mutationIds: string[], error: string): void {
    const stmt = prepared(this.db, 'UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE mutation_id = ?');
    for (const id of mutationIds) stmt.run(error, id);
  }

  clear(): void {
    this.db.exec('DELETE FROM outbox');
    this.ownSteps.clear();
  }
}
