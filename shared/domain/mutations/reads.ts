/**
 * What the rules read, and how each end answers. A rule is a generator: it yields each read it
 * needs (`yield* ask('row', ...)`) and gets the answer back, so one rule runs synchronously on the
 * terminal (inside its SQLite transaction, from the cache) and asynchronously on the server (from
 * SQLite or PostgreSQL, taking the lock each read needs first). The rule itself stays pure.
 */
import type { AnyRow, CollectionName, Role } from '../collections';

/** A row as the rules see it: the public row and what the field-level merge needs. */
export interface RuleRow {
  version: number;
  /** A tombstone (the server keeps them; a terminal's cache does not). */
  deleted: boolean;
  row: AnyRow;
  /** field -> the row version that last wrote it; empty where this end does not keep them (a terminal). */
  fieldVersions: Record<string, number>;
}

export interface SlotQuery {
  start: string;
  end: string;
  providerId: string;
  /** '' means no room: then only the provider can clash. */
  room: string;
  /** The appointment being written, which cannot clash with itself. */
  excludeId: string;
}

export interface BlockQuery {
  start: string;
  end: string;
  /** The provider being booked: their own blocks and the clinic-wide ones (providerId null) count. */
  providerId: string;
}

export interface RuleReads {
  /** The row, or null when this end has no such row. `forWrite`: the rule may write it (the server locks it first). */
  row(collection: CollectionName, id: string, forWrite: boolean): RuleRow | null;
  /** Live appointments of the provider or the room that overlap [start, end) (the server locks the slot first). */
  overlappingAppointments(query: SlotQuery): AnyRow[];
  /** Live blocked times of the provider, or of the whole clinic, that overlap [start, end). */
  blockedTimes(query: BlockQuery): AnyRow[];
  /** What an invoice has been paid (refunds taken off), leaving out one payment (one being deleted). */
  paidOnInvoice(invoiceId: string, exceptPaymentId?: string): number;
  /** The live user with this username (case-insensitive), if any. */
  userByUsername(username: string): AnyRow | null;
  /** The last invoice number given (the server locks the counter), or null where this end gives none (a terminal). */
  lastInvoiceNumber(): number | null;
}

/** The server's reads: the same questions, answered from a store. */
export type AsyncRuleReads = { [K in keyof RuleReads]: (...args: Parameters<RuleReads[K]>) => Promise<ReturnType<RuleReads[K]>> };

export type RuleRead = { [K in keyof RuleReads]: { read: K; args: Parameters<RuleReads[K]> } }[keyof RuleReads];

/** A rule: yields reads, returns its result or throws a RuleRefusal. */
export type Rule<T> = Generator<RuleRead, T, unknown>;

/** One read inside a rule: `const stored = yield* ask('row', 'patients', id, false)`. */
export function* ask<K extends keyof RuleReads>(read: K, ...args: Parameters<RuleReads[K]>): Rule<ReturnType<RuleReads[K]>> {
  return (yield { read, args } as RuleRead) as ReturnType<RuleReads[K]>;
}

function answer(reads: RuleReads | AsyncRuleReads, request: RuleRead): unknown {
  return (reads[request.read] as (...args: unknown[]) => unknown).apply(reads, request.args);
}

/** Run a rule on reads answered at once (the terminal's cache). */
export function decideNow<T>(rule: Rule<T>, reads: RuleReads): T {
  let step = rule.next();
  while (!step.done) step = rule.next(answer(reads, step.value));
  return step.value;
}

/** Run a rule on reads that take a round trip (the server's store). */
export async function decideOn<T>(rule: Rule<T>, reads: AsyncRuleReads): Promise<T> {
  let step = rule.next();
  while (!step.done) step = rule.next(await answer(reads, step.value));
  return step.value;
}

/** Who decides, for whom, and when. */
export interface RuleContext {
  actor: { id: string; role: Role };
  /** The instant stamped on written rows. */
  now: string;
  /** The calendar day (YYYY-MM-DD) birth dates are checked against. */
  today: string;
  /**
   * The server decides for the whole clinic. A terminal decides on what its cache holds, which may
   * lag: a referenced row it has not heard of yet is no reason to refuse (the server checks it).
   */
  authority: 'server' | 'terminal';
  /** Sync: deleting a row that is already gone is what the terminal wanted, so it is applied. */
  tombstoneDeleteIsApplied?: boolean;
}
