/**
 * The WAL checkpointer's thread (started by ./checkpointer.ts): its own connection to the cache
 * file, a PASSIVE checkpoint every few hundred milliseconds while the WAL is being written, and a
 * report of what each one copied. PASSIVE never waits for the writer, so the main thread's commits
 * go on meanwhile.
 */
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { openEncrypted } from './encryption';
import type { CheckpointCommand, CheckpointReport, CheckpointWorkerData } from './checkpoint-messages';

const config = workerData as CheckpointWorkerData;
const port = parentPort;
if (!port) throw new Error('checkpoint-worker runs as a worker thread of the terminal core');

const db = openEncrypted(config.file, config.cacheKey, { fileMustExist: true, ...(config.nativeBinding ? { nativeBinding: config.nativeBinding } : {}) });
db.pragma('busy_timeout = 1000');

/** The WAL's size and checkpointed frames at the last call: SQLite counts both from the WAL's start. */
let last = { log: 0, checkpointed: 0 };

function checkpoint(): void {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    if (!result) return;
    // A shorter WAL than last time means a writer restarted it: everything counted is new.
    const copied = result.log < last.log ? result.checkpointed : Math.max(0, result.checkpointed - last.checkpointed);
    last = { log: result.log, checkpointed: result.checkpointed };
    if (copied > 0) port!.postMessage({ type: 'checkpointed', frames: copied, walFrames: result.log } satisfies CheckpointReport);
  } catch (err) {
    port!.postMessage({ type: 'failed', error: (err as Error).message } satisfies CheckpointReport);
  }
}

/**
 * A checkpoint takes SQLite's locks and reads its index even when there is nothing to copy; a
 * terminal is idle most of the day. A tick whose WAL file has not changed since the last one skips
 * it (a stat). File times are coarse, so a write in the same clock tick as the last stat could go
 * unseen: every QUIET_CHECKPOINT_MS a checkpoint runs anyway.
 */
const QUIET_CHECKPOINT_MS = 5000;
let lastWal = '';
let lastRunAt = 0;

function tick(): void {
  let wal = 'none';
  try {
    const s = statSync(`${config.file}-wal`, { bigint: true });
    wal = `${s.size}/${s.mtimeNs}`;
  } catch {
    /* no WAL file yet: nothing to copy, unless the quiet period says to look anyway */
  }
  const now = Date.now();
  if (wal === lastWal && now - lastRunAt < QUIET_CHECKPOINT_MS) return;
  lastWal = wal;
  lastRunAt = now;
  checkpoint();
}

const timer = setInterval(tick, config.everyMs);
port.postMessage({ type: 'ready' } satisfies CheckpointReport);
port.on('message', (raw: unknown) => {
  const command = raw as CheckpointCommand;
  if (command.type === 'stop') {
    clearInterval(timer);
    db.close();
    port.postMessage({ type: 'stopped' } satisfies CheckpointReport);
    port.close();
  }
});
