/**
 * Everything the terminal asks of its cache, in one place: it runs where the cache connection
 * lives, on the cache thread, and the main thread reaches it only through cacheThread.ts, one
 * awaited message per call. Each method is one step the core or the sync
 * engine takes (a local write with its outbox entry, a push answer, a pulled page), so a step is
 * one message and one transaction, never a conversation.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AnyRow, CollectionName, PublicUser, Role } from '../../shared/domain/collections';
import { loopDelayOf, type LoopDelay } from '../loopDelay';
import type { Conflict, EventPayload, MutateRequest } from '../../shared/ipc/contract';
import type { AttentionEntry } from '../../shared/ipc/attention';
import type { MutationResult } from '../../shared/sync/protocol';
import { warmUpSyncParsers } from '../../shared/sync/warmUp';
import { openCache, type CacheDb, type CacheKey } from './database';
import { WalCheckpointer } from './checkpointer';
import { RowCache } from './rows';
import { Outbox, type OutboxEntry } from './outbox';
import { ConflictLog } from './conflicts';
import { AttentionLog } from './attention';
import { TerminalState, type CachedSession } from './state';
import { CacheWriter, type RowChange } from '../sync/apply';
import { parsePulledChange } from '../sync/client';
import { readPulledPage, type ReadPulledPage } from '../sync/pulledPage';
import { dropLoadTables } from '../sync/firstDownload/bulkLoad';
import { removeSnapshotFiles } from '../sync/firstDownload/snapshotImport';
import { writeLocalMutation, type LocalMutationResult } from '../mutations/local';
import { jsonListText, type JsonText } from '../ipc/jsonText';
import { OfflineVerifiers, type OfflineCheck } from '../session/offlineVerifiers';

export interface CacheOpenOptions {
  dataDir: string;
  cacheKey: CacheKey | null;
  /** The WAL checkpoint thread's script (a file path: it crosses to the cache thread as a string). */
  checkpointWorker: string;
  nativeBinding?: string;
}

/** What the cache tells the main thread without being asked. */
export type CacheNotice = { type: 'log'; line: string } | { type: 'attention.changed'; userId: string; entries: AttentionEntry[] };

export type { CachedSession };

/** What the main thread reads once at start: the session and the settings, which it then keeps in memory and writes through. */
export interface CacheOpening {
  file: string;
  session: CachedSession | null;
  settings: Record<string, string>;
  cursor: string | null;
}

/**
 * Rows a step changed, as the 'data.changed' payload the windows get: its JSON text, written on
 * this thread in small pieces (ipc/jsonText.ts), so the main thread only passes it on; and how many.
 */
export interface ChangedRows {
  count: number;
  payload: JsonText<EventPayload<'data.changed'>>;
}

const changedHead = `{"source":${JSON.stringify('remote' satisfies EventPayload<'data.changed'>['source'])},"changes":[`;

/** `changes`: each change's JSON text (JSON.stringify of a RowChange). */
function changedRows(changes: string[]): ChangedRows {
  return { count: changes.length, payload: jsonListText(changedHead, changes, ']}') };
}

/** A page of changes a poke carried (main/sync/puller.ts): the cursor it continues, and where it ends. */
export interface PokedPage {
  /** The cursor the changes follow: the cache must be exactly there. */
  from: string;
  cursor: string;
  changes: unknown[];
}

/** What a sync run starts from (runStart); `applied`: how many poked pages it applied (each continuing the one before), and what they changed. */
export interface RunStart {
  cursor: string | null;
  batch: OutboxEntry[];
  applied: { pages: number; count: number; cursor: string; changed: ChangedRows; counts: SyncCounts } | null;
}

/** What sync.status counts: unsent changes and conflicts. */
export interface SyncCounts {
  pending: number;
  conflicts: number;
}

export interface PushAnswerApplied {
  changed: ChangedRows;
  conflicts: EventPayload<'conflict.recorded'>[];
  outcomes: EventPayload<'mutation.outcome'>[];
}

/**
 * Time one transaction of pulled rows may take before the cache thread turns to the next message
 * (a window's list or a local write waiting behind a page). With its commit (about 1 ms:
 * checkpoints run on another thread, see checkpointer.ts) a slice stays a few milliseconds.
 */
const applySliceBudgetMs = 4;
/** What a slice's commit may take, by the commit cost per row measured so far. */
const commitBudgetMs = 3;
/** A slice takes at least this many rows, so a slow disk still makes progress. */
const minSliceRows = 25;

