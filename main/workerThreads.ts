/**
 * Starting one of the core's worker threads (the WAL checkpointer, the first download). A
 * TypeScript script is loaded through tsx's API inside the thread: the `--import tsx` the
 * process was started with does not reach worker threads (privatenumber/tsx#354). Under
 * Electron the scripts are bundled .cjs files and start as they are.
 */
import { pathToFileURL } from 'node:url';
import { Worker, type Transferable } from 'node:worker_threads';

export function startWorkerThread(script: string | URL, workerData: unknown, transferList: Transferable[] = []): Worker {
  const href = script instanceof URL ? script.href : pathToFileURL(script).href;
  if (!href.endsWith('.ts')) return new Worker(script, { workerData, transferList });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData, transferList });
}
