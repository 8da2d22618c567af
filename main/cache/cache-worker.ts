/**
 * The cache worker thread (started by cacheThread.ts): the only thread of the terminal that holds
 * the cache connection. It serves CacheService's methods one message at a time, in the order they
 * came; a pulled page yields between its slices, so a window's request waits at most a slice.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IpcFailure } from '../ipc/failure';
import { CacheService } from './service';
import type { CacheError, CacheOpened, CacheRequest, CacheWorkerData, CacheWorkerMessage } from './cache-messages';

const port = parentPort;
if (!port) throw new Error('cache-worker runs as a worker thread of the terminal');
const send = (message: CacheWorkerMessage) => port.postMessage(message);

function crossing(err: unknown): CacheError {
  if (err instanceof IpcFailure) return { name: 'IpcFailure', message: err.message, ipc: true, code: err.code, ...(err.details ? { details: err.details } : {}) };
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, ipc: false };
}

const { opened, ...options } = workerData as CacheWorkerData;
/** Tell the main thread, which waits for it, how the opening went. */
function answerOpening(answer: CacheOpened): void {
  opened.port.postMessage(answer);
  opened.port.close();
  Atomics.store(opened.signal, 0, 1);
  Atomics.notify(opened.signal, 0);
}

let service: CacheService;
try {
  service = new CacheService(options, (notice) => send({ type: 'notice', notice }));
  answerOpening({ ok: true, opening: service.opening() });
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
