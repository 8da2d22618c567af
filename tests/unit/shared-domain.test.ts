import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  adjustInput,
  canMoveAppointment,
  collections,
  findClash,
  hiddenFields,
  invoiceTotal,
  likelySamePatient,
  lowStock,
  mutateRequest,
  redactRow,
  settledStatus,
  syncedCollections,
} from '../../shared';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('collection schemas', () => {
  test('a create needs only the required fields and refuses unknown ones', () => {
    assert.ok(collections.patients.create.safeParse({ firstName: 'Ada', lastName: 'Lovelace' }).success);
    const unknown = collections.patients.create.safeParse({ firstName: 'Ada', lastName: 'L', shoeSize: 9 });
    assert.equal(unknown.success, false);
    assert.equal(unknown.error?.issues[0]?.code, 'unrecognized_keys');
    const missing = collections.patients.create.safeParse({ firstName: 'Ada' });
    assert.deepEqual(missing.error?.issues.map((i) => i.path.join('.')), ['lastName']);
  });

  test('impossible dates, offset-less instants and negative cents are refused', () => {
    const bad = [
      collections.patients.create.safeParse({ firstName: 'A', lastName: 'B', dateOfBirth: '2026-02-30' }),
      collections.appointments.create.safeParse({
        patientId: uuid(1),
        providerId: uuid(2),
        start: '2026-11-25T09:00:00',
        end: '2026-11-25T09:30:00Z',
      }),
      collections.invoices.create.safeParse({
        patientId: uuid(1),
        lines: [{ description: 'Consultation', quantity: 1, unitPriceCents: -100 }],
      }),
      collections.payments.create.safeParse({ invoiceId: uuid(1), amountCents: 0, receivedAt: '2026-11-25T09:00:00Z' }),
    ];
    for (const result of bad) assert.equal(result.success, false);
  });

  test('an update must change at least one known field, and derived fields are not writable', () => {
    assert.equal(collections.patients.update.safeParse({}).success, false);
    assert.ok(collections.patients.update.safeParse({ phone: '555-0100' }).success);
    assert.equal(collections.invoices.update.safeParse({ totalCents: 5 }).success, false);
    assert.equal(collections.inventory.update.safeParse({ lowStock: true }).success, false);
  });

  test('an adjustment is a non-zero whole delta', () => {
    assert.ok(adjustInput.safeParse({ delta: -3 }).success);
    assert.equal(adjustInput.safeParse({ delta: 0 }).success, false);
    assert.equal(adjustInput.safeParse({ delta: 1.5 }).success, false);
  });

  test('IPC mutate requests are checked per operation', () => {
    assert.ok(mutateRequest.safeParse({ op: 'delete', collection: 'patients', id: uuid(3) }).success);
    assert.equal(mutateRequest.safeParse({ op: 'update', collection: 'patients', id: uuid(3), data: {} }).success, false);
    assert.equal(mutateRequest.safeParse({ op: 'adjust', collection: 'patients', id: uuid(3), data: { delta: 1 } }).success, false);
  });
});

describe('business rules', () => {
  test('the appointment status flow', () => {
    assert.ok(canMoveAppointment('scheduled', 'arrived'));
    assert.ok(canMoveAppointment('arrived', 'in_progress'));
    assert.ok(canMoveAppointment('in_progress', 'completed'));
    assert.ok(canMoveAppointment('scheduled', 'no_show'));
    assert.equal(canMoveAppointment('completed', 'scheduled'), false);
    assert.equal(canMoveAppointment('scheduled', 'completed'), false);
  });

  test('clashes by provider or room, half-open, ignoring cancelled ones', () => {
    const base = { status: 'scheduled' as const, start: '2026-11-25T09:00:00Z', end: '2026-11-25T09:30:00Z' };
    const existing = [
      { ...base, id: uuid(10), providerId: uuid(1), room: 'Room 1' },
      { ...base, id: uuid(11), providerId: uuid(2), room: 'Room 2', status: 'cancelled' as const },
    ];
    const sameDoctor = { ...base, id: uuid(20), providerId: uuid(1), room: 'Room 3' };
    assert.equal(findClash(sameDoctor, existing)?.id, uuid(10));
    const sameRoom = { ...base, id: uuid(21), providerId: uuid(3), room: 'Room 1', start: '2026-11-25T09:15:00+00:00' };
    assert.equal(findClash({ ...sameRoom, end: '2026-11-25T10:00:00Z' }, existing)?.id, uuid(10));
    const backToBack = { ...sameDoctor, start: '2026-11-25T09:30:00Z', end: '2026-11-25T10:00:00Z' };
    assert.equal(findClash(backToBack, existing), undefined);
    const cancelledSlot = { ...base, id: uuid(22), providerId: uuid(2), room: 'Room 2' };
    assert.equal(findClash(cancelledSlot, existing), undefined);
  });

  test('invoice totals and settlement', () => {
    assert.equal(invoiceTotal([{ description: 'a', quantity: 2, unitPriceCents: 1250 }, { description: 'b', quantity: 1, unitPriceCents: 500 }]), 3000);
    assert.equal(settledStatus('issued', 3000, 3000), 'paid');
    assert.equal(settledStatus('paid', 3000, 1000), 'issued');
    assert.equal(settledStatus('void', 3000, 3000), 'void');
  });

  test('low stock and likely duplicate patients', () => {
    assert.ok(lowStock({ quantity: 5, reorderLevel: 5 }));
    assert.equal(lowStock({ quantity: 6, reorderLevel: 5 }), false);
    const a = { firstName: 'Mary ', lastName: 'Smith', dateOfBirth: '1980-01-02' };
    assert.ok(likelySamePatient(a, { firstName: 'mary', lastName: 'SMITH', dateOfBirth: '1980-01-02' }));
    assert.equal(likelySamePatient(a, { ...a, dateOfBirth: null }), false);
  });
});

describe('access', () => {
  test('receptionists neither sync treatment records nor see medical history', () => {
    assert.equal(syncedCollections('receptionist').includes('treatment-records'), false);
    assert.ok(syncedCollections('doctor').includes('treatment-records'));
    assert.deepEqual(hiddenFields('receptionist', 'patients'), ['medicalHistory']);
    const row = { id: uuid(1), firstName: 'A', medicalHistory: 'asthma' };
    assert.equal('medicalHistory' in redactRow('receptionist', 'patients', row), false);
    assert.equal(redactRow('doctor', 'patients', row).medicalHistory, 'asthma');
  });

  test('user rows travel without secrets', () => {
    const user = { id: uuid(1), username: 'amy', displayName: 'Amy', role: 'doctor', passwordHash: 'x' };
    assert.equal('passwordHash' in redactRow('admin', 'users', user), false);
  });
});
