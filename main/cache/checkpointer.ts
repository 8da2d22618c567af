/**
 * WAL checkpoints off the main thread. A checkpoint copies the WAL into the cache file and syncs
 * it to disk: 7–9 ms here whatever its size, the largest event-loop stall of an initial sync
 * (docs/performance.md). So the cache connection turns SQLite's automatic checkpoint off, and a
 * worker thread with a connection of its own checkpoints when writes pause (checkpoint-worker.ts). If that
 * thread cannot run, the connection goes back to checkpointing itself, as SQLite does by default.
 */
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../workerThreads';
import type { CacheDb, CacheKey } from './database';
import type { CheckpointCommand, CheckpointReport, CheckpointWorkerData } from './checkpoint-messages';

/** SQLite's own default: checkpoint when the WAL reaches 1,000 pages. */
const sqliteAutoCheckpointPages = 1000;

export interface CheckpointerOptions {
  /** The worker's script: ./checkpoint-worker.ts under tsx, the bundled .cjs under Electron. */
  script: string | URL;
  /** The thread's look at the WAL while it grows fast, while it takes single edits, and once idle (checkpoint-worker.ts). */
  everyMs?: number;
  slowMs?: number;
  idleMs?: number;
  nativeBinding?: string;
  /** The thread opens the encrypted cache with the same key (passed in memory, never on disk). */
  cacheKey: CacheKey | null;
  log: (line: string) => void;
}

export class WalCheckpointer {
  private readonly worker: Worker;
  private running = true;
  /** WAL frames copied into the cache file so far. */
  framesCopied = 0;

  constructor(
    private readonly db: CacheDb,
    private readonly options: CheckpointerOptions,
  ) {
    db.pragma('wal_autocheckpoint = 0');
    const data: CheckpointWorkerData = {
      file: db.name,
      everyMs: options.everyMs ?? 250,
      slowMs: options.slowMs ?? 1000,
      idleMs: options.idleMs ?? 2000,
      cacheKey: options.cacheKey,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    };
    this.worker = startWorkerThread(options.script, data);
    // The thread must never keep a terminal process alive on its own.
    this.worker.unref();
    this.worker.on('message', (report: CheckpointReport) => {
      if (report.type === 'ready') options.log('WAL checkpoints run on their own thread');
      else if (report.type === 'checkpointed') this.framesCopied += report.frames;
      else if (report.type === 'failed') options.log(`WAL checkpoint failed (will retry): ${report.error}`);
    });
    this.worker.on('error', (err) => this.fallBack(`the checkpoint thread failed: ${err.message}`));
    this.worker.on('exit', (code) => {
      if (this.running) this.fallBack(`the checkpoint thread exited (code ${code})`);
    });
  }

  private fallBack(why: string): void {
    if (!this.running) return;
    this.running = false;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${sqliteAutoCheckpointPages}`);
    this.options.log(`${why}; the cache checkpoints on the main thread from now on`);
  }

  /** Another thread starts writing a lot to the cache file (a first download): the checkpoint thread looks often from now. */
  bulkWritesComing(): void {
    if (this.running) this.worker.postMessage({ type: 'bulk' } satisfies CheckpointCommand);
  }

  /** Close the thread's connection (before the core closes its own, which then checkpoints the rest). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const stopped = new Promise<void>((resolve) => {
      this.worker.on('message', (report: CheckpointReport) => report.type === 'stopped' && resolve());
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ type: 'stop' } satisfies CheckpointCommand);
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await this.worker.terminate();
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${sqliteAutoCheckpointPages}`);
  }
}

/** The worker script beside this module, for tsx (the Electron build passes its bundled copy). */
export function defaultCheckpointWorkerScript(): URL {
  return new URL('./checkpoint-worker.ts', import.meta.url);
}
