/**
 * The puller: takes the server's changes in. A cache with no cursor gets its first download
 * (firstDownload/orchestrator.ts); after that, cursor pulls of deltas, woken by the live
 * channel's pokes, whose changes it applies without a request when they continue the cache's
 * cursor. While the live channel is down it asks for a pull every `fastMs`.
 *
 * The live channel (LiveChannel below) is a WebSocket to `/api/sync/live` on which the server
 * pokes after every committed change. A poke says "pull now", and may carry the changes
 * themselves; a missed poke costs latency, never correctness. It reconnects with backoff; a
 * silent socket (no heartbeat for 75 s) is treated as dead. The socket signs in with its first
 * message, {"type":"auth","token"}: a token never goes in a URL.
 */
import WebSocket from 'ws';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { CollectionName, Role } from '../../shared/domain/collections';
import { syncedCollections } from '../../shared/domain/access';
import { BadServerAnswer, type LiveTarget, type PulledAnswer } from './client';
import { FirstDownloads } from './firstDownload/orchestrator';
import type { ChangeSource, ChangeSourceHost } from './engineDeps';
import type { ChangedRows, PokedPage, RunStart } from '../cache/service';
import { liveCloseUnauthorized, liveServerMessage, type LiveClientMessage } from '../../shared/sync/protocol';
import { Backoff } from './backoff';

export interface LiveChannelEvents {
  /** A poke or `ready`: the log ends at `cursor`; `page` when the poke carried the changes. */
  onPoke(cursor: string, page: PokedPage | null): void;
  onUp(): void;
  onDown(reason: string): void;
  /** The upgrade was refused with 401: the access token needs a refresh. */
  onUnauthorized(): void;
}

export class LiveChannel {
  private socket: WebSocket | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new Backoff(500, 15_000);
  private stopped = true;
  private up = false;

  constructor(
    private readonly target: () => LiveTarget,
    private readonly events: LiveChannelEvents,
    private readonly silenceMs = 75_000,
  ) {}

  get isUp(): boolean {
    return this.up;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.retryTimer = this.silenceTimer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.removeAllListeners();
      s.on('error', () => {});
      s.terminate();
    }
    this.markDown('stopped');
  }

  /** Reconnect now (after a token refresh, or when the server came back). */
  reconnectSoon(): void {
    if (this.stopped || this.socket) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  private markDown(reason: string): void {
    if (this.up) {
      this.up = false;
      this.events.onDown(reason);
    }
  }

  private armSilence(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.socket?.terminate(), this.silenceMs);
    this.silenceTimer.unref();
  }

  private connect(): void {
    if (this.stopped) return;
    const target = this.target();
    const socket = new WebSocket(target.url, { handshakeTimeout: 10_000, ...target.options });
    this.socket = socket;
    let unauthorized = false;
    let failure: string | null = null;
    socket.on('open', () => {
      const auth: LiveClientMessage = { type: 'auth', token: target.token ?? '' };
      socket.send(JSON.stringify(auth));
      this.backoff.reset();
      this.up = true;
      this.armSilence();
      this.events.onUp();
    });
    socket.on('message', (data) => {
      this.armSilence();
      let parsed;
      try {
        parsed = liveServerMessage.safeParse(JSON.parse(data.toString()));
      } catch {
        return;
      }
      if (!parsed.success) return;
      const msg = parsed.data;
      if (msg.type === 'ready') this.events.onPoke(msg.cursor, null);
      if (msg.type === 'poke') {
        const page = msg.from !== undefined && msg.changes !== undefined ? { from: msg.from, cursor: msg.cursor, changes: msg.changes } : null;
        this.events.onPoke(msg.cursor, page);
      }
    });
    socket.on('unexpected-response', (_req, res) => {
      unauthorized = res.statusCode === 401 || res.statusCode === 403;
      socket.terminate();
    });
    socket.on('error', (error) => {
      // 'close' follows and schedules the retry; a refused certificate is said as it is.
      failure = error.message;
    });
    socket.on('close', (code) => {
      // The server ends a live session whose token expired or whose user was deactivated.
      if (code === liveCloseUnauthorized) unauthorized = true;
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.silenceTimer) clearTimeout(this.silenceTimer);
      this.markDown(failure ? `live channel closed: ${failure}` : 'live channel closed');
      if (unauthorized) this.events.onUnauthorized();
      if (!this.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.connect();
        }, this.backoff.next());
        this.retryTimer.unref();
      }
    });
  }
}

/** The first pull page of a run (see pullDeltas). */
const firstPullLimit = 250;
/** How long a push waits for the poke of its own commit before pulling instead (catchUpFromPokes). */
const pokeGraceMs = 2000;
/** Poked pages wait only while the loop is busy; a loop stuck offline must not hoard them. */
const maxWaiting = 64;

/**
 * Poked pages waiting for the sync loop to apply them instead of pulling. A page applies only on
 * top of the cursor it starts from; a page that does not continue the cache's cursor is dropped,
 * and the loop pulls as after any poke. So a lost, late or doubled poke costs a pull, never a change.
 */
