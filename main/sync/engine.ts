/**
 * The sync engine: one loop that pushes the outbox and pulls what changed, never two runs at
 * once (a request during a run makes the loop go round once more). It is driven by the live
 * channel's pokes, by local mutations, and, while the live channel is down, by the seed's
 * polling schedule. Failures back off exponentially with jitter.
 *
 * Two strategies share this loop:
 * - 'live' (default): cursor pulls of deltas, woken by the live WebSocket.
 * - 'baseline': the seed's behaviour kept for benchmarks: no live channel; every 30/60 s and
 *   after every mutation GET each collection in full through the REST routes.
 */
import { rmSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AnyRow, CollectionName, Role } from '../../shared/domain/collections';
import { syncedCollections } from '../../shared/domain/access';
import type { EventChannel, EventPayload, SyncStatus } from '../../shared/ipc/contract';
import type { MutationResult } from '../../shared/sync/protocol';
import type { CacheCalls } from '../cache/cache-messages';
import { toMutation, type OutboxEntry } from '../cache/outbox';
import { Backoff } from './backoff';
import { PokedChanges } from './pokedChanges';
import { LiveChannel } from './live';
import { BadServerAnswer, ServerClient, ServerRefused, ServerUnreachable, SessionExpired, type PulledPage, type SnapshotPart } from './client';
import { testCrashPoint } from '../crash-hooks';
import type { FirstDownload } from './firstDownload/firstDownload';
import { newSnapshotSeal, removeSnapshotFiles, sealingStream, snapshotFileBeside, type SnapshotSeal } from './firstDownload/snapshotImport';
import { snapshotPartRows } from '../../shared/sync/snapshot';

export type SyncStrategy = 'live' | 'baseline';

/** A snapshot part already on its way when its download failed or stopped is nobody's: it holds a user's rows. */
function discardPrefetched(next: Promise<FirstAnswer>): void {
  next.then((a) => a.kind === 'snapshot' && rmSync(a.file, { force: true }), () => undefined);
}

/** What a first download starts from: a snapshot of every row, or the change log's first page. */
type FirstAnswer = { kind: 'snapshot'; file: string; part: SnapshotPart; seal: SnapshotSeal } | { kind: 'page'; bytes: Buffer };

export interface SyncSchedule {
  /** Patients and appointments (and, for the live strategy, the whole cursor pull). */
  fastMs: number;
  /** Inventory and referrals. */
  slowMs: number;
  /** Page size of pulls. */
  pullLimit: number;
  /** Mutations per push request. */
  pushBatch: number;
}

/** The first pull page of a run (see pullDeltas). */
const firstPullLimit = 250;
/** How long a push waits for the poke of its own commit before pulling instead (catchUpFromPokes). */
const pokeGraceMs = 2000;
/** Rows per 'data.downloaded' event when windows hear of a first download's rows (about 1 ms each). */
const announceBatchRows = 2000;

export const seedSchedule: SyncSchedule = { fastMs: 30_000, slowMs: 60_000, pullLimit: 2000, pushBatch: 200 };
const fastCollections: CollectionName[] = ['patients', 'appointments'];
const slowCollections: CollectionName[] = ['inventory', 'referrals'];

export type Emit = <E extends EventChannel>(channel: E, payload: EventPayload<E>) => void;

export interface EngineDeps {
  /** The cache, on its own thread: every call is one awaited message. */
  cache: CacheCalls;
  /** The cache file: snapshot parts are written beside it. */
  cacheFile: string;
  client: ServerClient;
  clientId: string;
  strategy: SyncStrategy;
  /** Live strategy: ask for pokes that carry the changes, saving a pull per change (default true). */
  pokedChanges?: boolean;
  schedule: SyncSchedule;
  emit: Emit;
  role: () => Role | null;
  onSessionExpired: (reason: string) => void;
  /**
   * Starts a first download on a thread of its own (sync/firstDownload); without it, or when the
   * thread cannot run, the engine writes the first download's pages itself, slice by slice.
   */
  startDownload?: (role: Role, collections: CollectionName[], onAppended: (changes: number) => void) => Promise<FirstDownload>;
  log: (line: string) => void;
}

