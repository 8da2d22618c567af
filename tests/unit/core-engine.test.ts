import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openCache } from '../../main/cache/database';
import { testCacheKey } from '../support/cacheKey';
import { TerminalState } from '../../main/cache/state';
import { testCacheThread } from '../support/cacheThread';
import { SyncEngine, seedSchedule } from '../../main/sync/engine';
import { refetchEverything } from '../../bench/support/refetchEverything';
import { ServerUnreachable, type ServerClient } from '../../main/sync/client';
import type { PullResponse } from '../../shared/sync/protocol';

/** An engine over a real cache and a scripted server (no network); 'baseline': the bench's seed refetch, no live socket. */
function engineWith(server: Partial<ServerClient>, strategy: 'live' | 'baseline' = 'baseline') {
  const dir = mkdtempSync(join(tmpdir(), 'core-engine-'));
  const db = openCache(dir, testCacheKey);
  const state = new TerminalState(db);
  state.setSession({ user: { id: randomUUID(), username: 'a', displayName: 'A', role: 'doctor' }, signedIn: true });
  // The engine reaches the cache through its thread, as in the terminal; the test reads it through its own connection.
  const cache = testCacheThread(dir);
  const events: string[] = [];
  const engine = new SyncEngine({
    cache: cache.calls,
    cacheFile: db.name,
    client: { liveTarget: () => ({ url: 'ws://127.0.0.1:9/', token: null }), wire: { requests: 0, bytesSent: 0, bytesReceived: 0 }, ...server } as unknown as ServerClient,
    clientId: 'test',
    ...(strategy === 'baseline' ? { changeSource: refetchEverything({ fastMs: 3_600_000, slowMs: 3_600_000 }) } : {}),
    schedule: { ...seedSchedule, fastMs: 3_600_000 },
    emit: (channel) => events.push(channel),
    role: () => 'doctor',
    onSessionExpired: () => events.push('expired'),
    log: () => {},
  });
  return { engine, db, events, state, done: async () => { await cache.close(); db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('never two syncs at once: requests during a run coalesce into one more run', async () => {
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  const { engine, done } = engineWith({
    listCollection: async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return [];
    },
  });
  const original = engine['loop'].bind(engine);
  engine['loop'] = async () => {
    runs++;
    return original();
  };
  engine.start();
  await Promise.all(Array.from({ length: 20 }, () => engine.afterLocalMutation()));
  await engine.stop();
  assert.equal(maxRunning, 1, 'one request at a time');
  assert.ok(runs <= 2, `20 requests while running coalesced into ${runs} loop(s)`);
  await done();
});

test('an unreachable server means offline with a retry scheduled; pull pages are applied with the cursor in one transaction', async () => {
  let calls = 0;
  const page = (since: string | null): PullResponse & { total: number | null } => {
    const n = since === null ? 0 : Number(since);
    const changes = Array.from({ length: 3 }, (_, i) => ({
      collection: 'inventory' as const,
      id: randomUUID(),
      op: 'upsert' as const,
      version: 1,
      row: { id: '', version: 1, updatedAt: '2026-11-25T00:00:00Z', updatedBy: 'x', name: `item ${n + i}`, quantity: 1, reorderLevel: 0, lowStock: false },
    })).map((c) => ({ ...c, row: { ...c.row, id: c.id } }));
    return { changes, cursor: String(n + 3), hasMore: n + 3 < 9, total: 9 };
  };
  const { engine, state, db, done } = engineWith(
    {
      push: async () => ({ results: [], cursor: '0' }),
      pull: async (since: string | null) => {
        calls++;
        if (calls === 1) throw new ServerUnreachable('down');
        // The server's bytes: the cache thread reads and checks them.
        return { bytes: Buffer.from(JSON.stringify(page(since))), path: '/api/sync/pull' };
      },
    },
    'live',
  );
  engine.start(); // its first run meets the unreachable server
  // Its failure schedules a retry (the first backoff is >= 250 ms: the retry has not run yet).
  for (let waited = 0; !engine['retryTimer'] && waited < 240; waited += 5) await new Promise((r) => setTimeout(r, 5));
  assert.equal((await engine.status()).connection, 'offline');
  assert.ok(engine['retryTimer'], 'a retry is scheduled');
  assert.match((await engine.status()).lastError ?? '', /down/);
  await engine.requestSync();
  await engine.stop();
  assert.equal(state.getCursor(), '9');
  const status = await engine.status();
  assert.deepEqual(status.initialSync, { done: true, received: 9, total: 9 });
  assert.equal((db.prepare('SELECT count(*) AS n FROM rows_inventory').get() as { n: number }).n, 9);
  await done();
});

test('a pull answer read on the cache thread is refused as before: not JSON, or not a pull page, moves nothing', async () => {
  let answer = Buffer.from('<html>proxy error</html>');
  const { engine, state, done } = engineWith(
    {
      push: async () => ({ results: [], cursor: '0' }),
      pull: async () => ({ bytes: answer, path: '/api/sync/pull?limit=250&since=7' }),
    },
    'live',
  );
  state.setCursor('7');
  engine.start();
  await engine.requestSync();
  assert.equal((await engine.status()).lastError, 'The server sent something that is not JSON for GET /api/sync/pull?limit=250&since=7');
  answer = Buffer.from(JSON.stringify({ changes: 'none', cursor: '3', hasMore: false }));
  await engine.requestSync();
  assert.match((await engine.status()).lastError ?? '', /^Unexpected answer to GET \/api\/sync\/pull\?limit=250&since=7: /);
  await engine.stop();
  assert.equal(state.getCursor(), '7', 'the cursor stays where it was');
  await done();
});

test('a cache with no cursor says its first download is under way from the first status after the start, before any push or pull answers', async () => {
  const { engine, done } = engineWith(
    {
      push: () => new Promise(() => {}),
      pull: () => new Promise(() => {}),
    },
    'live',
  );
  engine.start();
  const status = await engine.status();
  assert.equal(status.initialSync.done, false, 'a person signing in sees the download coming, not an empty cache that is "done"');
  void engine.stop();
  await done();
});
