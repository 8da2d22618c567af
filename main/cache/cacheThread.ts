/**
 * The cache thread, both ends of its one message channel. On the main thread: it starts the
 * thread (this very module, run as a worker) and hands out CacheCalls, where every call is one
 * message to that thread and one awaited reply; the main thread never opens the cache itself. On
 * the cache thread: it opens CacheService, the only holder of the cache connection, and serves its
 * methods one message at a time, in the order they came; a pulled page yields between its slices,
 * so a window's request waits at most a slice.
 *
 * Opening waits, once, for the thread to have opened the cache and read the session and the
 * settings (Atomics.wait): the core is constructed synchronously, as before, and from then on
 * keeps those in memory. `inline` serves the very same calls on the calling thread; only a
 * benchmark asks for it, to measure what the thread saves the main thread, side by side.
 */
import { isMainThread, MessageChannel, parentPort, receiveMessageOnPort, workerData, type MessagePort, type Worker } from 'node:worker_threads';
import { IpcFailure } from '../ipc/failure';
import { startWorkerThread } from '../workerThreads';
import type { CacheCalls, CacheError, CacheMethod, CacheOpened, CacheRequest, CacheWorkerData, CacheWorkerMessage } from './cache-messages';
import { CacheService, type CacheNotice, type CacheOpenOptions, type CacheOpening } from './service';

export interface CacheConnection {
  calls: CacheCalls;
  /** Calls made so far: each is a message to the cache thread and its reply (a wake-up of both threads). */
  readonly sent: { calls: number };
  /** What the cache held when it was opened. */
  opening: CacheOpening;
  close(): Promise<void>;
}

export interface CacheThreadOptions extends CacheOpenOptions {
  /** The cache thread's script: this module under tsx, its bundled .cjs (dist-electron/cache-worker.cjs) under Electron. */
  script: string | URL;
  /** 'inline': the same calls served on this thread (benchmarks only). */
  mode?: 'worker' | 'inline';
  onNotice: (notice: CacheNotice) => void;
}

/** How long opening may take (loading the thread's code, migrating an old cache file). */
const openTimeoutMs = 60_000;

/** This module, for tsx (the Electron build passes its bundled copy). */
export function defaultCacheWorkerScript(): URL {
  return new URL(import.meta.url);
}

export function openCacheConnection(options: CacheThreadOptions): CacheConnection {
  const { script, mode, onNotice, ...open } = options;
  return mode === 'inline' ? inlineConnection(open, onNotice) : workerConnection(script, open, onNotice);
}

function callsOf(send: (method: CacheMethod, args: unknown[]) => Promise<unknown>, sent: { calls: number }): CacheCalls {
  return new Proxy({} as CacheCalls, {
    get: (_target, method) => (...args: unknown[]) => {
      sent.calls++;
      return send(method as CacheMethod, args);
    },
  });
}

function inlineConnection(open: CacheOpenOptions, onNotice: (notice: CacheNotice) => void): CacheConnection {
  const service = new CacheService(open, onNotice);
  let closed = false;
  const sent = { calls: 0 };
  return {
    sent,
    calls: callsOf(async (method, args) => {
      if (closed) throw new Error('The cache is closed');
      return (service[method] as (...a: unknown[]) => unknown).apply(service, args);
    }, sent),
    opening: service.opening(),
    async close() {
      if (closed) return;
      closed = true;
      await service.close();
    },
  };
}

function workerConnection(script: string | URL, open: CacheOpenOptions, onNotice: (notice: CacheNotice) => void): CacheConnection {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1: openedPort, port2 } = new MessageChannel();
  const data: CacheWorkerData = { ...open, servesCache: true, opened: { signal, port: port2 } };
  const worker: Worker = startWorkerThread(script, data, [port2]);
  if (Atomics.wait(signal, 0, 0, openTimeoutMs) === 'timed-out') {
    void worker.terminate();
    throw new Error(`the cache thread did not open the cache within ${openTimeoutMs / 1000} s`);
  }
  const opened = receiveMessageOnPort(openedPort)?.message as CacheOpened | undefined;
  openedPort.close();
  if (!opened || !opened.ok) {
    void worker.terminate();
    throw new Error(`the cache could not be opened: ${opened?.error ?? 'the cache thread said nothing'}`);
  }

  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let gone: Error | null = null;
  const fail = (err: Error) => {
    if (gone) return;
    gone = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('message', (message: CacheWorkerMessage) => {
    if (message.type === 'notice') return onNotice(message.notice);
    const w = waiting.get(message.id);
    if (!w) return;
    if (message.ok) w.resolve(message.value);
    else if (message.error.ipc) w.reject(new IpcFailure(message.error.code, message.error.message, message.error.details));
    else w.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => fail(new Error(`the cache thread exited (code ${code})`)));
  // The thread keeps the process alive only while a reply is awaited (the cache connection on the
  // main thread did not keep it alive either).
  worker.unref();

  const send = (method: CacheMethod, args: unknown[]): Promise<unknown> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    if (waiting.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      const settle = () => {
        waiting.delete(id);
        if (waiting.size === 0 && !gone) worker.unref();
      };
      waiting.set(id, {
        resolve: (value) => (settle(), resolve(value)),
        reject: (err) => (settle(), reject(err)),
      });
      worker.postMessage({ id, method, args } as CacheRequest);
    });
  };
  let closing: Promise<void> | null = null;
  const sent = { calls: 0 };
  return {
    sent,
    calls: callsOf(send, sent),
    opening: opened.opening,
    close() {
      closing ??= (async () => {
        try {
          await Promise.race([send('close', []), new Promise((r) => setTimeout(r, 5000).unref())]);
        } catch {
          // Already gone: nothing left to close.
        }
        gone ??= new Error('The cache is closed');
        await worker.terminate();
      })();
      return closing;
    },
  };
}

// ---------- the cache thread's end ----------

function crossing(err: unknown): CacheError {
  if (err instanceof IpcFailure) return { name: 'IpcFailure', message: err.message, ipc: true, code: err.code, ...(err.details ? { details: err.details } : {}) };
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, ipc: false };
}

function serveCache(port: MessagePort, { opened, servesCache: _, ...options }: CacheWorkerData): void {
  const send = (message: CacheWorkerMessage) => port.postMessage(message);
  /** Tell the main thread, which waits for it, how the opening went. */
  const answerOpening = (answer: CacheOpened) => {
    opened.port.postMessage(answer);
    opened.port.close();
    Atomics.store(opened.signal, 0, 1);
    Atomics.notify(opened.signal, 0);
  };

  let service: CacheService;
  try {
    service = new CacheService(options, (notice) => send({ type: 'notice', notice }));
    answerOpening({ ok: true, opening: service.opening() });
    // Before the first request is served, while the main thread signs in (see warmUp).
    service.warmUp();
  } catch (err) {
    answerOpening({ ok: false, error: (err as Error).stack ?? String(err) });
    throw err;
  }

  port.on('message', (request: CacheRequest) => {
    void (async () => {
      try {
        const call = service[request.method] as (...args: unknown[]) => unknown;
        const value = await call.apply(service, request.args);
        send({ type: 'reply', id: request.id, ok: true, value });
        if (request.method === 'close') port.close();
      } catch (err) {
        send({ type: 'reply', id: request.id, ok: false, error: crossing(err) });
      }
    })();
  });
}

// Started as the cache thread by workerConnection (and by nothing else: other threads carry other data).
if (!isMainThread && parentPort && (workerData as Partial<CacheWorkerData> | null)?.servesCache === true) {
  serveCache(parentPort, workerData as CacheWorkerData);
}
