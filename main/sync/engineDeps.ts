/**
 * What the sync engine is built from: its schedule, the parts it is handed, and the seam between
 * its loop and the part that takes changes in (ChangeSource). A module of its own so that the
 * engine's parts (pusher, puller, first downloads) can name these types without importing the
 * engine that imports them.
 */
import type { CollectionName, Role } from '../../shared/domain/collections';
import type { EventChannel, EventPayload } from '../../shared/ipc/contract';
import type { CacheCalls } from '../cache/cache-messages';
import type { PokedPage, RunStart } from '../cache/service';
import type { JsonText } from '../ipc/jsonText';
import type { ServerClient } from './client';
import type { FirstDownload } from './firstDownload/firstDownload';

export interface SyncSchedule {
  /** How often the puller pulls while the live channel is down. */
  fastMs: number;
  /** Page size of pulls. */
  pullLimit: number;
  /** Mutations per push request. */
  pushBatch: number;
}

/** Tells the windows: the payload, or its JSON text as the cache thread wrote it (ipc/jsonText.ts). */
export type Emit = <E extends EventChannel>(channel: E, payload: EventPayload<E> | JsonText<EventPayload<E>>) => void;

export interface EngineDeps {
  /** The cache, on its own thread: every call is one awaited message. */
  cache: CacheCalls;
  /** The cache file: snapshot parts are written beside it. */
  cacheFile: string;
  client: ServerClient;
  clientId: string;
  /** Ask for pokes that carry the changes, saving a pull per change (default true). */
  pokedChanges?: boolean;
  /** What takes the server's changes in; default: the puller (cursor pulls woken by the live channel). */
  changeSource?: ChangeSourceFactory;
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

/** How far the first download is, as sync.status reports it. */
export interface InitialSync {
  done: boolean;
  received: number;
  total: number | null;
}

/** What the engine lends the part that takes changes in. */
export interface ChangeSourceHost {
  deps: EngineDeps;
  /** Shared with the engine's status: the source reports the first download's progress here. */
  initial: InitialSync;
  stopped(): boolean;
  /** The server answered: a long first download must not read as Offline until its last page. */
  answered(): void;
  /** Ask the engine's loop for a run (`pull`: that run pulls even when pokes say nothing is new). */
  requestSync(pull?: boolean): Promise<void>;
  /** Something failed outside a run (e.g. the token refresh after a refused live channel). */
  failed(error: unknown): void;
  publishStatus(): Promise<void>;
}

/**
 * The part of the engine that takes the server's changes in, after each run's push. The product
 * has one (puller.ts); the bench injects the seed's refetch-everything behaviour through it.
 */
export interface ChangeSource {
  /** The live channel is up: the status says 'live'. */
  readonly isLive: boolean;
  /** Start its timers or channel (the engine then asks for a first run). */
  start(): void;
  stop(): void;
  /** Someone asked for a pull (sync.now, or a poke that did not come): the next run fetches even if nothing seems new. */
  wantPull(): void;
  /** A local mutation was written (the engine then asks for a run). */
  afterLocalMutation(): void;
  /**
   * The pages of changes it holds that a run's start may apply when there is nothing to push
   * (CacheService.runStart), in the order they came; none when it takes changes in otherwise.
   */
  readyPages(): readonly PokedPage[];
  /**
   * A run starts, before its push, with the cache's cursor as the run read it (CacheService.runStart),
   * and the ready pages it applied: the puller keeps the cursor, so that a cache with none says at once
   * (in the status) that its first download is under way, and tells the windows what was applied.
   */
  beginRun(start: RunStart): Promise<void>;
  /**
   * The run's start failed with the ready pages it was handed (a change the cache refused, the
   * cache gone): they are dropped, as a page that fails in the intake is, and the next run pulls.
   */
  dropReadyPages(): void;
  /**
   * One run's intake, after the push (`afterPush`: the push sent something); false when it wrote
   * nothing to the cache, so the counts the run's start read still hold.
   */
  pull(afterPush: boolean): Promise<boolean>;
  /** A run went through. */
  succeeded(): void;
  /** The cache was emptied: the next intake starts from nothing. */
  forget(): void;
  /** The collections this source keeps in the cache for a role. */
  collections(role: Role): CollectionName[];
}

export type ChangeSourceFactory = (host: ChangeSourceHost) => ChangeSource;
