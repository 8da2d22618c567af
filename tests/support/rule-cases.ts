/**
 * One table of the clinic's rules: given rows, a mutation, and what must come of it. The same
 * table runs against the terminal's local mutation path and against the server over HTTP
 * (tests/integration/rules-both-ends.test.ts): both decide with shared/domain/mutations, and must agree.
 */
import type { AnyRow, Role } from '../../shared/domain/collections';
import type { RefusalKind } from '../../shared/domain/mutations/refusal';
import type { MutateRequest } from '../../shared/ipc/contract';

/** The people and the patient every case may use. */
export interface CaseClinic {
  doctorA: string;
  doctorB: string;
  receptionist: string;
  patientId: string;
  /** An instant on this case's own day (so no case clashes with another's bookings). */
  at(hour: number, minute?: number): string;
}

/** A row that exists before the mutation, made on the server; `data` may use the rows made before it. */
export interface GivenRow {
  name: string;
  collection: MutateRequest['collection'];
  data: (clinic: CaseClinic, rows: Record<string, AnyRow>) => Record<string, unknown>;
}

export type Expected = { applied: Record<string, unknown> } | { refused: RefusalKind; field?: string };

export interface RuleCase {
  name: string;
  /** Who makes the mutation (a receptionist or doctor A). */
  as: Extract<Role, 'receptionist' | 'doctor'>;
  given: GivenRow[];
  mutation: (clinic: CaseClinic, rows: Record<string, AnyRow>) => MutateRequest;
  expected: Expected;
}

const lines = [{ description: 'Consultation', quantity: 2, unitPriceCents: 5000 }];

const booking = (name: string, over: (c: CaseClinic) => Record<string, unknown>): GivenRow => ({
  name,
  collection: 'appointments',
  data: (c) => ({ patientId: c.patientId, providerId: c.doctorA, room: '', reason: 'Check-up', start: c.at(9), end: c.at(9, 30), ...over(c) }),
});
const newBooking = (c: CaseClinic, over: Record<string, unknown>): MutateRequest => ({
  op: 'create',
  collection: 'appointments',
  data: { patientId: c.patientId, providerId: c.doctorA, room: '', reason: 'Check-up', ...over },
});
const issuedInvoice: GivenRow = { name: 'invoice', collection: 'invoices', data: (c) => ({ patientId: c.patientId, status: 'issued', lines }) };
const paid = (amountCents: number): GivenRow => ({
  name: 'payment',
  collection: 'payments',
  data: (c, rows) => ({ invoiceId: rows.invoice!.id, amountCents, method: 'cash', receivedAt: c.at(10) }),
});
const payment = (c: CaseClinic, rows: Record<string, AnyRow>, over: Record<string, unknown>): MutateRequest => ({
  op: 'create',
  collection: 'payments',
  data: { invoiceId: rows.invoice!.id, method: 'card', receivedAt: c.at(11), ...over },
});
const item = (quantity: number, reorderLevel = 1): GivenRow => ({
  name: 'item',
  collection: 'inventory',
  data: () => ({ name: 'Gauze pads', unit: 'pack', quantity, reorderLevel }),
});
const update = (collection: MutateRequest['collection'], row: AnyRow, data: Record<string, unknown>): MutateRequest => ({
  op: 'update',
  collection,
  id: row.id,
  baseVersion: row.version,
  data,
});

