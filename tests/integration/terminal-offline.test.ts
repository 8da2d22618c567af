import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientFor, login } from '../support/server';
import { signedInTerminals } from '../support/terminal';
import { assertCachesEqualServer, waitForSyncIdle } from './terminal-helpers';
import { withRestartableServerAndTerminals } from '../support/serverWithTerminals';
import type { MutateRequest } from '../../shared/ipc/contract';

test('50 mutations made while the server is down go out in order, exactly once, and B converges', () =>
  withRestartableServerAndTerminals(async (clinic, terminals) => {
    const first = clinic.first;
    const { user: doctor, password } = await first.createUser('doctor');
    const [a] = await signedInTerminals(first.url, { user: doctor, password }, ['A', 'B'], terminals);
    await a.waitUntil(async () => (await a.call('sync.status', {})).connection === 'live', 10_000, 'A live');

    await first.close();
    await a.waitUntil(async () => (await a.call('sync.now', {})).connection === 'offline', 10_000, 'A offline');

    const ids: string[] = [];
    const mutate = async (request: MutateRequest) => {
      const r = await a.call('data.mutate', request);
      ids.push(r.mutationId);
      return { id: r.id };
    };
    const patients = [];
    for (let i = 0; i < 5; i++) patients.push(await mutate({ op: 'create', collection: 'patients', data: { firstName: `Off${i}`, lastName: 'Line' } }));
    for (const p of patients) for (const n of ['n1', 'n2', 'n3']) await mutate({ op: 'update', collection: 'patients', id: p.id as string, baseVersion: 1, data: { notes: n } });
    const item = await mutate({ op: 'create', collection: 'inventory', data: { name: 'Syringes', quantity: 100, reorderLevel: 10 } });
    for (let i = 0; i < 10; i++) await mutate({ op: 'adjust', collection: 'inventory', id: item.id as string, data: { delta: -1, reason: 'used' } });
    const referrals = [];
    for (let i = 0; i < 5; i++) referrals.push(await mutate({ op: 'create', collection: 'referrals', data: { patientId: patients[i]!.id as string, direction: 'outgoing', provider: `Clinic ${i}`, date: '2026-11-25' } }));
    for (const r of referrals.slice(0, 2)) await mutate({ op: 'delete', collection: 'referrals', id: r.id as string });
    const appts = [];
    for (let i = 0; i < 4; i++) {
      appts.push(await mutate({ op: 'create', collection: 'appointments', data: { patientId: patients[i]!.id as string, providerId: doctor.id, start: `2026-12-01T0${i + 1}:00:00Z`, end: `2026-12-01T0${i + 1}:30:00Z`, room: 'R1' } }));
    }
    for (let i = 0; i < 3; i++) await mutate({ op: 'create', collection: 'treatment-records', data: { patientId: patients[i]!.id as string, providerId: doctor.id, date: '2026-11-25', diagnosis: `dx ${i}` } });
    const invoice = await mutate({ op: 'create', collection: 'invoices', data: { patientId: patients[0]!.id as string, status: 'issued', lines: [{ description: 'Visit', quantity: 1, unitPriceCents: 5000 }] } });
    await mutate({ op: 'create', collection: 'payments', data: { invoiceId: invoice.id as string, amountCents: 2000, method: 'card', receivedAt: '2026-11-25T10:00:00Z' } });
    await mutate({ op: 'create', collection: 'payments', data: { invoiceId: invoice.id as string, amountCents: 3000, method: 'cash', receivedAt: '2026-11-25T10:05:00Z' } });
    for (const ap of appts.slice(0, 2)) await mutate({ op: 'update', collection: 'appointments', id: ap.id as string, baseVersion: 1, data: { status: 'arrived' } });
    assert.equal(ids.length, 50);
    assert.equal((await a.call('sync.status', {})).pending, 50);

    const outcomes: string[] = [];
    a.core!.onEvent(({ channel, payload }) => {
      if (channel === 'mutation.outcome') outcomes.push(`${(payload as { status: string }).status}`);
    });
    const restarted = await clinic.restart();
    const started = performance.now();
    // No nudge: the terminal notices the server is back by itself (backoff retry / live reconnect).
    await a.waitUntil(async () => (await a.call('sync.status', {})).pending === 0, 60_000, 'outbox drained');
    console.log(`outbox of 50 drained ${(performance.now() - started).toFixed(0)} ms after the server came back`);
    assert.equal(outcomes.length, 50);
    assert.ok(outcomes.every((s) => s === 'applied'), `outcomes: ${outcomes.join(',')}`);

    const admin = await login(restarted.url, 'admin', first.adminPassword);
    const audit = (await clientFor(restarted.url, admin).get('/api/audit?limit=5000')).body as { seq: number; detail: string | null }[];
    const applied = audit
      .filter((e) => e.detail && /\(sync [0-9a-f-]{36}\)/.test(e.detail))
      .sort((x, y) => x.seq - y.seq)
      .map((e) => /\(sync ([0-9a-f-]{36})\)/.exec(e.detail!)![1]);
    assert.deepEqual(applied, ids, 'every mutation applied exactly once, in the order it was made');

    const api = clientFor(restarted.url, admin);
    const inv = (await api.get(`/api/inventory/${item.id}`)).body as { quantity: number };
    assert.equal(inv.quantity, 90);
    for (const p of patients) {
      const row = (await api.get(`/api/patients/${p.id}`)).body as { notes: string; version: number };
      assert.equal(row.notes, 'n3');
      assert.equal(row.version, 4);
    }
    const paid = (await api.get(`/api/invoices/${invoice.id}`)).body as { paidCents: number; status: string };
    assert.equal(paid.paidCents, 5000);
    assert.equal(paid.status, 'paid');

    await waitForSyncIdle(terminals);
    await assertCachesEqualServer({ url: restarted.url, admin }, terminals);
  }),
);
