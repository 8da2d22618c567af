import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../support/server';
import { signedInTerminals, type TestTerminal } from '../support/terminal';
import { assertCachesEqualServer, waitForLive, waitForSyncIdle } from './terminal-helpers';

test('a change on terminal A reaches B’s cache and B’s windows as an event, live', async () => {
  const server = await startTestServer();
  const terminals: TestTerminal[] = [];
  try {
    const [a, b] = await signedInTerminals(server.url, await server.createUser('doctor'), ['A', 'B'], terminals);
    await waitForLive(terminals);

    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const since = b.events.length;
      const started = performance.now();
      const { id } = await a.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: `Live${i}`, lastName: 'Test', medicalHistory: `history ${i}` } });
      const seen = await b.waitForEvent(
        (e) => e.channel === 'data.changed' && (e.payload as { source: string; changes: { id: string }[] }).changes.some((c) => c.id === id),
        10_000,
        since,
      );
      latencies.push(seen.at - started);
      assert.equal((seen.payload as { source: string }).source, 'remote');
      assert.equal(seen.asText, true, 'a pulled change reaches the transports as the cache thread’s JSON text, not parsed on the main thread');
      const cached = (await b.call('data.list', { collection: 'patients' })).find((p) => p.id === id);
      assert.equal(cached?.firstName, `Live${i}`);
      assert.equal(cached?.medicalHistory, `history ${i}`, 'a doctor’s cache holds clinical fields');
    }
    latencies.sort((x, y) => x - y);
    console.log(`A -> B latency over ${latencies.length} changes: median ${latencies[2]!.toFixed(1)} ms, max ${latencies[4]!.toFixed(1)} ms`);

    // An update of a field merges into B too, with the server's version.
    const [first] = await a.call('data.list', { collection: 'patients' });
    await a.call('data.mutate', { op: 'update', collection: 'patients', id: first!.id as string, baseVersion: first!.version as number, data: { phone: '+1 212 555 0100' } });
    await b.waitUntil(async () => (await b.call('data.list', { collection: 'patients' })).some((p) => p.id === first!.id && p.phone === '+1 212 555 0100'), 10_000, 'update on B');

    await waitForSyncIdle(terminals);
    await assertCachesEqualServer(server, terminals);
  } finally {
    for (const t of terminals) await t.close();
    await server.close();
  }
});