export class SyncEngine {
  private running: Promise<void> | null = null;
  private wanted = false;
  private stopped = true;
  private readonly due = new Set<CollectionName>();
  private readonly backoff = new Backoff(500, 30_000);
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly live: LiveChannel | null;
  private readonly poked = new PokedChanges();
  /** Someone asked for a pull (sync.now, or a poke that did not come): skip no pull until one ran. */
  private pullWanted = false;
  private reachable = false;
  private lastSyncedAt: string | null = null;
  private lastError: string | null = null;
  private initial = { done: true, received: 0, total: null as number | null };
  private lastStatusJson = '';
  /** A batch the server refused as a whole is retried one mutation at a time to find the culprit. */
  private pushOneByOne = false;
  /** The cursor the cache holds, as far as this engine knows (read at each run's start). */
  private cursor: string | null = null;
  /** The first download in progress, kept across failed requests so it resumes where it stopped. */
  private download: FirstDownload | null = null;
  /** Set when the download thread could not start: first downloads run on the main thread. */
  private downloadThreadUnavailable = false;
  /** Set when the server offers no snapshot, or sent one this terminal refused: walk the log. */
  private snapshotsUnusable = false;
  /** Snapshot parts fetched so far: each gets a file name of its own. */
  private snapshotParts = 0;

  constructor(private readonly deps: EngineDeps) {
    this.live =
      deps.strategy === 'live'
        ? new LiveChannel(() => deps.client.liveTarget(deps.pokedChanges ?? true), {
            // A poke at the cursor we already hold (our own pull raced it) needs no request.
            onPoke: (cursor, page) => {
              this.poked.heard(cursor, page);
              if (cursor !== this.cursor) void this.requestSync();
            },
            onUp: () => {
              this.reachable = true;
              void this.publishStatus();
              void this.requestSync();
            },
            // Probe at once: a dropped live channel often means the server is gone, and the desk
            // must say Offline now, not at the next fallback poll (30 s later).
            onDown: () => {
              // What the closed channel said is no promise about the log now: pull.
              this.poked.clear();
              void this.publishStatus();
              void this.requestSync();
            },
            onUnauthorized: () => {
              deps.client.refresh().then(
                () => this.live?.reconnectSoon(),
                (err: unknown) => this.handleFailure(err),
              );
            },
          })
        : null;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.initial = { done: true, received: 0, total: null };
    this.live?.start();
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    if (this.deps.strategy === 'baseline') {
      for (const c of this.allowed()) this.due.add(c);
      every(this.deps.schedule.fastMs, () => this.requestCollections(fastCollections));
      every(this.deps.schedule.slowMs, () => this.requestCollections(slowCollections));
    } else {
      // Fallback polling only while the live channel is down; a cursor pull covers every collection.
      every(this.deps.schedule.fastMs, () => {
        if (!this.live?.isUp) void this.requestSync();
      });
    }
    void this.requestSync();
  }

  /** Stop timers and the live channel, and let the run in flight finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.live?.stop();
    this.poked.clear();
    const download = this.download;
    this.download = null;
    void download?.abort();
    for (const t of this.timers.splice(0)) clearInterval(t);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.running?.catch(() => {});
  }

  /** A local mutation was written: push now, and (baseline) refetch everything like the seed did. */
  afterLocalMutation(): Promise<void> {
    if (this.deps.strategy === 'baseline') for (const c of this.allowed()) this.due.add(c);
    // Offline and backing off: the retry will carry this mutation too; do not hammer the server.
    if (!this.reachable && this.retryTimer) return Promise.resolve();
    return this.requestSync();
  }

  private requestCollections(cs: CollectionName[]): void {
    for (const c of cs) if (this.allowed().includes(c)) this.due.add(c);
    void this.requestSync();
  }

