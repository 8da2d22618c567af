/** What the sync engine and its first-download thread say to each other (one process, two threads). */
import type { CollectionName, Role } from '../../../shared/domain/collections';
import type { SwapSummary } from './bulkLoad';
import type { CacheKey } from '../../cache/encryption';
import type { SnapshotSeal } from './snapshotSeal';

export interface DownloadWorkerData {
  /** The cache file. */
  file: string;
  /** better-sqlite3-multiple-ciphers' native build for Electron's ABI, when not the one in node_modules. */
  nativeBinding?: string;
  /** The encrypted cache's key (thread memory only). */
  cacheKey: CacheKey | null;
  role: Role;
  collections: CollectionName[];
}

export type DownloadCommand =
  /** A pull answer's bytes, exactly as the server sent them (transferred, not copied). */
  | { type: 'page'; bytes: ArrayBuffer }
  /** A snapshot part (shared/sync/snapshot.ts) is in `file`, sealed with `seal`: copy it, then delete it. */
  | { type: 'snapshot'; file: string; seal: SnapshotSeal }
  /** The last page was sent: index, swap in, and store the cursor. */
  | { type: 'finish'; cursor: string }
  /** Stop and drop the load tables (sign-out, shutdown). */
  | { type: 'abort' };

export type DownloadReport =
  | { type: 'ready' }
  /**
   * A page's envelope, as soon as it is parsed, so the next request need not wait for its rows.
   * For a snapshot: its cursor, with `hasMore` (the changes after it) and its rows as `total`.
   */
  | { type: 'envelope'; cursor: string; hasMore: boolean; total: number | null; changes: number }
  | { type: 'appended'; changes: number; ms: number }
  | { type: 'progress'; step: string }
  | { type: 'finished'; summary: SwapSummary; ms: number }
  /** `badAnswer`: the server's page did not match the protocol (not a fault of this terminal). */
  | { type: 'failed'; error: string; badAnswer: boolean }
  | { type: 'aborted' };
