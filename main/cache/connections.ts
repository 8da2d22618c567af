/**
 * Every SQLite connection the terminal opens starts here (the cache's, the checkpoint thread's,
 * the first download's, a snapshot part's), so which thread opened it can be checked: the main
 * thread opens none (tests/integration/terminal-cache-thread.test.ts).
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { isMainThread } from 'node:worker_threads';

let openedOnMainThread = 0;

export function newConnection(source: string | Buffer, options: Database.Options = {}): Database.Database {
  if (isMainThread) openedOnMainThread++;
  return new Database(source, options);
}

/** How many connections this process's main thread opened (each worker thread counts its own). */
export function connectionsOpenedOnMainThread(): number {
  return openedOnMainThread;
}
