import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../support/server';
import { startTerminal, type TestTerminal } from '../support/terminal';
import { refetchEverything } from '../../bench/support/refetchEverything';
import { assertCachesEqualServer, waitForSyncIdle } from './terminal-helpers';

test('the bench’s baseline (the seed’s polling and refetch-everything) converges too, at a higher cost in bytes', async () => {
  const server = await startTestServer();
  const terminals: TestTerminal[] = [];
  try {
    const { user, password } = await server.createUser('doctor');
    for (let i = 0; i < 30; i++) await server.api.post('/api/patients', { firstName: `Seed${i}`, lastName: 'Patient', notes: 'x'.repeat(200) });
    // Short intervals stand in for the seed's 30/60 s so the test runs quickly.
    const live = await startTerminal({ serverUrl: server.url, mode: 'inprocess', name: 'live' });
    const baseline = await startTerminal({ serverUrl: server.url, mode: 'inprocess', name: 'baseline', changeSource: refetchEverything({ fastMs: 300, slowMs: 600 }) });
    terminals.push(live, baseline);
    for (const t of terminals) {
      await t.login(user.username, password);
      await t.waitUntil(async () => (await t.call('data.list', { collection: 'patients' })).length === 30, 10_000, 'initial data');
    }
    assert.equal((await baseline.call('sync.status', {})).connection, 'polling', 'the baseline has no live channel');
    for (const t of terminals) t.core!.resetStats();

    // Each makes 5 changes; each sees the other's.
    for (let i = 0; i < 5; i++) {
      await live.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: `FromLive${i}`, lastName: 'X' } });
      await baseline.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: `FromBaseline${i}`, lastName: 'X' } });
    }
    for (const t of terminals) {
      await t.waitUntil(async () => (await t.call('data.list', { collection: 'patients' })).length === 40, 10_000, `${t.dataDir} sees 40 patients`);
    }
    await waitForSyncIdle(terminals);
    await assertCachesEqualServer(server, [live]);
    await assertCachesEqualServer(server, [baseline], ['users']); // the seed never fetched the staff list
    const [l, b] = terminals.map((t) => t.core!.stats().wire);
    console.log(`same workload: live ${l!.requests} requests, ${l!.bytesReceived} bytes received; baseline ${b!.requests} requests, ${b!.bytesReceived} bytes received`);
    assert.ok(b!.bytesReceived > l!.bytesReceived, 'refetching whole collections costs more than deltas');
  } finally {
    for (const t of terminals) await t.close();
    await server.close();
  }
});
