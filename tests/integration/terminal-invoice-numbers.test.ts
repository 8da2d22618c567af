/**
 * Two terminals issue invoices while the server is down. Offline, no invoice has a number (a
 * terminal never invents one); once both outboxes drain, the server has numbered every issued
 * invoice 1..N without a gap or a repeat, and both terminals show the numbers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientFor, login } from '../support/server';
import { signedInTerminals } from '../support/terminal';
import { waitForLive, waitForSyncIdle } from './terminal-helpers';
import { withRestartableServerAndTerminals } from '../support/serverWithTerminals';

test('invoices issued offline on two terminals get gap-free numbers once synced', () =>
  withRestartableServerAndTerminals(async (clinic, terminals) => {
    const first = clinic.first;
    const { user: desk, password } = await first.createUser('receptionist');
    const patient = (await first.api.post('/api/patients', { firstName: 'Nina', lastName: 'Number' })).body as { id: string };
    const [a, b] = await signedInTerminals(first.url, { user: desk, password }, ['A', 'B'], terminals);
    await waitForLive(terminals);

    await first.close();
    for (const t of terminals) await t.waitUntil(async () => (await t.call('sync.now', {})).connection === 'offline', 10_000, 'offline');

    const issued: string[] = [];
    const lines = [{ description: 'Consultation', quantity: 1, unitPriceCents: 4500 }];
    // Interleaved: A issues at once, B drafts and then issues, a third of B's stays a draft.
    for (let i = 0; i < 4; i++) {
      const ra = await a.call('data.mutate', { op: 'create', collection: 'invoices', data: { patientId: patient.id, status: 'issued', lines, serviceDate: '2026-12-01' } });
      issued.push(ra.id);
      const held = (await a.call('data.list', { collection: 'invoices' })).find((r) => r.id === ra.id);
      assert.equal(held?.number, undefined, 'no number before the server gives one');
      const rb = await b.call('data.mutate', { op: 'create', collection: 'invoices', data: { patientId: patient.id, status: 'draft', lines } });
      if (i < 3) {
        await b.call('data.mutate', { op: 'update', collection: 'invoices', id: rb.id, baseVersion: 1, data: { status: 'issued' } });
        issued.push(rb.id);
      }
    }

    const restarted = await clinic.restart();
    await waitForSyncIdle(terminals, 60_000);

    const admin = await login(restarted.url, 'admin', first.adminPassword);
    const all = (await clientFor(restarted.url, admin).get('/api/invoices')).body as { id: string; status: string; number: number | null }[];
    const numbers = all.filter((i) => issued.includes(i.id)).map((i) => i.number).sort((x, y) => Number(x) - Number(y));
    assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7], 'every issued invoice numbered, without gaps or repeats');
    assert.ok(all.filter((i) => i.status === 'draft').every((i) => i.number === null), 'drafts have no number');

    for (const t of terminals) {
      await t.waitUntil(
        async () => {
          const cached = (await t.call('data.list', { collection: 'invoices' })) as { id: string; number?: number | null }[];
          return issued.every((id) => typeof cached.find((r) => r.id === id)?.number === 'number');
        },
        10_000,
        'both terminals show the numbers',
      );
    }
  }),
);
