/**
 * The first download's thread (started by ./firstDownload.ts): its own connection to the cache
 * file; it decodes and checks each pulled page and appends it to the load tables (./bulkLoad.ts), then swaps
 * them in. The main thread only fetches pages and passes their bytes on, so windows and IPC keep
 * their event loop while 600k rows are written.
 */
import { rmSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { pullEnvelope } from '../../../shared/sync/protocol';
import { BadServerAnswer, parsePulledChange } from '../client';
import { BulkLoad, dropLoadTables, loadTable } from './bulkLoad';
import { copySnapshot, linkSnapshotBytes, openSnapshot } from './snapshotImport';
import { unsealSnapshot, type SnapshotSeal } from './snapshotSeal';
import { openEncrypted } from '../../cache/encryption';
import type { DownloadCommand, DownloadReport, DownloadWorkerData } from './messages';

const config = workerData as DownloadWorkerData;
const port = parentPort;
if (!port) throw new Error('download-worker runs as a worker thread of the terminal core');
const report = (r: DownloadReport) => port.postMessage(r);

const db = openEncrypted(config.file, config.cacheKey, { fileMustExist: true, ...(config.nativeBinding ? { nativeBinding: config.nativeBinding } : {}) });
// The main thread may hold the write lock for a local edit; its transactions are short.
db.pragma('busy_timeout = 5000');
// Checkpoints belong to the checkpoint thread (see cache/checkpointer.ts), not to this writer.
db.pragma('wal_autocheckpoint = 0');
db.pragma('secure_delete = ON');
const load = new BulkLoad(db, config.role, config.collections);
load.begin();
report({ type: 'ready' });

let failed = false;

function appendPage(bytes: ArrayBuffer): void {
  let envelope;
  try {
    envelope = pullEnvelope.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch (err) {
    throw new BadServerAnswer(`Unexpected answer to a pull: ${(err as Error).message.slice(0, 300)}`);
  }
  report({ type: 'envelope', cursor: envelope.cursor, hasMore: envelope.hasMore, total: envelope.total ?? null, changes: envelope.changes.length });
  const started = performance.now();
  const changes = envelope.changes.map(parsePulledChange);
  load.append(changes);
  report({ type: 'appended', changes: changes.length, ms: performance.now() - started });
}

function appendSnapshot(snapshotFile: string, seal: SnapshotSeal): void {
  const started = performance.now();
  try {
    const bytes = unsealSnapshot(snapshotFile, seal);
    rmSync(snapshotFile, { force: true });
    const link = linkSnapshotBytes(bytes, config.file, config.cacheKey, config.nativeBinding);
    const head = openSnapshot(link, config.collections);
    // The part is readable: the engine goes on while its rows are copied (it has already asked for
    // the next part, or the first page after the snapshot).
    report({ type: 'envelope', cursor: head.cursor, hasMore: true, total: head.rows, changes: head.rows });
    const rows = copySnapshot(link, config.role, config.collections, loadTable, (batch) => report({ type: 'appended', changes: batch, ms: 0 }));
    report({ type: 'progress', step: `snapshot part of ${rows} rows copied in ${Math.round(performance.now() - started)} ms` });
  } finally {
    rmSync(snapshotFile, { force: true });
  }
}

function stop(): void {
  db.close();
  port!.close();
}

port.on('message', (raw: unknown) => {
  const command = raw as DownloadCommand;
  if (failed) return;
  try {
    if (command.type === 'page') appendPage(command.bytes);
    else if (command.type === 'snapshot') appendSnapshot(command.file, command.seal);
    else if (command.type === 'finish') {
      const started = performance.now();
      const summary = load.finish(command.cursor, (step) => report({ type: 'progress', step }));
      report({ type: 'finished', summary, ms: performance.now() - started });
      stop();
    } else if (command.type === 'abort') {
      dropLoadTables(db);
      report({ type: 'aborted' });
      stop();
    }
  } catch (err) {
    // One failed page spoils the download: the engine starts a new one from the beginning.
    failed = true;
    try {
      dropLoadTables(db);
    } catch {
      // the next download drops them before it starts
    }
    report({ type: 'failed', error: (err as Error).message, badAnswer: err instanceof BadServerAnswer });
    stop();
  }
});
