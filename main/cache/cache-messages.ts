/**
 * The one message interface between the main thread and the cache thread (cacheThread.ts), typed once from
 * CacheService: a request names a method and carries its arguments, the reply carries its result
 * (or the error it threw), and the worker's unasked notices (log lines, "Needs attention" changes)
 * come beside them.
 */
import type { IpcError } from '../../shared/ipc/contract';
import type { MessagePort } from 'node:worker_threads';
import type { CacheNotice, CacheOpening, CacheOpenOptions, CacheService } from './service';

type Method<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];

/** The calls the cache answers: every public method of CacheService. */
export type CacheMethod = Method<CacheService>;
type Call<K extends CacheMethod> = CacheService[K] extends (...args: infer A) => infer R ? { args: A; result: Awaited<R> } : never;
export type CacheArgs<K extends CacheMethod> = Call<K>['args'];
export type CacheResult<K extends CacheMethod> = Call<K>['result'];

/** The cache as the main thread sees it: the same methods, each one awaited message. */
export type CacheCalls = { [K in CacheMethod]: (...args: CacheArgs<K>) => Promise<CacheResult<K>> };

export type CacheRequest = { [K in CacheMethod]: { id: number; method: K; args: CacheArgs<K> } }[CacheMethod];

/** An error as it crosses the thread: an IpcFailure keeps its code and details. */
export type CacheError = { message: string; name: string } & ({ ipc: false } | { ipc: true; code: IpcError['code']; details?: unknown[] });

export type CacheWorkerMessage =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: CacheError }
  | { type: 'notice'; notice: CacheNotice };

/** Sent once on `opened.port`, then `opened.signal[0]` set and notified: the main thread waits for it. */
export type CacheOpened = { ok: true; opening: CacheOpening } | { ok: false; error: string };

/** What the cache thread starts with; `servesCache` tells cacheThread.ts, loaded on that thread, to serve. */
export type CacheWorkerData = CacheOpenOptions & { servesCache: true; opened: { signal: Int32Array; port: MessagePort } };
