import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openCache, rowTable, type CacheDb } from '../../main/cache/database';
import { testCacheKey } from '../support/cacheKey';
import { WalCheckpointer, defaultCheckpointWorkerScript } from '../../main/cache/checkpointer';

function writeRows(db: CacheDb, count: number): void {
  const put = db.prepare(`INSERT INTO ${rowTable('patients')} (id, version, data) VALUES (?, 1, ?)`);
  db.transaction(() => {
    for (let i = 0; i < count; i++) put.run(randomUUID(), JSON.stringify({ note: 'x'.repeat(200), i }));
  })();
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

const autoCheckpoint = (db: CacheDb) => db.pragma('wal_autocheckpoint', { simple: true }) as number;

test('the checkpoint thread copies the WAL into the cache file while the main connection never checkpoints', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
  const db = openCache(dir, testCacheKey);
  const lines: string[] = [];
  const checkpointer = new WalCheckpointer(db, { cacheKey: testCacheKey, script: defaultCheckpointWorkerScript(), everyMs: 50, log: (l) => lines.push(l) });
  try {
    assert.equal(autoCheckpoint(db), 0, 'the main connection must leave checkpoints to the thread');
    const fileBefore = statSync(db.name).size;
    // Well over SQLite's 1,000-page automatic threshold: without the thread, the WAL would only grow.
    writeRows(db, 20_000);
    assert.ok(statSync(`${db.name}-wal`).size > 4_000_000, 'the rows are in the WAL first');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    assert.ok(await until(() => checkpointer.framesCopied * pageSize > 4_000_000, 10_000), `frames copied: ${checkpointer.framesCopied} of ${pageSize} bytes`);
    assert.ok(statSync(db.name).size > fileBefore + 4_000_000, 'the pages reached the cache file itself');
    assert.deepEqual(lines, ['WAL checkpoints run on their own thread']);
    // Writes go on while the thread checkpoints.
    writeRows(db, 1000);
    assert.equal((db.prepare(`SELECT count(*) AS n FROM ${rowTable('patients')}`).get() as { n: number }).n, 21_000);
  } finally {
    await checkpointer.stop();
    assert.equal(autoCheckpoint(db), 1000, 'stopped: the connection checkpoints itself again');
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint thread that cannot start hands checkpoints back to the connection and says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
  const db = openCache(dir, testCacheKey);
  const lines: string[] = [];
  const checkpointer = new WalCheckpointer(db, { cacheKey: testCacheKey, script: join(dir, 'no-such-worker.cjs'), log: (l) => lines.push(l) });
  try {
    assert.ok(await until(() => lines.length > 0, 5000), 'the failure is logged');
    assert.match(lines[0]!, /checkpoint thread .*; the cache checkpoints on the main thread from now on/);
    assert.equal(autoCheckpoint(db), 1000);
  } finally {
    await checkpointer.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
