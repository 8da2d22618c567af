/**
 * The sync engine: the scheduler. One loop that pushes the outbox (pusher.ts) and then takes
 * the server's changes in (a ChangeSource: the puller, puller.ts), never two runs at once (a
 * request during a run makes the loop go round once more). It is driven by the live channel's
 * pokes, by local mutations, and, while the live channel is down, by the puller's polling.
 * Failures back off exponentially with jitter; the engine says where sync stands (status).
 */
import type { CollectionName } from '../../shared/domain/collections';
import type { SyncStatus } from '../../shared/ipc/contract';
import { Backoff } from './backoff';
import { Pusher } from './pusher';
import { Puller } from './puller';
import { ServerRefused, ServerUnreachable, SessionExpired } from './client';
import type { ChangeSource, EngineDeps, InitialSync, SyncSchedule } from './engineDeps';
import type { SyncCounts } from '../cache/service';

export type { ChangeSource, ChangeSourceFactory, ChangeSourceHost, Emit, EngineDeps, SyncSchedule } from './engineDeps';

/** The seed's schedule: a pull every 30 s while the live channel is down. */
export const seedSchedule: SyncSchedule = { fastMs: 30_000, pullLimit: 2000, pushBatch: 200 };

export class SyncEngine {
  private running: Promise<void> | null = null;
  private wanted = false;
  private stopped = true;
  private readonly backoff = new Backoff(500, 30_000);
  private retryTimer: NodeJS.Timeout | null = null;
  private reachable = false;
  private lastSyncedAt: string | null = null;
  private lastError: string | null = null;
  /** Shared with the change source, which reports the first download's progress here. */
  private readonly initial: InitialSync = { done: true, received: 0, total: null };
  private lastStatusJson = '';
  private readonly pusher: Pusher;
  private readonly source: ChangeSource;

  constructor(private readonly deps: EngineDeps) {
    this.pusher = new Pusher({ cache: deps.cache, client: deps.client, clientId: deps.clientId, pushBatch: deps.schedule.pushBatch, emit: deps.emit });
    const host = {
      deps,
      initial: this.initial,
      stopped: () => this.stopped,
      answered: () => {
        this.reachable = true;
      },
      requestSync: (pull?: boolean) => this.requestSync(pull),
      failed: (err: unknown) => this.handleFailure(err),
      publishStatus: () => this.publishStatus(),
    };
    this.source = deps.changeSource ? deps.changeSource(host) : new Puller(host);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    Object.assign(this.initial, { done: true, received: 0, total: null });
    this.source.start();
    void this.requestSync();
  }

  /** Stop timers and the change source, and let the run in flight finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.source.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.running?.catch(() => {});
  }

  /** A local mutation was written: push now. */
  afterLocalMutation(): Promise<void> {
    this.source.afterLocalMutation();
    // Offline and backing off: the retry will carry this mutation too; do not hammer the server.
    if (!this.reachable && this.retryTimer) return Promise.resolve();
    return this.requestSync();
  }

  /**
   * Single flight: resolves when a run that started after this call has finished. `pull`: that
   * run pulls even when the pokes say the cache is up to date.
   */
  requestSync(pull = false): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (pull) this.source.wantPull();
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
      // The counts sync.status shows, when the run's start read them after its last write (a received edit).
      let counts: SyncCounts | undefined;
      try {
        // The cursor, the first push batch and, with nothing to push, the poked changes: one cache message.
        const start = await this.deps.cache.runStart(this.deps.schedule.pushBatch, this.source.readyPages()).catch((err: unknown) => {
          this.source.dropReadyPages();
          throw err;
        });
        await this.source.beginRun(start);
        const pushed = await this.pusher.pushOutbox(start.batch);
        const wrote = await this.source.pull(pushed > 0);
        if (pushed === 0 && !wrote) counts = start.applied?.counts;
        this.reachable = true;
        this.lastError = null;
        this.lastSyncedAt = new Date().toISOString();
        this.backoff.reset();
        this.source.succeeded();
      } catch (err) {
        this.handleFailure(err);
      }
      await this.publishStatus(counts);
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

  private collections(): CollectionName[] {
    const role = this.deps.role();
    return role ? this.source.collections(role) : [];
  }

  /** Empties the cached rows and the cursor, telling windows the rows are gone; the next pull is a first download. */
  private async forgetServerRows(): Promise<void> {
    this.source.forget();
    const gone = await this.deps.cache.forgetServerRows(this.collections());
    this.source.forget();
    Object.assign(this.initial, { done: false, received: 0, total: null });
    if (gone.count > 0) this.deps.emit('data.changed', gone.payload);
  }

  // ---------- status ----------

  /** counts: as the cache just reported them in a message of its own; read afresh without. */
  async status(counts?: SyncCounts): Promise<SyncStatus> {
    const { pending, conflicts } = counts ?? (await this.deps.cache.syncCounts());
    const connection: SyncStatus['connection'] = this.source.isLive ? 'live' : this.reachable ? 'polling' : 'offline';
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
  async publishStatus(counts?: SyncCounts): Promise<void> {
    const s = await this.status(counts);
    const json = JSON.stringify({ ...s, lastSyncedAt: null });
    if (json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    this.deps.emit('sync.status', s);
  }
}
