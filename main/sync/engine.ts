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
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { CollectionName } from '../../shared/domain/collections';
import { syncedCollections } from '../../shared/domain/access';
import type { SyncStatus } from '../../shared/ipc/contract';
import { Backoff } from './backoff';
import { Pusher } from './pusher';
import { PokedChanges } from './pokedChanges';
import { LiveChannel } from './live';
import { ServerRefused, ServerUnreachable, SessionExpired, type PulledPage } from './client';
import { FirstDownloads, type InitialSync } from './firstDownload/orchestrator';
import type { EngineDeps, SyncSchedule } from './engineDeps';

export type { Emit, EngineDeps, SyncSchedule, SyncStrategy } from './engineDeps';


/** The first pull page of a run (see pullDeltas). */
const firstPullLimit = 250;
/** How long a push waits for the poke of its own commit before pulling instead (catchUpFromPokes). */
const pokeGraceMs = 2000;

export const seedSchedule: SyncSchedule = { fastMs: 30_000, slowMs: 60_000, pullLimit: 2000, pushBatch: 200 };
const fastCollections: CollectionName[] = ['patients', 'appointments'];
const slowCollections: CollectionName[] = ['inventory', 'referrals'];

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
  /** Shared with the first-download orchestrator, which reports its progress here. */
  private readonly initial: InitialSync = { done: true, received: 0, total: null };
  private lastStatusJson = '';
  private readonly pusher: Pusher;
  /** The cursor the cache holds, as far as this engine knows (read at each run's start). */
  private cursor: string | null = null;
  private readonly firstDownloads: FirstDownloads;

  constructor(private readonly deps: EngineDeps) {
    this.firstDownloads = new FirstDownloads(deps, {
      initial: this.initial,
      stopped: () => this.stopped,
      answered: () => {
        this.reachable = true;
      },
      publishStatus: () => this.publishStatus(),
    });
    this.pusher = new Pusher({ cache: deps.cache, client: deps.client, clientId: deps.clientId, pushBatch: deps.schedule.pushBatch, emit: deps.emit });
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
    Object.assign(this.initial, { done: true, received: 0, total: null });
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
    this.firstDownloads.abort();
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
        if (this.cursor === null && this.initial.done && this.deps.strategy === 'live') Object.assign(this.initial, { done: false, received: 0, total: null });
        const pushed = await this.pusher.pushOutbox();
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

  /** Empties the cached rows and the cursor, telling windows the rows are gone; the next pull is a first download. */
  private async forgetServerRows(): Promise<void> {
    this.poked.clear();
    this.cursor = null;
    const gone = await this.deps.cache.forgetServerRows(this.allowed());
    this.poked.clear();
    this.firstDownloads.forget();
    Object.assign(this.initial, { done: false, received: 0, total: null });
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
      const started = await this.firstDownloads.begin();
      // Stopped meanwhile (a sign-out clears the cache): write nothing more.
      if (this.stopped) return;
      if (started) {
        const cursor = await this.firstDownloads.run(started);
        if (cursor !== null) this.cursor = cursor;
        return;
      }
      Object.assign(this.initial, { done: false, received: 0, total: null });
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