export class PokedChanges {
  private waiting: PokedPage[] = [];
  /** The newest cursor the server named, in a poke or `ready`. */
  private newest: string | null = null;
  /** Pokes and `ready`s heard so far (never reset): whether one came since a given moment. */
  heardCount = 0;

  heard(cursor: string, page: PokedPage | null): void {
    this.heardCount++;
    this.newest = cursor;
    if (!page) return;
    this.waiting.push(page);
    if (this.waiting.length > maxWaiting) this.waiting.shift();
  }

  /** The pages waiting, in the order they came. */
  pages(): readonly PokedPage[] {
    return this.waiting;
  }

  /** The page that continues `cursor`, if one came; pages before it are dropped. */
  next(cursor: string): PokedPage | null {
    while (this.waiting.length > 0) {
      const page = this.waiting.shift()!;
      if (page.from === cursor) return page;
    }
    return null;
  }

  /** Whether `cursor` is where the newest poke said the log ends: nothing is left to pull. */
  isNewest(cursor: string): boolean {
    return this.newest === cursor;
  }

  clear(): void {
    this.waiting = [];
    this.newest = null;
  }
}

/** A refusal of the server's answer on the cache thread crosses as a plain error: it is one again here. */
function asBadAnswer(err: unknown): never {
  if (err instanceof Error && err.name === 'BadServerAnswer' && !(err instanceof BadServerAnswer)) throw new BadServerAnswer(err.message);
  throw err;
}

export class Puller implements ChangeSource {
  private readonly live: LiveChannel;
  private readonly poked = new PokedChanges();
  private readonly firstDownloads: FirstDownloads;
  /** Someone asked for a pull (sync.now, or a poke that did not come): skip no pull until one ran. */
  private pullWanted = false;
  /** The cursor the cache holds, as far as the puller knows (read at each run's start). */
  private cursor: string | null = null;
  private fallbackTimer: NodeJS.Timeout | null = null;

  constructor(private readonly host: ChangeSourceHost) {
    const { deps } = host;
    this.firstDownloads = new FirstDownloads(deps, host);
    this.live = new LiveChannel(() => deps.client.liveTarget(deps.pokedChanges ?? true), {
      // A poke at the cursor we already hold (our own pull raced it) needs no request.
      onPoke: (cursor, page) => {
        this.poked.heard(cursor, page);
        if (cursor !== this.cursor) void host.requestSync();
      },
      onUp: () => {
        host.answered();
        void host.publishStatus();
        void host.requestSync();
      },
      // Probe at once: a dropped live channel often means the server is gone, and the desk
      // must say Offline now, not at the next fallback poll (30 s later).
      onDown: () => {
        // What the closed channel said is no promise about the log now: pull.
        this.poked.clear();
        void host.publishStatus();
        void host.requestSync();
      },
      onUnauthorized: () => {
        deps.client.refresh().then(
          () => this.live.reconnectSoon(),
          (err: unknown) => host.failed(err),
        );
      },
    });
  }

  get isLive(): boolean {
    return this.live.isUp;
  }

  start(): void {
    this.live.start();
    // Fallback polling only while the live channel is down; a cursor pull covers every collection.
    this.fallbackTimer = setInterval(() => {
      if (!this.live.isUp) void this.host.requestSync();
    }, this.host.deps.schedule.fastMs);
    this.fallbackTimer.unref();
  }

  stop(): void {
    this.live.stop();
    this.poked.clear();
    this.firstDownloads.abort();
    this.host.deps.client.endSnapshots?.();
    if (this.fallbackTimer) clearInterval(this.fallbackTimer);
    this.fallbackTimer = null;
  }

  afterLocalMutation(): void {}

  succeeded(): void {
    this.live.reconnectSoon();
  }

  forget(): void {
    this.poked.clear();
    this.cursor = null;
    this.firstDownloads.forget();
  }

  collections(role: Role): CollectionName[] {
    return syncedCollections(role);
  }

  readyPages(): readonly PokedPage[] {
    return this.poked.pages();
  }

  dropReadyPages(): void {
    // Forgetting the newest cursor too makes the next run pull instead of waiting for a poke.
    this.poked.clear();
  }

  async beginRun(start: RunStart): Promise<void> {
    this.cursor = start.cursor;
    const { initial } = this.host;
    if (this.cursor === null && initial.done) Object.assign(initial, { done: false, received: 0, total: null });
    const applied = start.applied;
    if (!applied) return;
    // The run's start applied these pages (CacheService.runStart): they leave the queue as catchUpFromPokes would take them.
    let at = start.cursor!;
    for (let i = 0; i < applied.pages; i++) at = this.poked.next(at)?.cursor ?? at;
    this.applied(applied.changed, applied.count, applied.cursor, false);
  }

  pull(afterPush: boolean): Promise<boolean> {
    return this.pullDeltas(afterPush);
  }

  wantPull(): void {
    this.pullWanted = true;
  }

