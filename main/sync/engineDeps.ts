/**
 * What the sync engine is built from: its schedule, its strategy and the parts it is handed.
 * A module of its own so that the engine's parts (pusher, first downloads) can name these types
 * without importing the engine that imports them.
 */
import type { CollectionName, Role } from '../../shared/domain/collections';
import type { EventChannel, EventPayload } from '../../shared/ipc/contract';
import type { CacheCalls } from '../cache/cache-messages';
import type { ServerClient } from './client';
import type { FirstDownload } from './firstDownload/firstDownload';

export type SyncStrategy = 'live' | 'baseline';

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
