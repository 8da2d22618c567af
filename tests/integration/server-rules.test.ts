/** Business rules on the server: double booking, status flows, stock adjustments, payments. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { serverPerSuite, type Json } from '../support/server';
import { bookingCastPerSuite, createAppointment, createIssuedInvoice, createItem, mustCreate } from '../support/clinic-fixtures';
import { storesUnderTest } from '../support/stores';

for (const store of storesUnderTest()) describe(store, () => {
  const suite = serverPerSuite({ store });
  const { api, staff } = suite;
  const clinic = bookingCastPerSuite(suite);

  const at = (h: number, m = 0) => `2027-01-04T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00Z`;

  describe('double booking', () => {
    test('the same provider at an overlapping time is refused with conflictsWith', async () => {
      const first = await createAppointment(api, clinic.patientId, clinic.drA, { start: at(9), end: at(9, 30), room: 'A' });
      const res = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drA, start: at(9, 15), end: at(9, 45), room: 'B' });
      assert.equal(res.status, 409);
      assert.equal(res.body.conflictsWith.id, first.id);
      // Offsets are compared as instants: 10:15+01:00 is 09:15Z.
      const offset = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drA, start: '2027-01-04T10:15:00+01:00', end: '2027-01-04T10:45:00+01:00' });
      assert.equal(offset.status, 409);
      // Back to back is fine (half-open slots).
      const next = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drA, start: at(9, 30), end: at(10), room: 'B' });
      assert.equal(next.status, 201);
    });

    test('the same room at an overlapping time is refused, another provider or room is not', async () => {
      const first = await createAppointment(api, clinic.patientId, clinic.drA, { start: at(11), end: at(12), room: 'Room 7' });
      const res = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drB, start: at(11, 30), end: at(12, 30), room: 'Room 7' });
      assert.equal(res.status, 409);
      assert.equal(res.body.conflictsWith.id, first.id);
      const elsewhere = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drB, start: at(11, 30), end: at(12, 30), room: 'Room 8' });
      assert.equal(elsewhere.status, 201);
    });

    test('cancelled appointments do not block; moving one onto a taken slot is refused', async () => {
      const first = await createAppointment(api, clinic.patientId, clinic.drA, { start: at(14), end: at(15), room: 'C' });
      const cancelled = await api.patch(`/api/appointments/${first.id}`, { status: 'cancelled' }, first.version);
      assert.equal(cancelled.status, 200);
      const second = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drA, start: at(14), end: at(15), room: 'C' });
      assert.equal(second.status, 201);
      // Un-cancelling the first would now double-book.
      const back = await api.patch(`/api/appointments/${first.id}`, { status: 'scheduled' }, cancelled.body.version);
      assert.equal(back.status, 409);
      assert.equal(back.body.conflictsWith.id, second.body.id);
      const later = await createAppointment(api, clinic.patientId, clinic.drA, { start: at(16), end: at(16, 30), room: 'C' });
      const moved = await api.patch(`/api/appointments/${later.id}`, { start: at(14, 30), end: at(15, 30) }, later.version);
      assert.equal(moved.status, 409);
    });

    test('concurrent bookings of one slot: exactly one wins', async () => {
      const attempts = await Promise.all(
        [0, 1, 2, 3].map(() => clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drB, start: at(18), end: at(18, 30) })),
      );
      assert.deepEqual(attempts.map((r) => r.status).sort(), [201, 409, 409, 409]);
    });

    test('end must come after start; providers must be doctors', async () => {
      const bad = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drA, start: at(20), end: at(19) });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.details[0].path, 'end');
      const me = (await clinic.reception.get('/api/me')).body.id;
      const notDoctor = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: me, start: at(21), end: at(21, 30) });
      assert.equal(notDoctor.status, 400);
      assert.equal(notDoctor.body.details[0].path, 'providerId');
      const noPatient = await clinic.reception.post('/api/appointments', { patientId: randomUUID(), providerId: clinic.drA, start: at(21), end: at(21, 30) });
      assert.equal(noPatient.status, 400);
    });
  });

  describe('status flows', () => {
    test('appointments follow scheduled -> arrived -> in_progress -> completed; other moves are 409', async () => {
      let a = await createAppointment(api, clinic.patientId, clinic.drB, { start: '2027-01-05T09:00:00Z', end: '2027-01-05T09:30:00Z' });
      const skip = await api.patch(`/api/appointments/${a.id}`, { status: 'completed' }, a.version);
      assert.equal(skip.status, 409);
      assert.match(skip.body.error, /scheduled to completed/);
      for (const status of ['arrived', 'in_progress', 'completed']) {
        const res = await api.patch(`/api/appointments/${a.id}`, { status }, a.version);
        assert.equal(res.status, 200, status);
        a = res.body;
      }
      const reopen = await api.patch(`/api/appointments/${a.id}`, { status: 'scheduled' }, a.version);
      assert.equal(reopen.status, 409);
      const push = await api.post('/api/sync/push', {
        clientId: 't',
        mutations: [{ mutationId: randomUUID(), collection: 'appointments', op: 'update', id: a.id, baseVersion: a.version, data: { status: 'cancelled' } }],
      });
      assert.equal(push.body.results[0].status, 'rejected');
      assert.equal(push.body.results[0].code, 409);
    });

    test('invoices: void is final, paid only through payments', async () => {
      const inv = await mustCreate(api, 'invoices', { patientId: clinic.patientId, lines: [{ description: 'X', quantity: 1, unitPriceCents: 100 }] });
      assert.equal(inv.status, 'draft');
      assert.equal((await api.patch(`/api/invoices/${inv.id}`, { status: 'paid' }, 1)).status, 409);
      const voided = await api.patch(`/api/invoices/${inv.id}`, { status: 'void' }, 1);
      assert.equal(voided.status, 200);
      assert.equal((await api.patch(`/api/invoices/${inv.id}`, { status: 'issued' }, 2)).status, 409);
      assert.equal((await api.post('/api/invoices', { patientId: clinic.patientId, status: 'paid' })).status, 409);
    });
  });

  describe('stock', () => {
    test('two concurrent adjustments of -3 on 10 leave 4', async () => {
      const item = await createItem(api, { quantity: 10 });
      const other = (await staff('assistant')).api;
      const [a, b] = await Promise.all([
        api.post(`/api/inventory/${item.id}/adjust`, { delta: -3, reason: 'terminal A' }),
        other.post('/api/sync/push', { clientId: 'B', mutations: [{ mutationId: randomUUID(), collection: 'inventory', op: 'adjust', id: item.id, data: { delta: -3 } }] }),
      ]);
      assert.equal(a.status, 200);
      assert.equal(b.body.results[0].status, 'applied');
      const now = await api.get(`/api/inventory/${item.id}`);
      assert.equal(now.body.quantity, 4);
      assert.equal(now.body.version, 3);
    });

    test('many concurrent adjustments commute', async () => {
      const item = await createItem(api, { quantity: 100 });
      const deltas = [-7, 5, -20, 3, -1, -9, 12, -30];
      const results = await Promise.all(deltas.map((delta) => clinic.reception.post(`/api/inventory/${item.id}/adjust`, { delta })));
      assert.ok(results.every((r) => r.status === 200));
      assert.equal((await api.get(`/api/inventory/${item.id}`)).body.quantity, 100 + deltas.reduce((s, d) => s + d, 0));
    });

    test('a quantity never goes below 0: 409 and nothing written', async () => {
      const item = await createItem(api, { quantity: 2 });
      const res = await api.post(`/api/inventory/${item.id}/adjust`, { delta: -3 });
      assert.equal(res.status, 409);
      assert.equal(res.body.current.quantity, 2);
      const now = await api.get(`/api/inventory/${item.id}`);
      assert.equal(now.body.quantity, 2);
      assert.equal(now.body.version, 1);
      assert.equal((await api.post(`/api/inventory/${item.id}/adjust`, { delta: 0 })).status, 400);
      assert.equal((await api.post(`/api/inventory/${item.id}/adjust`, { delta: 1.5 })).status, 400);
    });
  });

  describe('payments', () => {
    test('partial payments add up; the invoice becomes paid when they reach its total', async () => {
      const inv = await createIssuedInvoice(api, clinic.patientId, [{ description: 'Consultation', quantity: 1, unitPriceCents: 6000 }]);
      const pay = (amountCents: number) => clinic.reception.post('/api/payments', { invoiceId: inv.id, amountCents, method: 'cash', receivedAt: '2027-01-04T12:00:00Z' });
      assert.equal((await pay(2500)).status, 201);
      let now = (await api.get(`/api/invoices/${inv.id}`)).body;
      assert.equal(now.paidCents, 2500);
      assert.equal(now.status, 'issued');
      const over = await pay(4000);
      assert.equal(over.status, 400, 'more than the open balance (a value the field does not allow for this invoice)');
      assert.equal(over.body.details[0].path, 'amountCents');
      assert.match(over.body.error, /3500/);
      const last = await pay(3500);
      assert.equal(last.status, 201);
      now = (await api.get(`/api/invoices/${inv.id}`)).body;
      assert.equal(now.paidCents, 6000);
      assert.equal(now.status, 'paid');
      assert.equal((await pay(1)).status, 409, 'a paid invoice takes no more payments');
      // Deleting a payment re-opens the invoice.
      assert.equal((await api.del(`/api/payments/${last.body.id}`)).status, 204);
      now = (await api.get(`/api/invoices/${inv.id}`)).body;
      assert.equal(now.paidCents, 2500);
      assert.equal(now.status, 'issued');
    });

    test('the payment and the invoice change reach pull together', async () => {
      const inv = await createIssuedInvoice(api, clinic.patientId);
      const head = (await api.get('/api/sync/pull?limit=5000')).body;
      let cursor = head.cursor;
      while ((await api.get(`/api/sync/pull?since=${cursor}&limit=5000`)).body.hasMore) cursor = (await api.get(`/api/sync/pull?since=${cursor}&limit=5000`)).body.cursor;
      const pay = await api.post('/api/payments', { invoiceId: inv.id, amountCents: 10000, receivedAt: '2027-01-04T12:00:00Z' });
      const changes = (await api.get(`/api/sync/pull?since=${cursor}`)).body.changes as Json[];
      assert.deepEqual(changes.map((c) => c.collection).sort(), ['invoices', 'payments']);
      assert.equal(changes.find((c) => c.collection === 'invoices').row.status, 'paid');
      assert.equal(changes.find((c) => c.collection === 'payments').id, pay.body.id);
    });

    test('draft and void invoices take no payments; unknown invoices are 400', async () => {
      const draft = await mustCreate(api, 'invoices', { patientId: clinic.patientId, lines: [{ description: 'X', quantity: 1, unitPriceCents: 100 }] });
      const res = await api.post('/api/payments', { invoiceId: draft.id, amountCents: 50, receivedAt: '2027-01-04T12:00:00Z' });
      assert.equal(res.status, 409);
      const none = await api.post('/api/payments', { invoiceId: randomUUID(), amountCents: 50, receivedAt: '2027-01-04T12:00:00Z' });
      assert.equal(none.status, 400);
      assert.equal((await api.get('/api/payments')).body.filter((p: Json) => p.invoiceId === draft.id).length, 0);
    });

    test('lines cannot drop the total below what was paid', async () => {
      const inv = await createIssuedInvoice(api, clinic.patientId);
      await api.post('/api/payments', { invoiceId: inv.id, amountCents: 8000, receivedAt: '2027-01-04T12:00:00Z' });
      const cur = (await api.get(`/api/invoices/${inv.id}`)).body;
      const res = await api.patch(`/api/invoices/${inv.id}`, { lines: [{ description: 'Cheaper', quantity: 1, unitPriceCents: 100 }] }, cur.version);
      assert.equal(res.status, 409);
    });
  });

  describe('push follows the same rules as REST', () => {
    test('a double booking by push is rejected naming the clashing appointment; a payment by push settles the invoice', async () => {
      const first = await createAppointment(api, clinic.patientId, clinic.drA, { start: '2027-02-01T09:00:00Z', end: '2027-02-01T10:00:00Z' });
      const inv = await createIssuedInvoice(api, clinic.patientId, [{ description: 'Visit', quantity: 1, unitPriceCents: 3000 }]);
      const res = await clinic.reception.post('/api/sync/push', {
        clientId: 'desk-1',
        mutations: [
          { mutationId: randomUUID(), collection: 'appointments', op: 'create', id: randomUUID(), data: { patientId: clinic.patientId, providerId: clinic.drA, start: '2027-02-01T09:30:00Z', end: '2027-02-01T10:30:00Z' } },
          { mutationId: randomUUID(), collection: 'payments', op: 'create', id: randomUUID(), data: { invoiceId: inv.id, amountCents: 3000, method: 'card', receivedAt: '2027-02-01T10:00:00Z' } },
          { mutationId: randomUUID(), collection: 'payments', op: 'create', id: randomUUID(), data: { invoiceId: inv.id, amountCents: 1, receivedAt: '2027-02-01T10:00:00Z' } },
        ],
      });
      const [clash, paid, over] = res.body.results as Json[];
      assert.equal(clash.status, 'rejected');
      assert.equal(clash.code, 409);
      assert.equal(clash.row, null, 'a rejected create has no row on the server');
      assert.equal(clash.conflictsWith.id, first.id);
      assert.equal(paid.status, 'applied');
      assert.equal(over.status, 'rejected');
      assert.equal(over.row, null, 'the invoice is not the payment\'s row');
      const now = (await api.get(`/api/invoices/${inv.id}`)).body;
      assert.equal(now.status, 'paid');
      assert.equal(now.paidCents, 3000);
      const audit = (await api.get('/api/audit?limit=5')).body as Json[];
      assert.ok(audit.some((e) => e.collection === 'payments' && e.action === 'create' && /sync/.test(e.detail)), 'push writes are audited');
    });
  });
});