  /**
   * Pull until the server has nothing more. A page (up to pullLimit rows) is applied in time-boxed
   * slices on the cache thread, yielding to the event loop between them, so windows and IPC stay
   * responsive during a 100k-row first download; the next page is already on its way while this
   * one is applied. The cursor moves with a page's last slice: a crash mid-page re-applies its
   * first slices, which applyPulled tolerates (same versions). False when it wrote nothing to the
   * cache (caught up by pokes already applied), so the counts the run started with still hold.
   */
  private async pullDeltas(afterPush: boolean): Promise<boolean> {
    const { deps, initial: progress } = this.host;
    const cursor = this.cursor;
    const initial = cursor === null;
    if (initial) {
      const started = await this.firstDownloads.begin();
      // Stopped meanwhile (a sign-out clears the cache): write nothing more.
      if (this.host.stopped()) return true;
      if (started) {
        const cursor = await this.firstDownloads.run(started);
        if (cursor !== null) this.cursor = cursor;
        return true;
      }
      Object.assign(progress, { done: false, received: 0, total: null });
    }
    if (cursor !== null) {
      const { caughtUp, applied } = await this.catchUpFromPokes(cursor, afterPush);
      if (caughtUp) return applied > 0;
    }
    this.pullWanted = false;
    // Pages start small and double up to pullLimit: the first pages of a run meet code V8 has not
    // compiled yet, and reading a whole cold 2,000-row page stalled a loop for 15-20 ms (now the
    // cache thread's, which windows' reads wait on).
    let limit = Math.min(firstPullLimit, deps.schedule.pullLimit);
    let next: Promise<PulledAnswer> = deps.client.pull(this.cursor, limit);
    for (;;) {
      const answer = await next;
      // The server answered: a long first download must not read as Offline until its last page.
      this.host.answered();
      // Read and checked on the cache thread; this thread schedules on its cursor and counts.
      const page = await deps.cache.readPulledAnswer(answer.bytes, answer.path).catch(asBadAnswer);
      if (page.hasMore && !this.host.stopped()) {
        limit = Math.min(limit * 2, deps.schedule.pullLimit);
        next = deps.client.pull(page.cursor, limit);
        // Settled later by the await above; a failure we never await must not crash the process.
        next.catch(() => undefined);
      }
      if (!(await this.applyRead(page.page, page.changes, page.cursor, initial))) return true;
      if (initial) {
        if (page.total !== null) progress.total = page.total;
        if (!page.hasMore) progress.done = true;
        void this.host.publishStatus();
      }
      if (!page.hasMore || this.host.stopped()) return true;
      await yieldToEventLoop();
    }
  }

  /**
   * A page, applied on the cache thread in time-boxed slices (CacheService.applyPulledPage), the
   * cursor moving with its last one; false when the engine stopped meanwhile.
   */
  private async applyPage(raw: unknown[], cursor: string, initial: boolean): Promise<boolean> {
    if (this.host.stopped()) return false;
    const changed = await this.host.deps.cache.applyPulledPage(raw, cursor);
    this.applied(changed, raw.length, cursor, initial);
    return true;
  }

  /** A pull page the cache thread read (readPulledAnswer), applied there as applyPage does. */
  private async applyRead(page: number, count: number, cursor: string, initial: boolean): Promise<boolean> {
    if (this.host.stopped()) return false;
    const changed = await this.host.deps.cache.applyReadPage(page).catch(asBadAnswer);
    if (changed === null) throw new Error('the cache thread no longer holds the pulled page; the next run pulls it again');
    this.applied(changed, count, cursor, initial);
    return true;
  }

  /** The windows get the page's changes as the cache thread's JSON text, passed on unparsed. */
  private applied(changed: ChangedRows, count: number, cursor: string, initial: boolean): void {
    this.cursor = cursor;
    if (initial) this.host.initial.received += count;
    if (changed.count > 0) this.host.deps.emit('data.changed', changed.payload);
  }

  /**
   * Applies the changes pokes carried on top of `cursor`, in order (a page is taken off the queue
   * before it is applied: if it fails, the retry pulls instead), and how many it applied. Caught up
   * when the cache is then where the newest poke said the log ends, with the live channel up: every
   * later commit comes as a poke too, so there is nothing to pull, not even after a push (its own
   * poke brings it). If that poke does not come within pokeGraceMs (a socket that died without a
   * word), the puller pulls.
   */
  private async catchUpFromPokes(cursor: string, afterPush: boolean): Promise<{ caughtUp: boolean; applied: number }> {
    let at = cursor;
    let applied = 0;
    for (let page = this.poked.next(at); page; page = this.poked.next(at)) {
      if (!(await this.applyPage(page.changes, page.cursor, false))) return { caughtUp: true, applied };
      applied++;
      at = page.cursor;
    }
    const caughtUp = (this.host.deps.pokedChanges ?? true) && !this.pullWanted && this.live.isUp && this.poked.isNewest(at);
    if (caughtUp && afterPush) {
      const heard = this.poked.heardCount;
      setTimeout(() => {
        if (this.poked.heardCount === heard) void this.host.requestSync(true);
      }, pokeGraceMs).unref();
    }
    return { caughtUp, applied };
  }
}
