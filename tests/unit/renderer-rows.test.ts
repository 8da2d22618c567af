import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyData, rowsById } from '../../renderer/src/store/clinicState';
import { applyChanges, changedSince } from '../../renderer/src/store/rowsSlice';
import { describeRemoteChanges } from '../../renderer/src/store/remoteChanges';
import { collections } from '../../shared/domain/collections';

const pid = '00000000-0000-4000-8000-000000000001';
const pid2 = '00000000-0000-4000-8000-000000000002';
const meta = (id: string, version: number, updatedBy: string) => ({ id, version, updatedAt: '2026-11-25T10:00:00Z', updatedBy });
const patient = (id: string, version: number, lastName: string, updatedBy = 'u1') => ({
  ...collections.patients.defaults,
  ...meta(id, version, updatedBy),
  firstName: 'Ada',
  lastName,
});

test('rowsById keys a full list by id', () => {
  const rows = rowsById<'patients'>([patient(pid, 1, 'Grey'), patient(pid2, 3, 'Black')]);
  assert.deepEqual(Object.keys(rows).sort(), [pid, pid2]);
  assert.equal(rows[pid2]?.version, 3);
});

test('an upsert replaces the row and leaves untouched collections identical', () => {
  const before = { ...emptyData(), patients: rowsById<'patients'>([patient(pid, 1, 'Grey'), patient(pid2, 1, 'Black')]) };
  const after = applyChanges(before, [{ collection: 'patients', id: pid, op: 'upsert', row: patient(pid, 2, 'Greyson') }]);
  assert.equal(after.patients[pid]?.lastName, 'Greyson');
  assert.equal(after.patients[pid]?.version, 2);
  assert.equal(after.patients[pid2], before.patients[pid2], 'other rows are kept as they were');
  assert.equal(after.appointments, before.appointments, 'a collection without changes keeps its identity');
  assert.notEqual(after.patients, before.patients, 'a new identity for React');
  // Patients change in place (a copy of 100,000 keys per change costs more than a frame); what
  // the earlier map held is kept in the lineage for the register's index.
  assert.equal((changedSince(before.patients, after.patients)?.get(pid) as { lastName: string }).lastName, 'Grey');
  assert.deepEqual([...(changedSince(before.patients, after.patients)?.keys() ?? [])], [pid]);
  assert.deepEqual(Object.keys(after.patients).sort(), [pid, pid2].sort(), 'the view lists its rows like a plain object');
});

test('other collections are copied: the previous state is not mutated', () => {
  const before = { ...emptyData(), inventory: rowsById<'inventory'>([{ ...patient(pid, 1, 'x'), name: 'Gloves' } as never]) };
  const after = applyChanges(before, [{ collection: 'inventory', id: pid, op: 'upsert', row: { ...before.inventory[pid]!, name: 'Masks', version: 2 } }]);
  assert.equal(after.inventory[pid]?.name, 'Masks');
  assert.equal(before.inventory[pid]?.name, 'Gloves');
});

test('a tombstone deletes the row; a delete of an unknown row is harmless', () => {
  const before = { ...emptyData(), patients: rowsById<'patients'>([patient(pid, 1, 'Grey')]) };
  const after = applyChanges(before, [
    { collection: 'patients', id: pid, op: 'delete' },
    { collection: 'inventory', id: pid2, op: 'delete' },
  ]);
  assert.equal(after.patients[pid], undefined);
  assert.deepEqual(after.inventory, {});
});

test('changes of one batch apply in order: create, update, delete of the same row', () => {
  const after = applyChanges(emptyData(), [
    { collection: 'patients', id: pid, op: 'upsert', row: patient(pid, 1, 'Grey') },
    { collection: 'patients', id: pid, op: 'upsert', row: patient(pid, 2, 'Greyer') },
    { collection: 'patients', id: pid2, op: 'upsert', row: patient(pid2, 1, 'Black') },
    { collection: 'patients', id: pid, op: 'delete' },
  ]);
  assert.deepEqual(Object.keys(after.patients), [pid2]);
});

test('an empty batch returns the same state object', () => {
  const data = emptyData();
  assert.equal(applyChanges(data, []), data);
});

test('remote notices name the other user and the patient, and skip my own rows and deletes', () => {
  const users = rowsById<'users'>([
    { id: 'u1', version: 1, updatedAt: '2026-11-25T10:00:00Z', updatedBy: 'admin', username: 'grey', displayName: 'Dr Ada Grey', role: 'doctor', active: true },
  ]);
  const notices = describeRemoteChanges(
    [
      { collection: 'patients', id: pid, op: 'upsert', row: patient(pid, 1, 'Grey', 'u1') },
      { collection: 'patients', id: pid2, op: 'upsert', row: patient(pid2, 4, 'Mine', 'me') },
      { collection: 'patients', id: pid2, op: 'delete' },
    ],
    'me',
    { ...emptyData(), users },
  );
  assert.deepEqual(notices, [{ userId: 'u1', text: 'Dr Ada Grey added patient Ada Grey' }]);
  const many = describeRemoteChanges(
    [
      { collection: 'patients', id: pid, op: 'upsert', row: patient(pid, 2, 'Grey', 'u1') },
      { collection: 'appointments', id: pid2, op: 'upsert', row: { ...collections.appointments.defaults, ...meta(pid2, 1, 'u1'), patientId: pid, providerId: 'u1', start: '2026-11-25T10:00:00Z', end: '2026-11-25T10:30:00Z' } },
      { collection: 'inventory', id: pid2, op: 'upsert', row: { ...collections.inventory.defaults, ...meta(pid2, 5, 'u9'), name: 'Gauze', lowStock: false } },
    ],
    'me',
    { ...emptyData(), users },
  );
  assert.deepEqual(many.map((n) => n.text), ['Dr Ada Grey changed 2 records (patients, appointments)', 'Another user updated stock of Gauze']);
});
