import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { sealingStream, type SnapshotSeal } from '../../main/sync/firstDownload/snapshotSeal';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { syncedCollections } from '../../shared/domain/access';
import type { AnyRow } from '../../shared/domain/collections';
import type { SyncStatus } from '../../shared/ipc/contract';
import { openCache } from '../../main/cache/database';
import { testCacheKey } from '../support/cacheKey';
import { RowCache } from '../../main/cache/rows';
import { TerminalState } from '../../main/cache/state';
import { testCacheThread } from '../support/cacheThread';
import { ServerUnreachable, type ServerClient } from '../../main/sync/client';
import { SyncEngine, seedSchedule } from '../../main/sync/engine';
import { FirstDownload, defaultDownloadWorkerScript } from '../../main/sync/firstDownload/firstDownload';
import { SqliteClinicStore } from '../../server/store/sqlite';

const at = '2026-11-25T10:00:00.000Z';
const staff = randomUUID();

/** Three pull pages of 100 patients each, cursors '1' -> '2' -> '3', as the server's bytes. */
function scriptedPages() {
  const ids = Array.from({ length: 300 }, () => randomUUID());
  return [0, 1, 2].map((p) => {
    const changes = ids.slice(p * 100, p * 100 + 100).map((id, i) => ({
      collection: 'patients',
      id,
      op: 'upsert',
      version: 1,
      row: { id, version: 1, updatedAt: at, updatedBy: staff, firstName: `P${p}-${i}`, lastName: 'Download' },
    }));
    return { since: p === 0 ? null : String(p), body: { changes, cursor: String(p + 1), hasMore: p < 2, ...(p === 0 ? { total: 300 } : {}) } };
  });
}

/**
 * A doctor's empty cache and a sync engine on it whose server is `client` (what the test scripts);
 * `finished()` waits for initialSync.done and says what the windows heard.
 */
