/**
 * The WAL checkpointer's thread (started by ./checkpointer.ts): its own connection to the cache
 * file, a PASSIVE checkpoint when writes to the WAL pause (or every few seconds while they go on,
 * see tick), and a report of what each one copied. PASSIVE never waits for the writer, so the main thread's commits
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
 * When to checkpoint. A checkpoint of even a few pages costs about 1 ms of CPU and two fsyncs
 * (10 ms of disk), eight times the commit it copies: after every patient edit, on every terminal
 * of a busy clinic, that was the largest CPU cost of taking an edit in (docs/performance.md,
 * "What one core spends per received edit"). So a WAL being written is checkpointed once writes
 * pause for QUIET_MS, or after DIRTY_MAX_MS of writes without a pause, or at once when it grew by
 * GROWTH_BYTES since the last checkpoint (a first download, a burst): the WAL stays small, and a
 * stream of edits costs one checkpoint every few seconds instead of one per edit. (SQLite's own
 * default waits for 1,000 pages, 16 MiB here.)
 *
 * The WAL's size and time (a stat) say whether it was written; a checkpoint takes SQLite's locks
 * and reads its index even when there is nothing to copy, and a terminal is idle most of the day.
 * File times are coarse, so a write in the same clock tick as the last stat could go unseen: every
 * ANYWAY_MS a checkpoint runs anyway.
 *
 * How often to look: every look wakes this thread, and a wake-up is not free (on some VMs here each
 * cost milliseconds of CPU; docs/performance.md). So the thread looks every `everyMs` only while the
 * WAL grows by BULK_BYTES or more between looks (a first download, whose WAL must not run far ahead
 * of the checkpoints), every `slowMs` while it takes single edits or just stopped changing (a
 * checkpoint comes QUIET_MS to `slowMs` later than the last write), and every `idleMs` once it has
 * not changed for IDLE_AFTER_MS. A first download says it starts (`bulk`), so its first pages do not
 * wait for an idle interval to end. (A WAL restarted after a checkpoint is written again from its
 * start and does not grow: a download into it gets 1 s looks and a checkpoint every DIRTY_MAX_MS,
 * as GROWTH_BYTES never held for it either.)
 */
const QUIET_MS = 1000;
const DIRTY_MAX_MS = 5000;
const GROWTH_BYTES = 1 << 20;
const ANYWAY_MS = 5000;
const BULK_BYTES = 256 * 1024;
const IDLE_AFTER_MS = 10_000;
/** How long a `bulk` notice keeps the looks at `everyMs` (after it, the WAL's growth does). */
const BULK_NOTICE_MS = 3000;
let lastWal = '';
let lastRunAt = 0;
let lastChangeAt = 0;
/** When the WAL was first written after the last checkpoint; null: not since. */
let dirtySince: number | null = null;
let sizeAtCheckpoint = 0;
/** The WAL's size at the last look. */
let sizeAtLook = 0;
/** Until when to look every `everyMs` whatever the WAL shows (a first download starting). */
let oftenUntil = 0;

/** Looks at the WAL, checkpoints when due, and says when to look next (ms). */
function tick(): number {
  let wal = 'none';
  let size = 0;
  try {
    const s = statSync(`${config.file}-wal`, { bigint: true });
    wal = `${s.size}/${s.mtimeNs}`;
    size = Number(s.size);
  } catch {
    /* no WAL file yet: nothing to copy, unless the quiet period says to look anyway */
  }
  const now = Date.now();
  const changed = wal !== lastWal;
  const bulk = size - sizeAtLook >= BULK_BYTES;
  sizeAtLook = size;
  if (changed) {
    lastWal = wal;
    lastChangeAt = now;
    dirtySince ??= now;
  }
  const due = dirtySince !== null && (now - lastChangeAt >= QUIET_MS || now - dirtySince >= DIRTY_MAX_MS || size - sizeAtCheckpoint >= GROWTH_BYTES);
  if (due || now - lastRunAt >= ANYWAY_MS) {
    lastRunAt = now;
    dirtySince = null;
    sizeAtCheckpoint = size;
    checkpoint();
  }
  if (bulk || now < oftenUntil) return config.everyMs;
  return now - lastChangeAt >= IDLE_AFTER_MS ? config.idleMs : config.slowMs;
}

function look(): void {
  timer = setTimeout(look, tick());
}
let timer = setTimeout(look, config.everyMs);
port.postMessage({ type: 'ready' } satisfies CheckpointReport);
port.on('message', (raw: unknown) => {
  const command = raw as CheckpointCommand;
  if (command.type === 'bulk') {
    // The writer starts now; the looks it needs must not wait for an idle interval to end.
    oftenUntil = Date.now() + BULK_NOTICE_MS;
    clearTimeout(timer);
    timer = setTimeout(look, config.everyMs);
  }
  if (command.type === 'stop') {
    clearTimeout(timer);
    db.close();
    port.postMessage({ type: 'stopped' } satisfies CheckpointReport);
    port.close();
  }
});
