/**
 * The appointment book's rules on the server: the confirmed status and cancel reasons, appointment
 * types, blocked time that bookings respect, recurring series, recalls, gap-free invoice numbers,
 * service dates and refunds as their own entries.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serverPerSuite } from '../support/server';
import { bookingCastPerSuite, createAppointment, mustCreate } from '../support/clinic-fixtures';
import { storesUnderTest } from '../support/stores';

for (const store of storesUnderTest()) describe(store, () => {
  const suite = serverPerSuite({ store });
  const { api } = suite;
  const clinic = bookingCastPerSuite(suite);

  const at = (day: number, h: number, m = 0) => `2027-03-${String(day).padStart(2, '0')}T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00Z`;

  test('booked -> confirmed -> arrived -> in treatment -> completed; a cancellation keeps its reason', async () => {
    const appt = await createAppointment(api, clinic.patientId, clinic.drA, { start: at(1, 8), end: at(1, 8, 30) });
    assert.equal(appt.status, 'scheduled');
    assert.equal(appt.typeId, null);
    let version = appt.version;
    for (const status of ['confirmed', 'arrived', 'in_progress', 'completed']) {
      const res = await clinic.reception.patch(`/api/appointments/${appt.id}`, { status, ...(status === 'arrived' ? { arrivedAt: at(1, 7, 55) } : {}) }, version);
      assert.equal(res.status, 200, `to ${status}: ${res.text}`);
      version = res.body.version;
    }
    const done = await clinic.reception.get(`/api/appointments/${appt.id}`);
    assert.equal(Date.parse(done.body.arrivedAt), Date.parse(at(1, 7, 55)), 'the arrival time the desk recorded');
    // completed is final
    const back = await clinic.reception.patch(`/api/appointments/${appt.id}`, { status: 'confirmed' }, version);
    assert.equal(back.status, 409);

    const other = await createAppointment(api, clinic.patientId, clinic.drA, { start: at(1, 9), end: at(1, 9, 30) });
    const confirmed = await clinic.reception.patch(`/api/appointments/${other.id}`, { status: 'confirmed' }, other.version);
    const cancelled = await clinic.reception.patch(`/api/appointments/${other.id}`, { status: 'cancelled', cancelReason: 'Patient is travelling' }, confirmed.body.version);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.cancelReason, 'Patient is travelling');
    // confirmed cannot skip to in treatment
    const third = await createAppointment(api, clinic.patientId, clinic.drA, { start: at(1, 10), end: at(1, 10, 30) });
    const c3 = await clinic.reception.patch(`/api/appointments/${third.id}`, { status: 'confirmed' }, third.version);
    assert.equal((await clinic.reception.patch(`/api/appointments/${third.id}`, { status: 'in_progress' }, c3.body.version)).status, 409);
  });

  test('appointment types are the admin\'s; a booking may carry one that exists', async () => {
    const refused = await clinic.reception.post('/api/appointment-types', { name: 'Check-up', durationMinutes: 20, colour: '#22aa55' });
    assert.equal(refused.status, 403);
    const bad = await api.post('/api/appointment-types', { name: 'Check-up', durationMinutes: 20, colour: 'green' });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /colour/);
    const type = await mustCreate(api, 'appointment-types', { name: 'Check-up', durationMinutes: 20, colour: '#22aa55' });
    const booked = await createAppointment(clinic.reception, clinic.patientId, clinic.drA, { start: at(2, 8), end: at(2, 8, 20), typeId: type.id });
    assert.equal(booked.typeId, type.id);
    const unknown = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drA, start: at(2, 9), end: at(2, 9, 20), typeId: '00000000-0000-4000-8000-000000000000' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error, /typeId/);
  });

  test('blocked time refuses bookings of its doctor (and clinic-wide blocks refuse everyone), with a message', async () => {
    const lunch = await mustCreate(clinic.doctor, 'blocked-times', { providerId: clinic.drA, start: at(3, 12), end: at(3, 13), reason: 'Lunch' });
    assert.equal(lunch.providerId, clinic.drA);
    const inLunch = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drA, start: at(3, 12, 30), end: at(3, 12, 45) });
    assert.equal(inLunch.status, 409);
    assert.match(inLunch.body.error, /blocked: Lunch \(12:00–13:00\)/);
    // Another doctor is free then; right after lunch is free too.
    assert.equal((await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drB, start: at(3, 12, 30), end: at(3, 12, 45) })).status, 201);
    const afterLunch = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drA, start: at(3, 13), end: at(3, 13, 30) });
    assert.equal(afterLunch.status, 201);
    // Moving a booking into blocked time is refused the same way.
    const moved = await clinic.reception.patch(`/api/appointments/${afterLunch.body.id}`, { start: at(3, 12, 50) }, afterLunch.body.version);
    assert.equal(moved.status, 409);
    assert.match(moved.body.error, /Lunch/);

    await mustCreate(clinic.reception, 'blocked-times', { providerId: null, start: at(4, 0), end: at(5, 0), reason: 'Clinic holiday' });
    for (const dr of [clinic.drA, clinic.drB]) {
      const res = await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: dr, start: at(4, 9), end: at(4, 9, 30) });
      assert.equal(res.status, 409);
      assert.match(res.body.error, /Clinic holiday/);
    }
    const backwards = await clinic.reception.post('/api/blocked-times', { providerId: clinic.drA, start: at(6, 13), end: at(6, 12), reason: 'Meeting' });
    assert.equal(backwards.status, 400);
    assert.match(backwards.body.error, /end/);
    // A booking made before its time was blocked still goes ahead: check-in and the visit are not refused.
    const early = await createAppointment(clinic.reception, clinic.patientId, clinic.drB, { start: at(6, 10), end: at(6, 10, 30) });
    await mustCreate(clinic.reception, 'blocked-times', { providerId: clinic.drB, start: at(6, 9), end: at(6, 11), reason: 'Training' });
    const arrived = await clinic.reception.patch(`/api/appointments/${early.id}`, { status: 'arrived' }, early.version);
    assert.equal(arrived.status, 200, arrived.text);
    const cancelled = await clinic.reception.patch(`/api/appointments/${early.id}`, { status: 'cancelled' }, arrived.body.version);
    const rebooked = await clinic.reception.patch(`/api/appointments/${early.id}`, { status: 'scheduled' }, cancelled.body.version);
    assert.equal(rebooked.status, 409, 'back in the book from cancelled, it must respect the block');
    assert.match(rebooked.body.error, /Training/);
    // Removing the block frees the slot.
    assert.equal((await clinic.reception.del(`/api/blocked-times/${lunch.id}`)).status, 204);
    assert.equal((await clinic.reception.post('/api/appointments', { patientId: clinic.patientId, providerId: clinic.drA, start: at(3, 12, 30), end: at(3, 12, 45) })).status, 201);
  });

  test('a recurring series is one appointment per occurrence; one moves alone', async () => {
    const seriesId = '11111111-2222-4333-8444-555555555555';
    const ids: string[] = [];
    for (const day of [8, 15, 22, 29]) ids.push((await createAppointment(clinic.reception, clinic.patientId, clinic.drB, { start: at(day, 15), end: at(day, 15, 30), seriesId })).id);
    const all = (await clinic.reception.get('/api/appointments')).body as { id: string; seriesId: string | null; start: string }[];
    assert.equal(all.filter((a) => a.seriesId === seriesId).length, 4);
    const second = (await clinic.reception.get(`/api/appointments/${ids[1]}`)).body;
    const moved = await clinic.reception.patch(`/api/appointments/${ids[1]}`, { start: at(16, 15), end: at(16, 15, 30) }, second.version);
    assert.equal(moved.status, 200);
    const starts = ((await clinic.reception.get('/api/appointments')).body as typeof all).filter((a) => a.seriesId === seriesId).map((a) => a.start).sort();
    assert.deepEqual(starts, [at(8, 15), at(16, 15), at(22, 15), at(29, 15)]);
  });

  test('recalls: the desk works through patients due back and notes the last contact', async () => {
    const recall = await mustCreate(clinic.doctor, 'recalls', { patientId: clinic.patientId, providerId: clinic.drA, dueDate: '2027-09-01', reason: 'Six-month check' });
    assert.equal(recall.status, 'due');
    const contacted = await clinic.reception.patch(`/api/recalls/${recall.id}`, { status: 'contacted', lastContactAt: at(10, 9), lastContactNote: 'Left a voicemail' }, recall.version);
    assert.equal(contacted.status, 200);
    assert.equal(contacted.body.lastContactNote, 'Left a voicemail');
    assert.equal((await clinic.reception.post('/api/recalls', { patientId: '00000000-0000-4000-8000-000000000000', dueDate: '2027-09-01' })).status, 400);
  });

  test('invoice numbers: given by the server when first issued, without gaps, never by the client', async () => {
    const lines = [{ description: 'Consultation', quantity: 1, unitPriceCents: 6000 }];
    const draft = await mustCreate(clinic.reception, 'invoices', { patientId: clinic.patientId, lines, serviceDate: '2027-03-01' });
    assert.equal(draft.number, null, 'a draft has no number');
    assert.equal(draft.serviceDate, '2027-03-01');
    const forged = await clinic.reception.post('/api/invoices', { patientId: clinic.patientId, lines, status: 'issued', number: 7 });
    assert.equal(forged.status, 400, 'the number is the server\'s');
    const issuedAtOnce = await mustCreate(clinic.reception, 'invoices', { patientId: clinic.patientId, lines, status: 'issued' });
    const issuedLater = await clinic.reception.patch(`/api/invoices/${draft.id}`, { status: 'issued' }, draft.version);
    assert.equal(issuedLater.status, 200);
    const first = issuedAtOnce.number as number;
    assert.equal(issuedLater.body.number, first + 1);
    // Back to draft and issued again: it keeps its number; voiding keeps it too.
    const toDraft = await clinic.reception.patch(`/api/invoices/${draft.id}`, { status: 'draft' }, issuedLater.body.version);
    const again = await clinic.reception.patch(`/api/invoices/${draft.id}`, { status: 'issued' }, toDraft.body.version);
    assert.equal(again.body.number, first + 1);
    const third = await mustCreate(clinic.reception, 'invoices', { patientId: clinic.patientId, lines, status: 'issued' });
    assert.equal(third.number, first + 2);
    const voided = await clinic.reception.patch(`/api/invoices/${third.id}`, { status: 'void' }, third.version);
    assert.equal(voided.body.number, first + 2);
  });

  test('refunds are their own entries: taken off what was paid, never more than was paid', async () => {
    const inv = await mustCreate(clinic.reception, 'invoices', { patientId: clinic.patientId, status: 'issued', lines: [{ description: 'X-ray', quantity: 1, unitPriceCents: 8000 }] });
    await mustCreate(clinic.reception, 'payments', { invoiceId: inv.id, amountCents: 8000, method: 'card', receivedAt: at(11, 10) });
    assert.equal((await clinic.reception.get(`/api/invoices/${inv.id}`)).body.status, 'paid');
    const tooMuch = await clinic.reception.post('/api/payments', { invoiceId: inv.id, amountCents: 9000, method: 'card', receivedAt: at(11, 11), kind: 'refund' });
    // Past what the field allows for this invoice: 400 naming the field, as an overpayment is.
    assert.equal(tooMuch.status, 400);
    assert.ok(tooMuch.body.details.some((d: { path: string }) => d.path === 'amountCents'));
    const refund = await mustCreate(clinic.reception, 'payments', { invoiceId: inv.id, amountCents: 3000, method: 'card', receivedAt: at(11, 11), kind: 'refund', reason: 'Overcharged' });
    assert.equal(refund.kind, 'refund');
    const after = (await clinic.reception.get(`/api/invoices/${inv.id}`)).body;
    assert.equal(after.paidCents, 5000);
    assert.equal(after.status, 'issued');
    const payments = ((await clinic.reception.get('/api/payments')).body as { invoiceId: string }[]).filter((p) => p.invoiceId === inv.id);
    assert.equal(payments.length, 2, 'the payment and the refund are both on file');
  });
});