export const ruleCases: RuleCase[] = [
  // ---- double booking and blocked time ----
  {
    name: 'a booking overlapping the same provider is refused',
    as: 'receptionist',
    given: [booking('first', () => ({ room: 'A' }))],
    mutation: (c) => newBooking(c, { start: c.at(9, 15), end: c.at(9, 45), room: 'B' }),
    expected: { refused: 'conflict' },
  },
  {
    name: 'a booking of the same room by another provider is refused',
    as: 'receptionist',
    given: [booking('first', () => ({ room: 'Room 7' }))],
    mutation: (c) => newBooking(c, { providerId: c.doctorB, start: c.at(9, 15), end: c.at(9, 45), room: 'Room 7' }),
    expected: { refused: 'conflict' },
  },
  {
    name: 'back to back bookings are fine (half-open slots)',
    as: 'receptionist',
    given: [booking('first', () => ({}))],
    mutation: (c) => newBooking(c, { start: c.at(9, 30), end: c.at(10) }),
    expected: { applied: { status: 'scheduled' } },
  },
  {
    name: 'a cancelled booking blocks nothing',
    as: 'receptionist',
    given: [booking('first', () => ({ status: 'cancelled' }))],
    mutation: (c) => newBooking(c, { start: c.at(9), end: c.at(9, 30) }),
    expected: { applied: { status: 'scheduled' } },
  },
  {
    name: 'a cancelled booking back in the book onto a taken slot is refused',
    as: 'receptionist',
    given: [booking('cancelled', () => ({ status: 'cancelled' })), booking('taken', () => ({}))],
    mutation: (_c, rows) => update('appointments', rows.cancelled!, { status: 'scheduled' }),
    expected: { refused: 'conflict' },
  },
  {
    name: 'a booking in blocked time is refused, naming the start',
    as: 'receptionist',
    given: [{ name: 'lunch', collection: 'blocked-times', data: (c) => ({ providerId: c.doctorA, start: c.at(12), end: c.at(13), reason: 'Lunch' }) }],
    mutation: (c) => newBooking(c, { start: c.at(12, 15), end: c.at(12, 45) }),
    expected: { refused: 'conflict', field: 'start' },
  },
  {
    name: 'a booking must end after it starts',
    as: 'receptionist',
    given: [],
    mutation: (c) => newBooking(c, { start: c.at(10), end: c.at(9) }),
    expected: { refused: 'invalid', field: 'end' },
  },
  {
    name: 'a booking is with a doctor',
    as: 'receptionist',
    given: [],
    mutation: (c) => newBooking(c, { providerId: c.receptionist, start: c.at(9), end: c.at(9, 30) }),
    expected: { refused: 'invalid', field: 'providerId' },
  },
  // ---- the appointment status flow ----
  {
    name: 'a booking cannot jump from scheduled to completed',
    as: 'receptionist',
    given: [booking('visit', () => ({}))],
    mutation: (_c, rows) => update('appointments', rows.visit!, { status: 'completed' }),
    expected: { refused: 'conflict' },
  },
  {
    name: 'a booked patient arrives',
    as: 'receptionist',
    given: [booking('visit', () => ({}))],
    mutation: (_c, rows) => update('appointments', rows.visit!, { status: 'arrived' }),
    expected: { applied: { status: 'arrived' } },
  },
  // ---- stock ----
  {
    name: 'stock never goes below zero',
    as: 'receptionist',
    given: [item(2)],
    mutation: (_c, rows) => ({ op: 'adjust', collection: 'inventory', id: rows.item!.id, data: { delta: -3 } }),
    expected: { refused: 'conflict' },
  },
  {
    name: 'stock taken to zero is low stock',
    as: 'receptionist',
    given: [item(2)],
    mutation: (_c, rows) => ({ op: 'adjust', collection: 'inventory', id: rows.item!.id, data: { delta: -2, reason: 'used' } }),
    expected: { applied: { quantity: 0, lowStock: true } },
  },
  {
    name: 'stock beyond what the field holds is refused, naming the delta',
    as: 'receptionist',
    given: [item(9_500_000)],
    mutation: (_c, rows) => ({ op: 'adjust', collection: 'inventory', id: rows.item!.id, data: { delta: 1_000_000 } }),
    expected: { refused: 'invalid', field: 'delta' },
  },
  // ---- invoices, payments and refunds ----
  {
    name: "an invoice's total is derived from its lines",
    as: 'receptionist',
    given: [],
    mutation: (c) => ({ op: 'create', collection: 'invoices', data: { patientId: c.patientId, status: 'draft', lines } }),
    expected: { applied: { totalCents: 10_000, paidCents: 0, status: 'draft', number: null } },
  },
  {
    name: 'a payment within the open balance is taken',
    as: 'receptionist',
    given: [issuedInvoice, paid(3000)],
    mutation: (c, rows) => payment(c, rows, { amountCents: 7000 }),
    expected: { applied: { amountCents: 7000, kind: 'payment' } },
  },
  {
    name: 'a payment past the open balance is refused, naming the amount',
    as: 'receptionist',
    given: [issuedInvoice, paid(3000)],
    mutation: (c, rows) => payment(c, rows, { amountCents: 7001 }),
    expected: { refused: 'invalid', field: 'amountCents' },
  },
  {
    name: 'a draft invoice takes no payment',
    as: 'receptionist',
    given: [{ name: 'invoice', collection: 'invoices', data: (c) => ({ patientId: c.patientId, status: 'draft', lines }) }],
    mutation: (c, rows) => payment(c, rows, { amountCents: 100 }),
    expected: { refused: 'conflict' },
  },
  {
    name: 'a refund hands back at most what was paid',
    as: 'receptionist',
    given: [issuedInvoice, paid(3000)],
    mutation: (c, rows) => payment(c, rows, { amountCents: 3001, kind: 'refund', reason: 'overcharged' }),
    expected: { refused: 'invalid', field: 'amountCents' },
  },
  {
    name: 'a refund within what was paid is taken',
    as: 'receptionist',
    given: [issuedInvoice, paid(3000)],
    mutation: (c, rows) => payment(c, rows, { amountCents: 3000, kind: 'refund', reason: 'overcharged' }),
    expected: { applied: { amountCents: 3000, kind: 'refund' } },
  },
  {
    name: "a payment's amount never changes",
    as: 'receptionist',
    given: [issuedInvoice, paid(3000)],
    mutation: (_c, rows) => update('payments', rows.payment!, { amountCents: 2000 }),
    expected: { refused: 'conflict' },
  },
  {
    name: 'an invoice with payments cannot go back to draft',
    as: 'receptionist',
    given: [issuedInvoice, paid(3000)],
    mutation: (_c, rows) => update('invoices', rows.invoice!, { status: 'draft' }),
    expected: { refused: 'conflict' },
  },
  {
    name: 'a void invoice cannot change',
    as: 'receptionist',
    given: [{ name: 'invoice', collection: 'invoices', data: (c) => ({ patientId: c.patientId, status: 'void', lines }) }],
    mutation: (_c, rows) => update('invoices', rows.invoice!, { lines: [{ description: 'X-ray', quantity: 1, unitPriceCents: 100 }] }),
    expected: { refused: 'conflict' },
  },
  {
    name: "an invoice's lines may not fall below what was paid",
    as: 'receptionist',
    given: [issuedInvoice, paid(6000)],
    mutation: (_c, rows) => update('invoices', rows.invoice!, { lines: [{ description: 'Consultation', quantity: 1, unitPriceCents: 5000 }] }),
    expected: { refused: 'conflict' },
  },
  // ---- plausible values, roles, rows ----
  {
    name: 'a birth date in the future is refused, naming it',
    as: 'receptionist',
    given: [],
    mutation: () => ({ op: 'create', collection: 'patients', data: { firstName: 'Fay', lastName: 'Future', dateOfBirth: '2099-01-01' } }),
    expected: { refused: 'invalid', field: 'dateOfBirth' },
  },
  {
    name: 'an edit that changes no value is applied as it is',
    as: 'receptionist',
    given: [{ name: 'patient', collection: 'patients', data: () => ({ firstName: 'Sam', lastName: 'Same' }) }],
    mutation: (_c, rows) => update('patients', rows.patient!, { firstName: 'Sam' }),
    expected: { applied: { firstName: 'Sam' } },
  },
  {
    name: 'an edit of a row that is not there is refused',
    as: 'receptionist',
    given: [],
    mutation: () => ({ op: 'update', collection: 'patients', id: '6f1c1f5e-8d7b-4d7e-9a57-2c0f7f0b9d11', baseVersion: 1, data: { firstName: 'Nobody' } }),
    expected: { refused: 'not_found' },
  },
  {
    name: 'a receptionist may not delete a patient',
    as: 'receptionist',
    given: [{ name: 'patient', collection: 'patients', data: () => ({ firstName: 'Kept', lastName: 'Safe' }) }],
    mutation: (_c, rows) => ({ op: 'delete', collection: 'patients', id: rows.patient!.id }),
    expected: { refused: 'forbidden' },
  },
  {
    name: 'a receptionist may delete a booking',
    as: 'receptionist',
    given: [booking('visit', () => ({}))],
    mutation: (_c, rows) => ({ op: 'delete', collection: 'appointments', id: rows.visit!.id }),
    expected: { applied: {} },
  },
  {
    name: 'a doctor records a treatment',
    as: 'doctor',
    given: [],
    mutation: (c) => ({ op: 'create', collection: 'treatment-records', data: { patientId: c.patientId, providerId: c.doctorA, date: '2027-03-01', diagnosis: 'Cold' } }),
    expected: { applied: { diagnosis: 'Cold' } },
  },
  {
    name: 'a doctor may not delete a booking',
    as: 'doctor',
    given: [booking('visit', () => ({}))],
    mutation: (_c, rows) => ({ op: 'delete', collection: 'appointments', id: rows.visit!.id }),
    expected: { refused: 'forbidden' },
  },
];
