/**
 * A receptionist's edit while another connection writes the same cache file (the first download's
 * thread swapping its tables in): the edit must wait for the lock, never fail with "database is
 * locked". A deferred transaction read first and then could not write on top of its stale
 * snapshot (SQLITE_BUSY_SNAPSHOT, which SQLite does not wait out): an e2e run lost a new patient so.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { PublicUser } from '../../shared/domain/collections';
import { openCache } from '../../main/cache/database';
import { testCacheKey } from '../support/cacheKey';
import { Outbox } from '../../main/cache/outbox';
import { RowCache } from '../../main/cache/rows';
import { writeLocalMutation } from '../../main/mutations/local';

/** Commits as fast as it can on a connection of its own, until told to stop. */
const churn = `
const Database = require('better-sqlite3-multiple-ciphers');
const { workerData, parentPort } = require('node:worker_threads');
const db = new Database(workerData.file);
db.pragma("cipher = 'sqlcipher'");
db.pragma('legacy = 4');
db.pragma('legacy_page_size = 16384');
db.pragma('hmac_use = 0');
db.pragma(\`key = "x'\${workerData.key}'"\`);
db.pragma('busy_timeout = 5000');
db.exec('CREATE TABLE IF NOT EXISTS churn (n INTEGER)');
const insert = db.prepare('INSERT INTO churn (n) VALUES (?)');
let stop = false;
parentPort.on('message', () => (stop = true));
parentPort.postMessage('ready');
let n = 0;
const tick = () => {
  for (let i = 0; i < 50; i++) insert.run(n++);
  if (stop) { db.close(); parentPort.postMessage(n); } else setImmediate(tick);
};
tick();
`;

test('local edits while another connection commits all land, none refused as locked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-concurrency-'));
  const db = openCache(dir, testCacheKey);
  const rows = new RowCache(db, () => 'receptionist');
  const outbox = new Outbox(db);
  const user = { id: '7d1f3c9e-5b2a-4c8d-9e0f-1a2b3c4d5e6f', username: 'front', displayName: 'Front', role: 'receptionist' } as PublicUser;
  const worker = new Worker(churn, { eval: true, workerData: { file: db.name, key: testCacheKey } });
  try {
    await once(worker, 'message');
    const failures: string[] = [];
    let made = 0;
    const end = Date.now() + 1500;
    while (Date.now() < end) {
      try {
        writeLocalMutation(db, rows, outbox, user, { op: 'create', collection: 'patients', data: { firstName: 'Walk', lastName: `In ${made}` } });
        made++;
      } catch (err) {
        failures.push((err as Error).message);
      }
      await new Promise((r) => setImmediate(r));
    }
    worker.postMessage('stop');
    const [commits] = (await once(worker, 'message')) as [number];
    assert.ok(commits > 100, `the other connection committed meanwhile (${commits})`);
    assert.deepEqual(failures.slice(0, 3), [], `${failures.length} of ${made + failures.length} edits failed`);
    assert.equal(outbox.size(), made);
    assert.equal(rows.count('patients'), made);
  } finally {
    await worker.terminate();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