function engineOn(client: Partial<ServerClient>) {
  const dir = mkdtempSync(join(tmpdir(), 'first-download-engine-'));
  const db = openCache(dir, testCacheKey);
  const state = new TerminalState(db);
  state.setSession({ user: { id: staff, username: 'dr', displayName: 'Dr', role: 'doctor' }, signedIn: true });
  const rows = new RowCache(db, () => 'doctor');
  // The engine reaches the cache through its thread, as in the terminal; the test reads it through its own connection.
  const cache = testCacheThread(dir);
  const log: string[] = [];
  const statuses: SyncStatus[] = [];
  let announced = 0;
  const engine = new SyncEngine({
    cache: cache.calls,
    cacheFile: db.name,
    client: {
      liveTarget: () => ({ url: 'ws://127.0.0.1:9/', token: null }),
      wire: { requests: 0, bytesSent: 0, bytesReceived: 0 },
      async pull(since: string | null) {
        // After the download: nothing new.
        return { bytes: Buffer.from(JSON.stringify({ changes: [], cursor: since ?? '0', hasMore: false })), path: '/api/sync/pull' };
      },
      ...client,
    } as unknown as ServerClient,
    clientId: 'test',
    schedule: { ...seedSchedule, fastMs: 3_600_000 },
    emit: (channel, payload) => {
      if (channel === 'sync.status') statuses.push(payload as SyncStatus);
      if (channel === 'data.downloaded') announced += (JSON.parse((payload as { rowsJson: string }).rowsJson) as unknown[]).length;
    },
    role: () => 'doctor',
    onSessionExpired: () => {},
    startDownload: (role, collections, onAppended) =>
      FirstDownload.start({ script: defaultDownloadWorkerScript(), file: db.name, cacheKey: testCacheKey, role, collections, onAppended, log: (l) => log.push(l) }),
    log: (l) => log.push(l),
  });
  return {
    db, rows, state, log, statuses, engine,
    announced: () => announced,
    async finished(what: () => string): Promise<SyncStatus> {
      engine.start();
      const deadline = Date.now() + 20_000;
      while (!statuses.some((s) => s.initialSync.done) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const done = statuses.find((s) => s.initialSync.done);
      assert.ok(done, `the download finished (${what()}; log ${log.join(' | ')})`);
      return done;
    },
    async close() {
      await engine.stop();
      await cache.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('a first download cut off mid-way resumes where it stopped, on its thread, and says done once every row is out', async () => {
  const pages = scriptedPages();
  const asked: (string | null)[] = [];
  let cut = false;
  const t = engineOn({
    // A server without snapshots (shared/sync/snapshot.ts): the download walks the log.
    async snapshotTo() {
      return null;
    },
    async pullBytes(since: string | null) {
      asked.push(since);
      // The network drops once, on the request for the second page.
      if (since === '1' && !cut) {
        cut = true;
        throw new ServerUnreachable('connection reset');
      }
      const page = pages.find((p) => p.since === since);
      if (!page) return Buffer.from(JSON.stringify({ changes: [], cursor: since ?? '0', hasMore: false }));
      return Buffer.from(JSON.stringify(page.body));
    },
  });
  try {
    const done = await t.finished(() => `asked ${JSON.stringify(asked)}`);
    assert.equal(t.rows.count('patients'), 300);
    assert.equal(t.state.getCursor(), '3');
    assert.deepEqual(asked.slice(0, 4), [null, '1', '1', '2'], 'after the cut it asked for the second page again, not the first');
    assert.ok(t.statuses.some((s) => s.lastError?.includes('connection reset')), 'the cut was reported');
    assert.equal(done.initialSync.received, 300, 'every row counted once, across the cut');
    assert.equal(t.announced(), 300, 'the windows heard of every row before "done"');
    assert.ok(t.log.some((l) => /first download: 300 rows cached/.test(l)), t.log.join('\n'));
  } finally {
    await t.close();
  }
});

test('a snapshot with a bad row is refused, and the next first download walks the change log instead', async () => {
  // A real snapshot from a server store, with one row broken on the way.
  const serverDir = mkdtempSync(join(tmpdir(), 'first-download-engine-server-'));
  const store = new SqliteClinicStore({ dataDir: serverDir });
  await store.migrate();
  const pages = scriptedPages();
  for (const change of pages[0]!.body.changes) {
    await store.write(async (tx) => {
      await tx.putRow({ collection: 'patients', id: change.id, version: 1, deleted: false, row: change.row as AnyRow, fieldVersions: {} });
      await tx.appendChange({ collection: 'patients', id: change.id, version: 1, op: 'upsert' });
    });
  }
  const snapshot = await store.writeSnapshot!({ role: 'doctor', collections: syncedCollections('doctor'), limit: 1000 });
  const broken = new Database(snapshot.file);
  broken.exec("UPDATE rows_patients SET data = json_set(data, '$.id', 'someone-else') WHERE rowid = 50");
  broken.close();
  let snapshotsAsked = 0;
  const asked: (string | null)[] = [];
  const t = engineOn({
    async snapshotTo(file: string, _after: string | null, _limit: number, seal: SnapshotSeal) {
      snapshotsAsked++;
      // As the client does: the part goes to disk through the engine's seal.
      await pipeline(createReadStream(snapshot.file), sealingStream(seal), createWriteStream(file));
      return { bytes: statSync(file).size, serverMs: 1, cursor: snapshot.cursor, next: null, total: 100 };
    },
    async pullBytes(since: string | null) {
      asked.push(since);
      const page = pages.find((p) => p.since === since);
      // After the snapshot's cursor: nothing new.
      return Buffer.from(JSON.stringify(page?.body ?? { changes: [], cursor: since, hasMore: false }));
    },
  });
  try {
    const done = await t.finished(() => `snapshots ${snapshotsAsked}, pages ${JSON.stringify(asked)}`);
    assert.equal(snapshotsAsked, 1, 'the bad snapshot was not fetched again');
    // The refused download may have asked for what came after the snapshot before it failed.
    assert.deepEqual(asked.filter((since) => since !== snapshot.cursor), [null, '1', '2'], 'the second download walked the log from the start');
    assert.ok(t.log.some((l) => /snapshot was refused \(The snapshot holds a malformed patients row/.test(l)), t.log.join('\n'));
    assert.equal(t.rows.count('patients'), 300);
    assert.equal(done.initialSync.received, 300, 'the refused snapshot counts for nothing');
    assert.equal(t.announced(), 300);
    assert.deepEqual(readdirSync(dirname(t.db.name)).filter((f) => f.includes('.snapshot')), [], 'the snapshot file is gone');
  } finally {
    await t.close();
    await store.close();
    rmSync(serverDir, { recursive: true, force: true });
  }
});