export class CacheService {
  private readonly db: CacheDb;
  private readonly checkpointer: WalCheckpointer;
  private readonly state: TerminalState;
  private readonly rows: RowCache;
  private readonly outbox: Outbox;
  private readonly conflictLog: ConflictLog;
  private readonly attention: AttentionLog;
  private readonly writer: CacheWriter;
  private readonly verifiers: OfflineVerifiers;
  private readonly loopDelayHistogram = monitorEventLoopDelay({ resolution: 10 });
  /** Recent cost of a pull slice's commit per row (see applyPulledSlice); 0 until measured. */
  private commitMsPerRow = 0;
  /** Pull pages read (readPulledAnswer) and not yet applied, by number: the puller fetches the next meanwhile. */
  private readonly readPages = new Map<number, ReadPulledPage>();
  private lastReadPage = 0;

  constructor(
    options: CacheOpenOptions,
    notify: (notice: CacheNotice) => void,
  ) {
    const log = (line: string) => notify({ type: 'log', line });
    this.db = openCache(options.dataDir, options.cacheKey, log);
    this.checkpointer = new WalCheckpointer(this.db, {
      script: options.checkpointWorker,
      log,
      cacheKey: options.cacheKey,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    });
    // No keystore here: the main thread keeps the tokens (the OS keystore answers only there).
    this.state = new TerminalState(this.db);
    this.rows = new RowCache(this.db, () => this.state.getSession()?.user.role ?? null);
    this.outbox = new Outbox(this.db);
    this.conflictLog = new ConflictLog(this.db);
    this.attention = new AttentionLog(this.db, (userId) => notify({ type: 'attention.changed', userId, entries: this.attention.list(userId) }));
    this.writer = new CacheWriter(this.rows, this.outbox, this.conflictLog, this.attention);
    this.verifiers = new OfflineVerifiers(this.db);
  }

  opening(): CacheOpening {
    const all = this.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
    const s = this.state.getSession();
    return {
      file: this.db.name,
      session: s ? { user: s.user, signedIn: s.signedIn } : null,
      settings: Object.fromEntries(all.map((r) => [r.key, r.value])),
      cursor: this.state.getCursor(),
    };
  }

  /** A first download's thread starts writing to the cache file (see WalCheckpointer.bulkWritesComing). */
  bulkWritesComing(): void {
    this.checkpointer.bulkWritesComing();
  }

  async close(): Promise<void> {
    this.loopDelayHistogram.disable();
    await this.checkpointer.stop();
    this.db.close();
  }

  // ---------- session and settings (the main thread keeps a copy) ----------

  saveSession(session: CachedSession | null): void {
    if (session === null) this.state.clearSession();
    else this.state.setSession(session);
  }

  setSetting(key: string, value: string | null): void {
    if (value === null) this.state.deleteSetting(key);
    else this.state.setSetting(key, value);
  }