  /**
   * Single flight: resolves when a run that started after this call has finished. `pull`: that
   * run pulls even when the pokes say the cache is up to date.
   */
  requestSync(pull = false): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (pull) this.pullWanted = true;
    this.wanted = true;
    if (!this.running) {
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async loop(): Promise<void> {
    while (this.wanted && !this.stopped) {
      this.wanted = false;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      try {
        this.cursor = await this.deps.cache.cursor();
        if (this.cursor === null && this.initial.done && this.deps.strategy === 'live') this.initial = { done: false, received: 0, total: null };
        const pushed = await this.pushOutbox();
        if (this.deps.strategy === 'live') await this.pullDeltas(pushed > 0);
        else await this.fetchDueCollections();
        this.reachable = true;
        this.lastError = null;
        this.lastSyncedAt = new Date().toISOString();
        this.backoff.reset();
        this.live?.reconnectSoon();
      } catch (err) {
        this.handleFailure(err);
      }
      await this.publishStatus();
    }
  }

  private handleFailure(err: unknown): void {
    if (err instanceof ServerRefused && err.status === 410 && !this.stopped) {
      // The server was restored from a backup after this cache last synced: what it pulled since
      // is gone from the server, so download everything again (the outbox stays and is sent).
      this.deps.log(`the server's change log was restored from a backup; downloading everything again (${err.message})`);
      this.wanted = true;
      void this.forgetServerRows().catch((e: unknown) => this.deps.log(`could not empty the cache: ${(e as Error).message}`));
      return;
    }
    if (err instanceof SessionExpired) {
      this.lastError = err.message;
      this.reachable = true;
      this.deps.onSessionExpired(err.message);
      void this.publishStatus();
      return;
    }
    this.lastError = err instanceof Error ? err.message : String(err);
    if (err instanceof ServerUnreachable) this.reachable = false;
    else if (err instanceof ServerRefused) this.reachable = true; // it answered, just not yes
    if (!this.stopped && !this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        void this.requestSync();
      }, this.backoff.next());
      this.retryTimer.unref();
    }
    void this.publishStatus();
  }

  private allowed(): CollectionName[] {
    const role = this.deps.role();
    if (!role) return [];
    // The REST user list is admin-only; the seed never fetched it, so the baseline does not either.
    return syncedCollections(role).filter((c) => this.deps.strategy === 'live' || c !== 'users' || role === 'admin');
  }

  // ---------- push ----------


  /** Pushes until the outbox is empty; how many mutations the server answered. */
  private async pushOutbox(): Promise<number> {
    let answered = 0;
    for (;;) {
      const batch = await this.deps.cache.nextBatch(this.pushOneByOne ? 1 : this.deps.schedule.pushBatch);
      if (batch.length === 0) return answered;
      let results: MutationResult[];
      try {
        const answer = await this.deps.client.push({ clientId: this.deps.clientId, mutations: batch.map(toMutation) });
        results = answer.results;
      } catch (err) {
        if (err instanceof ServerRefused && err.status !== 401) {
          if (batch.length > 1) {
            this.pushOneByOne = true;
            continue;
          }
          results = [{ mutationId: batch[0]!.mutationId, status: 'rejected', error: err.message, code: err.status }];
        } else {
          await this.deps.cache.recordPushFailure(
            batch.map((e) => e.mutationId),
            err instanceof Error ? err.message : String(err),
          );
          throw err;
        }
      }
      testCrashPoint('before-push-answer');
      this.pushOneByOne = false;
      await this.applyResults(batch, results);
      answered += results.length;
    }
  }

  private async applyResults(batch: OutboxEntry[], results: MutationResult[]): Promise<void> {
    const byId = new Map(results.map((r) => [r.mutationId, r]));
    // Rejected edits without the server's row: fetch it so the local row can be rolled back.
    const fetched: Record<string, AnyRow | null> = {};
    for (const e of batch) {
      const r = byId.get(e.mutationId);
      // A refusal may carry ANOTHER row (the clashing appointment, the invoice a payment exceeds).
      if (r && r.status !== 'applied' && r.row?.id !== e.rowId && e.op !== 'create') {
        fetched[e.mutationId] = await this.fetchRow(e.collection, e.rowId);
      }
    }
    const { changes, conflicts, outcomes } = await this.deps.cache.applyPushAnswer(batch, results, fetched);
    if (changes.length > 0) this.deps.emit('data.changed', { source: 'remote', changes });
    for (const c of conflicts) this.deps.emit('conflict.recorded', c);
    for (const o of outcomes) this.deps.emit('mutation.outcome', o);
  }

  private async fetchRow(collection: CollectionName, id: string): Promise<AnyRow | null> {
    try {
      const rows = await this.deps.client.getRow(collection, id);
      return rows;
    } catch (err) {
      if (err instanceof ServerRefused && err.status === 404) return null;
      // Cannot tell: keep the cached row as the server's until the next pull says otherwise.
      return this.deps.cache.row(collection, id);
    }
  }

  /** Empties the cached rows and the cursor, telling windows the rows are gone; the next pull is a first download. */
  private async forgetServerRows(): Promise<void> {
    this.poked.clear();
    this.cursor = null;
    const gone = await this.deps.cache.forgetServerRows(this.allowed());
    this.poked.clear();
    this.download = null;
    this.initial = { done: false, received: 0, total: null };
    if (gone.length > 0) this.deps.emit('data.changed', { source: 'remote', changes: gone });
  }

  // ---------- pull ----------

  /**
   * Pull until the server has nothing more. A page (up to pullLimit rows) is applied in time-boxed
   * slices (applyPulledSlice), one transaction each, yielding to the event loop between them, so windows
   * and IPC stay responsive during a 100k-row first download; the next page is already on its
   * way while this one is applied. The cursor moves with a page's last slice: a crash mid-page
   * re-applies its first slices, which applyPulled tolerates (same versions).
   */
  private async pullDeltas(afterPush = false): Promise<void> {
    const cursor = this.cursor;
    const initial = cursor === null;
    if (initial) {
      const started = await this.firstDownload();
      // Stopped meanwhile (a sign-out clears the cache): write nothing more.
      if (this.stopped) return;
      if (started) return this.downloadOnThread(started.download, started.first);
      this.initial = { done: false, received: 0, total: null };
    }
    if (cursor !== null && (await this.catchUpFromPokes(cursor, afterPush))) return;
    this.pullWanted = false;
    // Pages start small and double up to pullLimit: the first pages of a run meet code V8 has not
    // compiled yet, and parsing a whole cold 2,000-row page alone stalled the loop for 15-20 ms.
    let limit = Math.min(firstPullLimit, this.deps.schedule.pullLimit);
    let next: Promise<PulledPage> = this.deps.client.pull(this.cursor, limit);
    for (;;) {
      const page = await next;
      // A page that just arrived was parsed in this loop turn: let timers and windows run before
      // the first slice. The first immediate runs later in this same turn; the second, next turn.
      await yieldToEventLoop();
      await yieldToEventLoop();
      // The server answered: a long first download must not read as Offline until its last page.
      this.reachable = true;
      if (page.hasMore && !this.stopped) {
        limit = Math.min(limit * 2, this.deps.schedule.pullLimit);
        next = this.deps.client.pull(page.cursor, limit);
        // Settled later by the await above; a failure we never await must not crash the process.
        next.catch(() => undefined);
      }
      if (!(await this.applyPage(page.changes, page.cursor, initial))) return;
      if (initial) {
        if (page.total !== null) this.initial.total = page.total;
        if (!page.hasMore) this.initial.done = true;
        this.publishStatus();
      }
      if (!page.hasMore || this.stopped) return;
      await yieldToEventLoop();
    }
  }

  /**
   * A page, applied on the cache thread in time-boxed slices (CacheService.applyPulledPage), the
   * cursor moving with its last one; false when the engine stopped meanwhile.
   */
  private async applyPage(raw: unknown[], cursor: string, initial: boolean): Promise<boolean> {
    if (this.stopped) return false;
    const changes = await this.deps.cache.applyPulledPage(raw, cursor);
    this.cursor = cursor;
    if (initial) this.initial.received += raw.length;
    if (changes.length > 0) this.deps.emit('data.changed', { source: 'remote', changes });
    return true;
  }

  /**
   * Applies the changes pokes carried on top of `cursor`, in order (a page is taken off the queue
   * before it is applied: if it fails, the retry pulls instead). True when the cache is then where
   * the newest poke said the log ends, with the live channel up: every later commit comes as a
   * poke too, so there is nothing to pull, not even after a push (its own poke brings it). If that
   * poke does not come within pokeGraceMs (a socket that died without a word), the engine pulls.
   */
  private async catchUpFromPokes(cursor: string, afterPush: boolean): Promise<boolean> {
    let at = cursor;
    for (let page = this.poked.next(at); page; page = this.poked.next(at)) {
      if (!(await this.applyPage(page.changes, page.cursor, false))) return true;
      at = page.cursor;
    }
    const caughtUp = (this.deps.pokedChanges ?? true) && !this.pullWanted && this.live?.isUp === true && this.poked.isNewest(at);
    if (caughtUp && afterPush) {
      const heard = this.poked.heardCount;
      setTimeout(() => {
        if (this.poked.heardCount === heard) void this.requestSync(true);
      }, pokeGraceMs).unref();
    }
    return caughtUp;
  }

  /**
   * The first download under way, or a new one on its thread; null: the main thread does it. A
   * new download asks for its first answer (a snapshot, or else the first page) while the thread
   * starts (loading its code takes a while).
   */
  private async firstDownload(): Promise<{ download: FirstDownload; first: Promise<FirstAnswer> } | null> {
    // Awaited by downloadOnThread; unused when the thread cannot start.
    const settledLater = (answer: Promise<FirstAnswer>) => {
      answer.catch(() => undefined);
      return answer;
    };
    if (this.download?.usable && !(this.snapshotsUnusable && this.download.snapshotNext !== null)) {
      const d = this.download;
      const first = d.snapshotNext !== null ? this.laterSnapshotPart(d.snapshotNext) : d.cursor === null ? this.snapshotOrFirstPage() : this.pageAt(d.cursor);
      return { download: d, first: settledLater(first) };
    }
    // A snapshot the server stopped offering half-way: start over, walking the log.
    if (this.download?.usable) void this.download.abort();
    if (this.download?.fromSnapshot && this.download.refusedAnswer && !this.snapshotsUnusable) {
      // Its bad row may have surfaced as any error (the copy runs while the next page is fetched):
      // asking for the same snapshot again would fail the same way.
      this.snapshotsUnusable = true;
      this.deps.log(`the server's snapshot was refused (${this.download.failureMessage}); this first download walks the change log instead`);
    }
    this.download = null;
    const role = this.deps.role();
    if (!this.deps.startDownload || this.downloadThreadUnavailable || !role) return null;
    this.initial = { done: false, received: 0, total: null };
    // Parts a crashed download left behind (they hold this user's rows; nothing reads them).
    removeSnapshotFiles(this.deps.cacheFile);
    const first = settledLater(this.snapshotOrFirstPage());
    try {
      this.download = await this.deps.startDownload(role, syncedCollections(role), (changes) => {
        this.initial.received += changes;
        void this.publishStatus();
      });
    } catch (err) {
      this.downloadThreadUnavailable = true;
      this.deps.log(`the first download thread cannot run (${(err as Error).message}); the main thread writes it instead`);
      return null;
    }
    if (this.stopped) {
      void this.download.abort();
      this.download = null;
      return null;
    }
    return { download: this.download, first };
  }

  private async pageAt(cursor: string | null): Promise<FirstAnswer> {
    return { kind: 'page', bytes: await this.deps.client.pullBytes(cursor, this.deps.schedule.pullLimit) };
  }

  /** The first part of a snapshot (shared/sync/snapshot.ts) where the server offers one, or else the first page. */
  private async snapshotOrFirstPage(): Promise<FirstAnswer> {
    if (!this.snapshotsUnusable) {
      const first = await this.snapshotPart(null);
      if (first) return first;
    }
    return this.pageAt(null);
  }

  /** A part after the first: the server offered the snapshot, so it must go on offering it. */
  private async laterSnapshotPart(after: string): Promise<FirstAnswer> {
    const part = await this.snapshotPart(after);
    if (!part) throw new BadServerAnswer('The server stopped offering the snapshot half-way; the first download starts over');
    return part;
  }

  /**
   * A snapshot part, in a file of its own beside the cache (the thread copies the one before while
   * it comes). Null when the server offers no snapshots.
   */
  private async snapshotPart(after: string | null): Promise<FirstAnswer | null> {
    const started = performance.now();
    const file = snapshotFileBeside(this.deps.cacheFile, this.snapshotParts++);
    // The part is written to disk sealed with a key of its own that only this process holds.
    const seal = newSnapshotSeal();
    let part;
    try {
      part = await this.deps.client.snapshotTo(file, after, snapshotPartRows.default, () => sealingStream(seal));
    } catch (err) {
      rmSync(file, { force: true });
      throw err;
    }
    if (part === null) {
      rmSync(file, { force: true });
      this.snapshotsUnusable = true;
      this.deps.log('the server offers no snapshot: the first download walks the change log');
      return null;
    }
    // Stopped meanwhile (a sign-out): the file holds the previous user's rows.
    if (this.stopped) rmSync(file, { force: true });
    this.deps.log(
      `first download: snapshot part of ${(part.bytes / 1e6).toFixed(1)} MB came in ${Math.round(performance.now() - started)} ms` +
        (part.serverMs !== null ? ` (the server wrote it in ${part.serverMs} ms)` : '') +
        (part.next === null ? ', the last' : ''),
    );
    return { kind: 'snapshot', file, part, seal };
  }

  /**
   * A first download: this thread fetches the snapshot or the pages (the next one as soon as the
   * download thread has read the last one's cursor) and passes their bytes on, undecoded; the
   * download thread checks and writes them and finally swaps them into the cache. A failed
   * request leaves the download where it was, and the next run resumes it.
   */
  private async downloadOnThread(download: FirstDownload, first: Promise<FirstAnswer>): Promise<void> {
    const started = performance.now();
    const cursor = await this.handOverPages(download, first);
    if (this.stopped) return;
    const summary = await download.finish(cursor);
    this.download = null;
    this.cursor = cursor;
    const rows = Object.values(summary.rows).reduce((a, b) => a + (b ?? 0), 0);
    this.deps.log(
      `first download: ${rows} rows cached in ${Math.round(performance.now() - started)} ms` +
        (summary.duplicates > 0 ? `, ${summary.duplicates} rows that changed meanwhile came twice` : '') +
        (summary.pendingRows > 0 ? `, ${summary.pendingRows} rows with unsent edits laid back on top` : ''),
    );
    await this.announceCachedRows(Object.keys(summary.rows) as CollectionName[]);
    this.initial.done = true;
    await this.publishStatus();
  }

  /**
   * Hand the first answer and everything after it to the thread: a snapshot's parts, each asked for
   * while the thread copies the one before, then the pages after the snapshot. Returns the last
   * page's cursor.
   */
  private async handOverPages(download: FirstDownload, first: Promise<FirstAnswer>): Promise<string> {
    let next = first;
    try {
      for (;;) {
        const answer = await next;
        this.reachable = true;
        if (answer.kind === 'snapshot') {
          const copied = download.snapshot(answer.file, answer.part, answer.seal);
          if (answer.part.total !== null) this.initial.total = answer.part.total;
          next = answer.part.next !== null ? this.laterSnapshotPart(answer.part.next) : this.pageAt(download.cursor);
          // Settled later by the await above; a failure we never await must not crash the process.
          next.catch(() => undefined);
          await copied;
          if (this.stopped) {
            discardPrefetched(next);
            return download.cursor ?? '';
          }
          continue;
        }
        const envelope = await download.page(answer.bytes);
        // The changes after a snapshot come on top of its rows.
        if (download.fromSnapshot) this.initial.total = (this.initial.total ?? 0) + envelope.changes;
        else if (envelope.total !== null) this.initial.total = envelope.total;
        if (!envelope.hasMore || this.stopped) return envelope.cursor;
        next = this.pageAt(envelope.cursor);
        next.catch(() => undefined);
      }
    } catch (err) {
      discardPrefetched(next);
      throw err;
    }
  }

  /** Tell the windows of every row a first download cached, a batch at a time between yields. */
  private async announceCachedRows(collections: CollectionName[]): Promise<void> {
    for (const collection of collections) {
      let after = 0;
      for (;;) {
        if (this.stopped) return;
        const batch = await this.deps.cache.rowsJsonAfter(collection, after, announceBatchRows);
        if (batch.count > 0) this.deps.emit('data.downloaded', { collection, rowsJson: batch.json });
        if (batch.count < announceBatchRows) break;
        after = batch.last;
        await yieldToEventLoop();
      }
    }
  }

  private async fetchDueCollections(): Promise<void> {
    const due = [...this.due].filter((c) => this.allowed().includes(c));
    for (const collection of due) {
      const rows = await this.deps.client.listCollection(collection);
      // As with pull pages: an answer means the server is reachable, even mid-run.
      this.reachable = true;
      this.due.delete(collection);
      const changes = await this.deps.cache.replaceCollection(collection, rows);
      if (changes.length > 0) this.deps.emit('data.changed', { source: 'remote', changes });
      await yieldToEventLoop();
    }
    this.initial.done = true;
  }

  // ---------- status ----------

  async status(): Promise<SyncStatus> {
    const [pending, conflicts] = await Promise.all([this.deps.cache.outboxSize(), this.deps.cache.conflictCount()]);
    const connection: SyncStatus['connection'] = this.live?.isUp ? 'live' : this.reachable ? 'polling' : 'offline';
    return {
      connection,
      online: connection !== 'offline',
      pending,
      lastSyncedAt: this.lastSyncedAt,
      lastError: this.lastError,
      initialSync: { ...this.initial },
      conflicts,
    };
  }

  /** Emit 'sync.status' when something a person would see has changed. */
  async publishStatus(): Promise<void> {
    const s = await this.status();
    const json = JSON.stringify({ ...s, lastSyncedAt: null });
    if (json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    this.deps.emit('sync.status', s);
  }
}
