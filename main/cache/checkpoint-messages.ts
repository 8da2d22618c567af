import type { CacheKey } from './encryption';

/** What the terminal core and its WAL checkpointer thread say to each other (one process, two threads). */
export interface CheckpointWorkerData {
  /** The cache file (its -wal file lies beside it). */
  file: string;
  /** better-sqlite3-multiple-ciphers' native build for Electron's ABI, when not the one in node_modules. */
  nativeBinding?: string;
  everyMs: number;
  /** The encrypted cache's key (thread memory only). */
  cacheKey: CacheKey | null;
}

export type CheckpointCommand = { type: 'stop' };

export type CheckpointReport =
  | { type: 'ready' }
  | { type: 'checkpointed'; frames: number; walFrames: number }
  | { type: 'failed'; error: string }
  | { type: 'stopped' };
