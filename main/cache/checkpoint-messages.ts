import type { CacheKey } from './encryption';

/** What the terminal core and its WAL checkpointer thread say to each other (one process, two threads). */
export interface CheckpointWorkerData {
  /** The cache file (its -wal file lies beside it). */
  file: string;
  /** better-sqlite3-multiple-ciphers' native build for Electron's ABI, when not the one in node_modules. */
  nativeBinding?: string;
  /** How often the thread looks at the WAL while it grows fast (a first download writing). */
  everyMs: number;
  /** ... while it takes single edits or just stopped changing. */
  slowMs: number;
  /** ... once it has not changed for a while (an idle terminal). */
  idleMs: number;
  /** The encrypted cache's key (thread memory only). */
  cacheKey: CacheKey | null;
}

/** `bulk`: another thread is about to write a lot (a first download): look often now, before the WAL shows it. */
export type CheckpointCommand = { type: 'stop' } | { type: 'bulk' };

export type CheckpointReport =
  | { type: 'ready' }
  | { type: 'checkpointed'; frames: number; walFrames: number }
  | { type: 'failed'; error: string }
  | { type: 'stopped' };
