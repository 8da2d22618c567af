/**
 * A mutation made on this terminal: decided by the clinic's rules (shared/domain/mutations) on
 * what the cache holds, then the optimistic row and its outbox entry are written in ONE
 * transaction, synced to disk (cache/database.ts, durably), so the change is durable before any
 * window hears of it. A refusal becomes an IPC failure and writes nothing. The server decides
 * again, as the authority, on what it holds.
 */
import { randomUUID } from 'node:crypto';
import type { AnyRow, CollectionName, PublicUser } from '../../shared/domain/collections';
import { decideMutation, type MutationInput } from '../../shared/domain/mutations/decide';
import { decideNow, type RuleReads } from '../../shared/domain/mutations/reads';
import { RuleRefusal } from '../../shared/domain/mutations/refusal';
import { overlaps } from '../../shared/domain/rules';
import { rowChange, type MutateRequest, type RowChange } from '../../shared/ipc/contract';
import type { MutationOp } from '../../shared/sync/protocol';
import { durably, type CacheDb } from '../cache/database';
import type { Outbox } from '../cache/outbox';
import type { RowCache } from '../cache/rows';
import { IpcFailure } from '../ipc/failure';

export interface LocalMutationResult {
  mutationId: string;
  /** What windows hear: the optimistic row (a delete: the id). */
  change: RowChange;
}

interface ValidatedMutation {
  collection: CollectionName;
  op: MutationOp;
  rowId: string;
  baseVersion: number | null;
  data: Record<string, unknown> | null;
}

interface LocalView {
  get(collection: CollectionName, id: string): AnyRow | null;
  list(collection: CollectionName): AnyRow[];
}

export function writeLocalMutation(db: CacheDb, rows: RowCache, outbox: Outbox, user: PublicUser, request: MutateRequest): LocalMutationResult {
  // IMMEDIATE: the write lock first, then the reads. A deferred transaction read the cache, and if
  // another connection (the first download's thread) committed meanwhile it could not write on
  // that stale snapshot: SQLite refuses at once ("database is locked") instead of waiting.
  const write = db.transaction((): LocalMutationResult => {
    const now = new Date().toISOString();
    const { mutation: m, row: next } = decideLocally(request, user, rows, now);
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
      return { mutationId, change: { collection: m.collection, id: m.rowId, op: 'delete' } };
    }
    const stored = rows.put(m.collection, next);
    return { mutationId, change: rowChange(m.collection, m.rowId, 'upsert', stored ?? undefined) };
  });
  return durably(db, () => write.immediate());
}

/** The rules' reads, answered from the cache. It keeps no tombstones, field versions or invoice counter. */
function cacheReads(view: LocalView): RuleReads {
  const slot = (row: AnyRow) => ({ start: String(row.start), end: String(row.end) });
  return {
    row(collection, id) {
      const row = view.get(collection, id);
      return row ? { version: row.version, deleted: false, row, fieldVersions: {} } : null;
    },
    overlappingAppointments: (q) =>
      view
        .list('appointments')
        .filter((a) => a.id !== q.excludeId && (a.providerId === q.providerId || (q.room !== '' && a.room === q.room)) && overlaps(q, slot(a))),
    blockedTimes: (q) => view.list('blocked-times').filter((b) => (b.providerId === null || b.providerId === q.providerId) && overlaps(q, slot(b))),
    // The invoice's paidCents as the server last derived it (its payments may not all be cached).
    paidOnInvoice(invoiceId, exceptPaymentId) {
      const paid = Number(view.get('invoices', invoiceId)?.paidCents ?? 0);
      const left = exceptPaymentId === undefined ? null : view.get('payments', exceptPaymentId);
      return left ? paid - (left.kind === 'refund' ? -1 : 1) * Number(left.amountCents) : paid;
    },
    userByUsername: (username) => view.list('users').find((u) => String(u.username).toLowerCase() === username.toLowerCase()) ?? null,
    lastInvoiceNumber: () => null,
  };
}

/** This terminal's calendar day: a birth date after it is in the future here. */
function localToday(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function ipcFailure(refusal: RuleRefusal): IpcFailure {
  if (refusal.kind === 'forbidden') return new IpcFailure('forbidden', refusal.message);
  const { details, conflictsWith } = refusal.facts;
  return new IpcFailure('bad_request', refusal.message, details ?? (conflictsWith ? [{ conflictsWith: conflictsWith.id }] : undefined));
}

/** What goes into the outbox, and the optimistic row (null: the mutation removes it). */
function decideLocally(
  request: MutateRequest,
  user: PublicUser,
  view: LocalView,
  now: string,
): { mutation: ValidatedMutation; row: AnyRow | null } {
  const { collection } = request;
  if (collection === 'users') throw new IpcFailure('bad_request', 'Users are managed through the admin channels');
  const rowId = request.op !== 'create' ? request.id : typeof request.data.id === 'string' ? request.data.id : randomUUID();
  const input: MutationInput = {
    collection,
    op: request.op,
    id: rowId,
    baseVersion: request.op === 'update' ? request.baseVersion : null,
    data: request.op === 'delete' ? {} : request.data,
  };
  const ctx = { actor: user, now, today: localToday(), authority: 'terminal' as const };
  try {
    const decision = decideNow(decideMutation(ctx, input), cacheReads(view));
    const current = view.get(collection, rowId);
    // The cache keeps the server's version until the server answers (the outbox's base versions rest on it).
    const row = decision.row && { ...decision.row, version: current?.version ?? 1 };
    return { mutation: { collection, op: request.op, rowId, baseVersion: input.baseVersion ?? null, data: decision.data }, row };
  } catch (error) {
    throw error instanceof RuleRefusal ? ipcFailure(error) : error;
  }
}