  /** Drop everything cached for the previous user (and its deleted pages, see secure_delete). */
  clearCache(): void {
    this.db.transaction(() => {
      this.rows.clearAll();
      dropLoadTables(this.db);
      removeSnapshotFiles(this.db.name);
      this.conflictLog.clear();
      this.state.clearCursor();
      this.state.clearSession();
    })();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  cursor(): string | null {
    return this.state.getCursor();
  }

  // ---------- what windows read and write ----------

  /** The collection's rows as the JSON text of an array (SQLite joins it; the main thread parses it once). */
  listJson(collection: CollectionName): string {
    return this.rows.jsonAfter(collection, 0, Number.MAX_SAFE_INTEGER).json;
  }

  holds(collection: CollectionName): boolean {
    return this.rows.holds(collection);
  }

  row(collection: CollectionName, id: string): AnyRow | null {
    return this.rows.get(collection, id);
  }

  rowsJsonAfter(collection: CollectionName, after: number, limit: number): { json: string; count: number; last: number } {
    return this.rows.jsonAfter(collection, after, limit);
  }

  mutate(user: PublicUser, request: MutateRequest): LocalMutationResult {
    return writeLocalMutation(this.db, this.rows, this.outbox, user, request);
  }

  // ---------- the outbox and the server's answers ----------

  outboxSize(): number {
    return this.outbox.size();
  }

  outboxOwners(): string[] {
    return this.outbox.owners();
  }

  /**
   * What a sync run starts from, in one message: the cursor (read at every run's start, see
   * Puller.beginRun) and the first push batch (nextBatch). With nothing to push, the pages pokes
   * brought that continue the cursor are applied here too, as the run's intake would apply them
   * next (Puller.catchUpFromPokes), with the counts sync.status shows after them. A received edit
   * is then one message to this thread instead of three (cursor and batch, the page, the counts):
   * each message wakes both threads, on every terminal of a clinic, for every edit.
   */
  async runStart(pushLimit: number, poked: readonly PokedPage[]): Promise<RunStart> {
    const cursor = this.cursor();
    const batch = this.nextBatch(pushLimit);
    if (batch.length > 0 || cursor === null || poked.length === 0) return { cursor, batch, applied: null };
    const raw: unknown[] = [];
    let at = cursor;
    let pages = 0;
    for (const page of poked) {
      if (page.from !== at) continue;
      for (const change of page.changes) raw.push(change);
      at = page.cursor;
      pages++;
    }
    if (pages === 0) return { cursor, batch, applied: null };
    const changed = await this.applyPulledPage(raw, at);
    return { cursor, batch, applied: { pages, count: raw.length, cursor: at, changed, counts: this.syncCounts() } };
  }

  /** The next push batch: in order, and at most one mutation per row (a later edit needs the version the server gives the earlier one). */
  nextBatch(limit: number): OutboxEntry[] {
    const batch: OutboxEntry[] = [];
    const rowsInBatch = new Set<string>();
    for (const e of this.outbox.pending(limit)) {
      const key = `${e.collection}/${e.rowId}`;
      if (rowsInBatch.has(key)) break;
      rowsInBatch.add(key);
      batch.push(e);
    }
    return batch;
  }

  recordPushFailure(mutationIds: string[], error: string): void {
    this.outbox.recordFailure(mutationIds, error);
  }

  /** The server's answers to a batch, in one transaction; `fetched`: rows fetched for refusals that carried none. */
  applyPushAnswer(batch: OutboxEntry[], results: MutationResult[], fetched: Record<string, AnyRow | null>): PushAnswerApplied {
    const byId = new Map(results.map((r) => [r.mutationId, r]));
    const changes: string[] = [];
    const applied: Omit<PushAnswerApplied, 'changed'> = { conflicts: [], outcomes: [] };
    this.db.transaction(() => {
      for (const e of batch) {
        const r = byId.get(e.mutationId);
        if (!r) continue; // not answered: stays in the outbox for the next run
        const own = r.row && r.row.id === e.rowId ? r.row : null;
        const server = own ?? (e.mutationId in fetched ? fetched[e.mutationId]! : null);
        const { change, conflict } = this.writer.applyResult(e, r, server as AnyRow | null);
        if (change) changes.push(JSON.stringify(change));
        if (conflict) applied.conflicts.push(conflict);
        applied.outcomes.push({
          mutationId: e.mutationId,
          collection: e.collection,
          id: e.rowId,
          op: e.op,
          status: r.status,
          ...(r.error ? { error: r.error } : {}),
        });
      }
    })();
    return { ...applied, changed: changedRows(changes) };
  }

  // ---------- pulled changes ----------

  /**
   * Builds the sync path's parsers, once, as the thread starts (cacheThread.ts, after the opening
   * answer): the first check of a pulled change or a local edit builds its schema's parser (5-35 ms
   * here), and done on a terminal's first received edit it was the whole tail of the 50-core
   * figure, every core paying it for the same edit at once (docs/performance.md, "What one core
   * spends per received edit"). Nothing is written, and no verdict is wanted (shared/sync/warmUp.ts).
   */
  warmUp(): void {
    warmUpSyncParsers();
  }

  /**
   * A pull answer as the server's bytes, read and checked here (sync/pulledPage.ts; a bad answer
   * is refused as in the client); the main thread gets the facts it schedules on, and the page
   * waits for applyReadPage. A page read before it and not applied is dropped.
   */
  readPulledAnswer(bytes: Uint8Array, path: string): { page: number; cursor: string; hasMore: boolean; total: number | null; changes: number } {
    const read = readPulledPage(bytes, path);
    const page = ++this.lastReadPage;
    this.readPages.clear();
    this.readPages.set(page, read);
    return { page, cursor: read.cursor, hasMore: read.hasMore, total: read.total, changes: read.changes.length };
  }

  /** A page readPulledAnswer read, applied as applyPulledPage; null when it is no longer kept. */
  async applyReadPage(page: number): Promise<ChangedRows | null> {
    const read = this.readPages.get(page);
    if (!read) return null;
    this.readPages.delete(page);
    return this.applyPulledPage(read.changes, read.cursor);
  }

  /**
   * A pulled page in time-boxed slices, one transaction each, the cursor stored with the last one;
   * between slices the thread turns to the next message. A crash mid-page re-applies its first
   * slices, which applyPulled tolerates (same versions).
   */
  async applyPulledPage(raw: unknown[], cursor: string): Promise<ChangedRows> {
    const changes: string[] = [];
    let from = 0;
    for (;;) {
      from = this.applyPulledSlice(raw, from, cursor, changes);
      if (from >= raw.length) return changedRows(changes);
      await yieldToEventLoop();
    }
  }

  /**
   * Check and apply pulled changes from `from` on, until they are all applied or the slice's budget
   * is spent. The budget covers the commit too: in a big cache each new row touches an index page
   * of its own (random ids), so the commit's cost per row, learnt from the slices before, caps how
   * many rows a slice takes. Each change's JSON text is written in its slice (`changes`), so the
   * page's event costs no slice of its own.
   */
  private applyPulledSlice(raw: unknown[], from: number, pageCursor: string, changes: string[]): number {
    let to = from;
    const started = performance.now();
    const maxRows = this.commitMsPerRow > 0 ? Math.max(minSliceRows, Math.floor(commitBudgetMs / this.commitMsPerRow)) : Infinity;
    let bodyDone = started;
    this.db.transaction(() => {
      while (to < raw.length && to - from < maxRows) {
        const c = this.writer.applyPulled(parsePulledChange(raw[to]));
        to++;
        if (c) changes.push(JSON.stringify(c));
        if (performance.now() - started > applySliceBudgetMs) break;
      }
      if (to >= raw.length) this.state.setCursor(pageCursor);
      bodyDone = performance.now();
    })();
    const rows = to - from;
    if (rows >= minSliceRows) {
      const perRow = (performance.now() - bodyDone) / rows;
      this.commitMsPerRow = this.commitMsPerRow === 0 ? perRow : 0.7 * this.commitMsPerRow + 0.3 * perRow;
    }
    return to;
  }

  /** Every cached row goes and the cursor with it (the server was restored from a backup); the deletions windows hear of. */
  forgetServerRows(collections: CollectionName[]): ChangedRows {
    const gone: string[] = [];
    for (const collection of collections) {
      for (const row of this.rows.list(collection)) gone.push(JSON.stringify({ collection, id: String(row.id), op: 'delete' } satisfies RowChange));
    }
    this.db.transaction(() => {
      this.rows.clearAll();
      this.state.clearCursor();
    })();
    return changedRows(gone);
  }

  /** A collection fetched in full (the bench's seed refetch): what changed against the cache. */
  replaceCollection(collection: CollectionName, rows: AnyRow[]): RowChange[] {
    return this.db.transaction(() => this.writer.replaceCollection(collection, rows))();
  }

  // ---------- conflicts and "Needs attention" ----------

  conflicts(): Conflict[] {
    return this.conflictLog.list();
  }

  conflict(id: string): Conflict | null {
    return this.conflictLog.get(id);
  }

  removeConflict(id: string): void {
    this.conflictLog.remove(id);
  }

  /** What sync.status counts, in one message: unsent changes and conflicts. */
  syncCounts(): SyncCounts {
    return { pending: this.outboxSize(), conflicts: this.conflictCount() };
  }

  conflictCount(): number {
    return this.conflictLog.count();
  }

  attentionList(userId: string): AttentionEntry[] {
    return this.attention.list(userId);
  }

  dismissAttention(userId: string, id: string): boolean {
    return this.attention.dismiss(userId, id);
  }

  clearAttention(): void {
    this.attention.clear();
  }

  // ---------- offline sign-in verifiers ----------

  rememberVerifier(username: string, password: string, user: PublicUser): Promise<void> {
    return this.verifiers.remember(username, password, user);
  }

  checkVerifier(username: string, password: string, maxAgeDays: number): Promise<OfflineCheck> {
    return this.verifiers.check(username, password, maxAgeDays);
  }

  forgetVerifier(username: string): void {
    this.verifiers.forget(username);
  }

  forgetVerifiersOf(userId: string): void {
    this.verifiers.forgetUserId(userId);
  }

  forgetAllVerifiers(): void {
    this.verifiers.forgetAll();
  }

  /**
   * This thread's event-loop delay (the main thread measures its own): what a window's request may
   * wait here. Measured only from a first `reset` on (a benchmark's start): its timer wakes the
   * thread 100 times a second, which an idle terminal should not pay for a figure it never reads.
   */
  loopDelay(reset = false): LoopDelay {
    const h = this.loopDelayHistogram;
    const delay = loopDelayOf(h);
    if (reset) {
      h.reset();
      h.enable();
    }
    return delay;
  }

  /** A benchmark's cache setting (bench/sync-terminal.ts BENCH_CACHE_PRAGMAS); nothing in the terminal calls it. */
  benchPragma(statement: string): unknown {
    return this.db.pragma(statement);
  }

  /** The role whose view the cache holds (for tests and logs). */
  role(): Role | null {
    return this.state.getSession()?.user.role ?? null;
  }
}
