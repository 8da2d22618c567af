/**
 * The bench's one handle on a headless terminal core (main/core.ts): the same invoke channels
 * and events a window uses, nothing internal. Only this file knows the core's factory shape.
 */
import { createTerminal, type AnyTerminalEvent, type TerminalStats } from '../../main/terminal';
import type { SyncSchedule } from '../../main/sync/engine';
import { refetchEverything, type RefetchSchedule } from './refetchEverything';
import type { EventChannel, EventPayload, InvokeChannel, InvokeRequest, InvokeResponse, SyncStatus } from '../../shared/ipc/contract';
import { sleep, waitFor } from './stats';

/** First downloads and sign-ins (scrypt) at once: more would measure the machine, not the sync. */
export const signInsAtOnce = 2;

/** 'live': the product's sync; 'baseline': the seed's refetch-everything (./refetchEverything.ts). */
export type Strategy = 'live' | 'baseline';

export interface BenchTerminalOptions {
  dataDir: string;
  serverUrl: string;
  terminalName: string;
  strategy?: Strategy;
  /** Live: pokes carry the changes (the core's default) or only say "pull". */
  pokedChanges?: boolean;
  schedule?: Partial<SyncSchedule>;
  /** Shorter baseline timers, so a run can measure them in seconds instead of minutes. */
  baselineSchedule?: Partial<RefetchSchedule>;
  /** Experiments only: PRAGMAs run on the core's cache file before it syncs (e.g. a bigger page cache). */
  cachePragmas?: string[];
  /** False: an unencrypted cache, to measure what the encryption costs (default: encrypted, as shipped). */
  encryptCache?: boolean;
  /** The core's support log (default: dropped; a bench prints tables, not logs). */
  log?: (line: string) => void;
  /** 'inline': the cache served on the main thread, as before the cache thread (today's figure, side by side). */
  cacheThread?: 'worker' | 'inline';
}

export class IpcFailure extends Error {
  constructor(
    readonly channel: string,
    readonly code: string,
    message: string,
  ) {
    super(`${channel}: ${code}: ${message}`);
  }
}

export interface BenchTerminal {
  name: string;
  invoke<C extends InvokeChannel, R extends InvokeRequest<C>>(channel: C, request: R): Promise<InvokeResponse<C, R>>;
  on<E extends EventChannel>(channel: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** Every event as a transport gets it: a payload the core holds as JSON text stays unparsed. */
  onEvent(listener: (event: AnyTerminalEvent) => void): () => void;
  status(): Promise<SyncStatus>;
  /** The core's own counters: event-loop delay and the bytes of its HTTP bodies. */
  stats(): TerminalStats;
  resetStats(): void;
  /** The cache thread's own event-loop delay since the last reset (inline: the main thread's). */
  cacheLoopDelay(reset?: boolean): Promise<{ p50: number; p99: number; max: number }>;
  close(): Promise<void>;
}

export async function openTerminal(options: BenchTerminalOptions): Promise<BenchTerminal> {
  const core = createTerminal({
    dataDir: options.dataDir,
    serverUrl: options.serverUrl,
    terminalName: options.terminalName,
    ...(options.encryptCache === false ? { encryptCache: false } : {}),
    ...(options.cacheThread ? { cacheThread: options.cacheThread } : {}),
    ...(options.strategy === 'baseline' ? { changeSource: refetchEverything(options.baselineSchedule) } : {}),
    ...(options.pokedChanges !== undefined ? { pokedChanges: options.pokedChanges } : {}),
    ...(options.schedule ? { schedule: options.schedule } : {}),
    log: options.log ?? (() => undefined),
  });
  for (const pragma of options.cachePragmas ?? []) await core.benchPragma(pragma);
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  const rawListeners = new Set<(event: AnyTerminalEvent) => void>();
  core.onEvent((event) => {
    // `payload` parses a text payload (a pulled page's data.changed): only when someone listens for it.
    for (const listener of listeners.get(event.channel) ?? []) listener(event.payload);
    for (const listener of rawListeners) listener(event);
  });
  core.start();
  const terminal: BenchTerminal = {
    name: options.terminalName,
    async invoke(channel, request) {
      const envelope = await core.invoke(channel, request);
      if (!envelope.ok) throw new IpcFailure(channel, envelope.error.code, envelope.error.message);
      return envelope.value as InvokeResponse<typeof channel>;
    },
    on(channel, listener) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    onEvent(listener) {
      rawListeners.add(listener);
      return () => rawListeners.delete(listener);
    },
    status: () => terminal.invoke('sync.status', {}),
    stats: () => core.stats(),
    resetStats: () => core.resetStats(),
    cacheLoopDelay: (reset = false) => core.cacheLoopDelay(reset),
    close: async () => {
      await core.close();
    },
  };
  return terminal;
}

/** Log in (unless the cache already holds a session) and wait for the first full download. */
export async function signIn(terminal: BenchTerminal, username: string, password: string, timeoutMs = 180_000): Promise<void> {
  const current = await terminal.invoke('session.current', {});
  // A loaded machine can take a sign-in (scrypt) past the core's 15 s request timeout: try again.
  for (let attempt = 1; current.user === null; attempt++) {
    try {
      await terminal.invoke('session.login', { username, password });
      break;
    } catch (error) {
      if (!(error instanceof IpcFailure && error.code === 'offline') || attempt === 5) throw error;
      // Let the server work off the sign-ins it is still hashing before asking again.
      await sleep(10_000 * attempt);
    }
  }
  const done = await waitFor(async () => (await terminal.status()).initialSync.done, timeoutMs, 20);
  if (!done) throw new Error(`${terminal.name}: initial sync not done within ${timeoutMs} ms`);
}

/** Until the outbox is empty and the server is reachable (live, unless `live` is false). */
export async function waitQuiet(terminal: BenchTerminal, timeoutMs: number, live = true): Promise<SyncStatus> {
  let last = await terminal.status();
  await waitFor(
    async () => {
      last = await terminal.status();
      return last.pending === 0 && (live ? last.connection === 'live' : last.online);
    },
    timeoutMs,
    50,
  );
  return last;
}
