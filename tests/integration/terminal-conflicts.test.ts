import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientFor, login, restartableTestServer } from '../support/server';
import { signedInTerminals, type TestTerminal } from '../support/terminal';
import type { Conflict } from '../../shared/ipc/contract';
import { assertCachesEqualServer, waitForSyncIdle } from './terminal-helpers';

test('edits made while disconnected: same field -> one wins and the other is a recorded conflict; other fields and stock merge', async () => {
  const clinic = await restartableTestServer();
  const first = clinic.first;
  const terminals: TestTerminal[] = [];
  try {
    const { user, password } = await first.createUser('doctor');
    const p = (await first.api.post('/api/patients', { firstName: 'Same', lastName: 'Field', phone: '+49 30 8317850' })).body as { id: string };
    const q = (await first.api.post('/api/patients', { firstName: 'Other', lastName: 'Fields' })).body as { id: string };
    const item = (await first.api.post('/api/inventory', { name: 'Bandages', quantity: 10, reorderLevel: 1 })).body as { id: string };
    const [a, b] = await signedInTerminals(first.url, { user, password }, ['A', 'B'], terminals);
    for (const t of terminals) await t.waitUntil(async () => (await t.call('data.list', { collection: 'inventory' })).length === 1, 10_000, 'initial sync');

    await first.close();
    for (const t of terminals) await t.waitUntil(async () => (await t.call('sync.now', {})).connection === 'offline', 10_000, 'offline');

    await a.call('data.mutate', { op: 'update', collection: 'patients', id: p.id, baseVersion: 1, data: { phone: '+49 30 3433352' } });
    await b.call('data.mutate', { op: 'update', collection: 'patients', id: p.id, baseVersion: 1, data: { phone: '+49 30 1041514' } });
    await a.call('data.mutate', { op: 'update', collection: 'patients', id: q.id, baseVersion: 1, data: { phone: '+49 30 3563688' } });
    await b.call('data.mutate', { op: 'update', collection: 'patients', id: q.id, baseVersion: 1, data: { email: 'q@example.org' } });
    await a.call('data.mutate', { op: 'adjust', collection: 'inventory', id: item.id, data: { delta: -3 } });
    await b.call('data.mutate', { op: 'adjust', collection: 'inventory', id: item.id, data: { delta: -3 } });
    for (const t of terminals) assert.equal((await t.call('data.list', { collection: 'inventory' }))[0]!.quantity, 7, 'optimistic stock');

    const restarted = await clinic.restart();
    await waitForSyncIdle(terminals, 60_000);

    const admin = await login(restarted.url, 'admin', first.adminPassword);
    const api = clientFor(restarted.url, admin);
    const serverP = (await api.get(`/api/patients/${p.id}`)).body as { phone: string };
    const serverQ = (await api.get(`/api/patients/${q.id}`)).body as { phone: string; email: string };
    const serverItem = (await api.get(`/api/inventory/${item.id}`)).body as { quantity: number };

    assert.equal(serverItem.quantity, 4, 'two takes of 3 from 10 leave 4');
    assert.deepEqual([serverQ.phone, serverQ.email], ['+49 30 3563688', 'q@example.org'], 'edits of different fields merge');

    const conflictsA = await a.call('conflicts.list', {});
    const conflictsB = await b.call('conflicts.list', {});
    const all = [...conflictsA, ...conflictsB];
    assert.equal(all.length, 1, 'exactly one recorded conflict');
    const loser = conflictsA.length === 1 ? a : b;
    const winnerValue = loser === a ? '+49 30 1041514' : '+49 30 3433352';
    const loserValue = loser === a ? '+49 30 3433352' : '+49 30 1041514';
    const conflict = all[0]! as Conflict;
    assert.equal(serverP.phone, winnerValue);
    assert.equal(conflict.rowId, p.id);
    assert.deepEqual(conflict.fields, ['phone']);
    assert.deepEqual(conflict.mine, { phone: loserValue });
    assert.equal(conflict.theirs.phone, winnerValue);
    assert.ok(loser.events.some((e) => e.channel === 'conflict.recorded'));
    assert.ok(loser.events.some((e) => e.channel === 'mutation.outcome' && (e.payload as { status: string }).status === 'conflict'));
    assert.equal((await loser.call('sync.status', {})).conflicts, 1);
    await assertCachesEqualServer({ url: restarted.url, admin }, terminals);

    // The loser keeps their value after all: it goes out as a new edit on the current version.
    await loser.call('conflicts.resolve', { conflictId: conflict.id, choice: 'mine' });
    await waitForSyncIdle(terminals);
    assert.equal(((await api.get(`/api/patients/${p.id}`)).body as { phone: string }).phone, loserValue);
    assert.equal((await loser.call('conflicts.list', {})).length, 0);
    await assertCachesEqualServer({ url: restarted.url, admin }, terminals);
  } finally {
    for (const t of terminals) await t.close();
    await clinic.close();
  }
});
