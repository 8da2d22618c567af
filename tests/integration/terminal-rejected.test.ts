import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientFor, login, restartableTestServer } from '../support/server';
import { signedInTerminals, startTerminal, type TestTerminal } from '../support/terminal';
import { assertCachesEqualServer, waitForSyncIdle } from './terminal-helpers';

test('two terminals book the same slot while disconnected: the second booking is refused and rolled back, with the reason, and kept under Needs attention across a restart', async () => {
  const clinic = await restartableTestServer();
  const first = clinic.first;
  const terminals: TestTerminal[] = [];
  try {
    const desk = await first.createUser('receptionist');
    const doctor = await first.createUser('doctor');
    const patient = (await first.api.post('/api/patients', { firstName: 'Double', lastName: 'Booked' })).body as { id: string };
    const [a, b] = await signedInTerminals(first.url, desk, ['A', 'B'], terminals);
    for (const t of terminals) await t.waitUntil(async () => (await t.call('data.list', { collection: 'patients' })).length === 1, 10_000, 'synced');
    await first.close();
    for (const t of terminals) await t.waitUntil(async () => (await t.call('sync.now', {})).connection === 'offline', 10_000, 'offline');

    const slot = { patientId: patient.id, providerId: doctor.user.id, start: '2026-12-02T09:00:00Z', end: '2026-12-02T09:30:00Z', room: '' };
    const fromA = await a.call('data.mutate', { op: 'create', collection: 'appointments', data: { ...slot, reason: 'booked on A' } });
    const fromB = await b.call('data.mutate', { op: 'create', collection: 'appointments', data: { ...slot, reason: 'booked on B' } });
    await b.call('data.mutate', { op: 'update', collection: 'patients', id: patient.id, baseVersion: 1, data: { phone: '+49 30 1447141' } });
    // B is switched off before the server returns, so A's booking lands first.
    await b.close();
    terminals.splice(terminals.indexOf(b), 1);

    const restarted = await clinic.restart();
    await a.waitUntil(async () => (await a.call('sync.now', {})).pending === 0, 20_000, 'A sent');

    const b2 = await startTerminal({ serverUrl: restarted.url, dataDir: b.dataDir, mode: 'inprocess', name: 'B again' });
    terminals.push(b2);
    const outcome = await b2.waitForEvent(
      (e) => e.channel === 'mutation.outcome' && (e.payload as { mutationId: string }).mutationId === fromB.mutationId,
      20_000,
    );
    assert.equal((outcome.payload as { status: string }).status, 'rejected');
    assert.ok((outcome.payload as { error?: string }).error, 'the outcome says why');
    await b2.waitUntil(async () => (await b2.call('sync.now', {})).pending === 0, 10_000, 'B drained');
    const bAppointments = await b2.call('data.list', { collection: 'appointments' });
    assert.equal(bAppointments.some((r) => r.id === fromB.id), false, 'the refused booking is rolled back on B');
    assert.equal(bAppointments.some((r) => r.id === fromA.id), true, 'and A’s booking is there instead');
    const bPatient = (await b2.call('data.list', { collection: 'patients' }))[0]!;
    assert.equal(bPatient.phone, '+49 30 1447141', 'B’s other change went through');
    await waitForSyncIdle(terminals);
    const admin = await login(restarted.url, 'admin', first.adminPassword);
    const appts = (await clientFor(restarted.url, admin).get('/api/appointments')).body as { id: string; reason: string }[];
    assert.deepEqual(appts.map((x) => x.reason), ['booked on A']);
    assert.equal(appts[0]!.id, fromA.id);
    await assertCachesEqualServer({ url: restarted.url, admin }, terminals);

    // Nothing vanishes: the refused booking waits under Needs attention, with what was wanted and
    // why, across a restart of the terminal, until someone acts on it.
    const [entry] = await b2.call('attention.list', {});
    assert.ok(entry, 'the refusal is kept');
    assert.equal(entry.collection, 'appointments');
    assert.equal(entry.op, 'create');
    assert.equal(entry.data?.reason, 'booked on B');
    assert.equal(entry.code, 409);
    assert.equal(entry.conflictsWith?.id, fromA.id, 'the booking it clashed with');
    await b2.close();
    terminals.splice(terminals.indexOf(b2), 1);
    const b3 = await startTerminal({ serverUrl: restarted.url, dataDir: b.dataDir, mode: 'inprocess', name: 'B after a restart' });
    terminals.push(b3);
    const kept = await b3.call('attention.list', {});
    assert.deepEqual(kept.map((e) => e.id), [entry.id], 'still there after a restart');
    await b3.call('attention.dismiss', { id: entry.id });
    assert.deepEqual(await b3.call('attention.list', {}), [], 'gone once acted on');
  } finally {
    for (const t of terminals) await t.close();
    await clinic.close();
  }
});
