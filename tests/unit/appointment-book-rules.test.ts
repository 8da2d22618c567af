/** The appointment book's pure rules (shared/domain/rules.ts) and the renderer's CSV and series helpers. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Papa from 'papaparse';
import {
  appointmentTransitions,
  blockedMessage,
  canMoveAppointment,
  canReschedule,
  findBlock,
  invoiceNumberLabel,
  maxOccurrences,
  netPaid,
  occurrenceDays,
} from '../../shared/domain/rules';
import { collections } from '../../shared/domain/collections';
import { toCsv } from '../../renderer/src/export/csv';
import { seriesOccurrences, seriesProblems } from '../../renderer/src/screens/appointments/recurrence';
import { addMonths } from '../../renderer/src/screens/recalls/dueDate';

describe('status flow', () => {
  test('booked -> confirmed -> arrived -> in treatment -> completed; confirming is optional', () => {
    for (const [from, to] of [['scheduled', 'confirmed'], ['confirmed', 'arrived'], ['arrived', 'in_progress'], ['in_progress', 'completed'], ['scheduled', 'arrived']] as const) {
      assert.ok(canMoveAppointment(from, to), `${from} -> ${to}`);
    }
    for (const [from, to] of [['confirmed', 'in_progress'], ['completed', 'confirmed'], ['in_progress', 'cancelled'], ['cancelled', 'confirmed']] as const) {
      assert.ok(!canMoveAppointment(from, to), `${from} -/-> ${to}`);
    }
    assert.deepEqual(appointmentTransitions.confirmed, ['arrived', 'scheduled', 'cancelled', 'no_show']);
    assert.ok(canReschedule('confirmed') && !canReschedule('in_progress') && !canReschedule('completed'));
  });
});

describe('blocked time', () => {
  const dr = '11111111-1111-4111-8111-111111111111';
  const other = '22222222-2222-4222-8222-222222222222';
  const lunch = { providerId: dr, start: '2027-01-04T12:00:00+01:00', end: '2027-01-04T13:00:00+01:00', reason: 'Lunch' };
  const holiday = { providerId: null, start: '2027-01-06T00:00:00+01:00', end: '2027-01-07T00:00:00+01:00', reason: 'Epiphany' };
  const at = (start: string, end: string, providerId = dr, status: 'scheduled' | 'cancelled' = 'scheduled') => ({ providerId, start, end, status });

  test("a booking in the doctor's own block or a clinic-wide one is caught; edges and other doctors pass", () => {
    assert.equal(findBlock(at('2027-01-04T12:30:00+01:00', '2027-01-04T12:45:00+01:00'), [lunch, holiday]), lunch);
    assert.equal(findBlock(at('2027-01-04T11:30:00Z', '2027-01-04T11:45:00Z'), [lunch]), lunch, 'offsets compare as instants');
    assert.equal(findBlock(at('2027-01-04T13:00:00+01:00', '2027-01-04T13:30:00+01:00'), [lunch]), undefined, 'right after');
    assert.equal(findBlock(at('2027-01-04T11:30:00+01:00', '2027-01-04T12:00:00+01:00'), [lunch]), undefined, 'right before');
    assert.equal(findBlock(at('2027-01-04T12:30:00+01:00', '2027-01-04T12:45:00+01:00', other), [lunch]), undefined, 'another doctor');
    assert.equal(findBlock(at('2027-01-06T09:00:00+01:00', '2027-01-06T09:30:00+01:00', other), [holiday]), holiday, 'the whole clinic');
    assert.equal(findBlock(at('2027-01-04T12:30:00+01:00', '2027-01-04T12:45:00+01:00', dr, 'cancelled'), [lunch]), undefined, 'a cancelled booking blocks nothing');
  });

  test('the message names the block and its times', () => {
    assert.equal(blockedMessage(lunch), 'This time is blocked: Lunch (12:00–13:00)');
    assert.equal(blockedMessage(lunch, () => 'x'), 'This time is blocked: Lunch (x–x)');
  });
});

describe('recurring bookings', () => {
  test('every N weeks up to and including the end date, capped', () => {
    assert.deepEqual(occurrenceDays('2027-01-04', { everyWeeks: 1, until: '2027-01-25' }), ['2027-01-04', '2027-01-11', '2027-01-18', '2027-01-25']);
    assert.deepEqual(occurrenceDays('2027-01-04', { everyWeeks: 2, until: '2027-02-14' }), ['2027-01-04', '2027-01-18', '2027-02-01']);
    assert.deepEqual(occurrenceDays('2027-01-04', { everyWeeks: 1, until: '2027-01-03' }), []);
    assert.equal(occurrenceDays('2027-01-04', { everyWeeks: 1, until: '2035-01-01' }).length, maxOccurrences);
  });

  test('each occurrence keeps the wall-clock time and length; clashes and blocks are named by date', () => {
    const start = new Date(2027, 2, 22, 9, 0).toISOString();
    const end = new Date(2027, 2, 22, 9, 40).toISOString();
    const series = seriesOccurrences(start, end, { everyWeeks: 1, until: '2027-04-05' });
    assert.equal(series.length, 3);
    for (const o of series) {
      assert.equal(new Date(o.start).getHours(), 9);
      assert.equal(Date.parse(o.end) - Date.parse(o.start), 40 * 60_000);
    }
    const dr = '11111111-1111-4111-8111-111111111111';
    const clash = { id: 'x', providerId: dr, room: '', start: series[1]!.start, end: series[1]!.end, status: 'scheduled' } as never;
    const block = { id: 'b', providerId: null, start: series[2]!.start, end: series[2]!.end, reason: 'Holiday' } as never;
    const problems = seriesProblems(series, { providerId: dr, room: '' }, [clash], [block]);
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^2027-03-29: already booked/);
    assert.match(problems[1]!, /^2027-04-05: blocked \(Holiday/);
  });
});

describe('billing', () => {
  test('refunds come off what was paid; numbers print without gaps in width', () => {
    assert.equal(netPaid([{ amountCents: 5000 }, { amountCents: 2000, kind: 'payment' }, { amountCents: 1500, kind: 'refund' }]), 5500);
    assert.equal(invoiceNumberLabel(42), 'INV-000042');
    assert.equal(invoiceNumberLabel(null), null);
    assert.equal(invoiceNumberLabel(undefined), null);
  });

  test('a client cannot write an invoice number; a service date must be a real date', () => {
    const base = { patientId: '11111111-1111-4111-8111-111111111111', lines: [] };
    assert.equal(collections.invoices.create.safeParse({ ...base, number: 3 }).success, false);
    assert.equal(collections.invoices.create.safeParse({ ...base, serviceDate: '2027-02-30' }).success, false);
    assert.equal(collections.invoices.create.safeParse({ ...base, serviceDate: '2027-02-28' }).success, true);
    assert.equal(collections['appointment-types'].create.safeParse({ name: 'X', durationMinutes: 3, colour: '#123456' }).success, false);
    assert.equal(collections.payments.create.safeParse({ invoiceId: base.patientId, amountCents: 1, receivedAt: '2027-01-01T00:00:00Z', kind: 'gift' }).success, false);
  });
});

describe('recalls', () => {
  test('due the same day N months on, or the last day of a shorter month', () => {
    assert.equal(addMonths('2027-01-15', 6), '2027-07-15');
    assert.equal(addMonths('2027-08-31', 6), '2028-02-29');
    assert.equal(addMonths('2027-11-30', 3), '2028-02-29');
    assert.equal(addMonths('2027-05-31', 1), '2027-06-30');
    assert.equal(addMonths('2027-12-10', 12), '2028-12-10');
  });
});

describe('CSV export', () => {
  test('quotes commas, quotes and line breaks, and reads back as the same rows', () => {
    const rows = [
      { name: 'Doe, Jane', note: 'said "hi"\non the phone', n: 3 },
      { name: 'Roe, Rick', note: '', n: 0 },
    ];
    const csv = toCsv(rows, [
      { header: 'Name', value: (r) => r.name },
      { header: 'Note', value: (r) => r.note },
      { header: 'Count', value: (r) => r.n },
    ]);
    const back = Papa.parse<Record<string, string>>(csv, { header: true }).data;
    assert.deepEqual(back, [
      { Name: 'Doe, Jane', Note: 'said "hi"\non the phone', Count: '3' },
      { Name: 'Roe, Rick', Note: '', Count: '0' },
    ]);
  });
});
