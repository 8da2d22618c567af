import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collections, type Patient } from '../../shared/domain/collections';
import { emptyData, rowsById, type DataChange, type RowsById } from '../../renderer/src/store/clinicState';
import { applyChanges } from '../../renderer/src/store/rowsSlice';
import { namesakeOnFile, optionText, patientCount, recentlyChangedPatients, resolvePatient, searchPatients, sortedPatients } from '../../renderer/src/store/patientSearch';

const firstNames = ['Ada', 'Bo', 'Carla', 'Dmitri', 'Eve', 'Farah', 'Gus', 'Hana', 'Ivan', 'Jun'];
const lastNames = ['Grey', 'Black', 'Conflict', 'Doe', 'Evans', 'Fischer', 'Garcia', 'Hughes', 'Ito', 'Jones'];

function clinicOf(n: number): RowsById<'patients'> {
  const rows: Patient[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      version: 1,
      updatedAt: '2026-11-25T10:00:00Z',
      updatedBy: 'u',
      ...collections.patients.defaults,
      firstName: `${firstNames[i % 10]}${Math.floor(i / 100)}`,
      lastName: `${lastNames[Math.floor(i / 10) % 10]}`,
      dateOfBirth: `19${String(50 + (i % 50)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
      phone: `+49 30 ${String(1_000_000 + i)}`,
    });
  }
  return rowsById<'patients'>(rows);
}

test('search by name in either order, by phone digits and by date of birth, over 10,000 patients', () => {
  const patients = clinicOf(10_000);
  const timings: number[] = [];
  const timed = (q: string) => {
    const t = performance.now();
    const found = searchPatients(patients, q);
    timings.push(performance.now() - t);
    return found;
  };
  sortedPatients(patients); // the first call builds the index

  const byLastFirst = timed('Doe, Carla7');
  assert.ok(byLastFirst.length > 0);
  assert.ok(byLastFirst.every((p) => p.lastName === 'Doe' && p.firstName.startsWith('Carla7')));
  assert.deepEqual(timed('carla7 doe').map((p) => p.id), byLastFirst.map((p) => p.id), 'word order and case do not matter');

  const byPhone = timed('30 100 4242');
  assert.deepEqual(byPhone.map((p) => p.phone), ['+49 30 1004242'], 'phone digits match whatever the spacing');

  const target = Object.values(patients)[1234]!;
  const byDob = timed(target.dateOfBirth!);
  assert.ok(byDob.some((p) => p.id === target.id));
  assert.ok(byDob.every((p) => p.dateOfBirth === target.dateOfBirth));

  assert.equal(timed('nobody-by-this-name').length, 0);
  assert.equal(timed('').length, 10_000, 'an empty search lists everyone');
  console.log(`# patient search over 10,000: ${timings.map((t) => t.toFixed(1)).join(', ')} ms per search`);
});

test('the list is ordered by last name, then first name, and re-sorted only when patients change', () => {
  const patients = clinicOf(300);
  const sorted = sortedPatients(patients).map((e) => e.row);
  for (let i = 1; i < sorted.length; i++) {
    const a = `${sorted[i - 1]!.lastName.toLowerCase()}\u0000${sorted[i - 1]!.firstName.toLowerCase()}`;
    const b = `${sorted[i]!.lastName.toLowerCase()}\u0000${sorted[i]!.firstName.toLowerCase()}`;
    assert.ok(a <= b, `${a} before ${b}`);
  }
  assert.equal(sortedPatients(patients), sortedPatients(patients), 'same map, same array');
  const changed = { ...patients };
  assert.notEqual(sortedPatients(changed), sortedPatients(patients));
});

test('a limit stops the scan early (the Patient picker asks for 8)', () => {
  assert.equal(searchPatients(clinicOf(2000), 'a', 8).length, 8);
});

test('without a search the most recently changed patient comes first', () => {
  const patients = clinicOf(500);
  const newest = { ...Object.values(patients)[250]!, version: 2, updatedAt: '2026-11-25T11:00:00Z' };
  const list = recentlyChangedPatients({ ...patients, [newest.id]: newest });
  assert.equal(list[0]?.id, newest.id);
  assert.equal(list.length, 500);
  assert.ok(list[1]!.lastName <= list[2]!.lastName, 'the rest stays alphabetical');
});

test('the Patient field resolves an exact name, a unique match, and nothing when ambiguous', () => {
  const patients = clinicOf(40);
  const some = Object.values(patients)[5]!;
  assert.equal(resolvePatient(patients, `${some.lastName}, ${some.firstName}`)?.id, some.id, 'exact "Lastname, Firstname"');
  assert.equal(resolvePatient(patients, `  ${some.lastName.toUpperCase()}, ${some.firstName}  `)?.id, some.id, 'case and spaces do not matter');
  assert.equal(resolvePatient(patients, some.phone.slice(-7))?.id, some.id, 'a unique phone');
  assert.equal(resolvePatient(patients, some.lastName), null, 'a family name shared by several patients is not a choice');
  assert.equal(resolvePatient(patients, ''), null);
  assert.equal(optionText(some), `${some.lastName}, ${some.firstName} · ${some.dateOfBirth}`);
});

test('a change merged by applyChanges updates both orders in place of a re-sort, exactly as a re-sort would', () => {
  const patients = clinicOf(3000);
  const data = { ...emptyData(), patients };
  const before = sortedPatients(patients);
  const [a, b, c] = Object.values(patients);
  const changes: DataChange[] = [
    { collection: 'patients', id: a!.id, op: 'upsert', row: { ...a!, lastName: 'Aaberg', version: 2, updatedAt: '2026-11-25T12:00:00Z' } },
    { collection: 'patients', id: b!.id, op: 'delete' },
    { collection: 'patients', id: 'new-patient', op: 'upsert', row: { ...c!, id: 'new-patient', firstName: 'Zed', lastName: 'Zulu', updatedAt: '2026-11-25T11:00:00Z' } },
  ];
  const beforeIds = before.map((e) => e.row.id);
  const next = applyChanges(data, changes).patients;
  const incremental = sortedPatients(next).map((e) => e.row.id);
  const recent = recentlyChangedPatients(next).map((p) => p.id);
  assert.equal(sortedPatients(next), before, 'the same array, put in order in place (no copy of 3,000 entries per change)');
  assert.notDeepEqual(incremental, beforeIds);
  // The same rows in a map with no history: built from scratch.
  const fresh = { ...next };
  assert.deepEqual(incremental, sortedPatients(fresh).map((e) => e.row.id));
  assert.deepEqual(recent, recentlyChangedPatients(fresh).map((p) => p.id));
  assert.equal(incremental[0], a!.id, 'the renamed patient moved to the A-Z top');
  assert.deepEqual(recent.slice(0, 2), [a!.id, 'new-patient'], 'the latest changes first');
  assert.equal(patientCount(next), 3000);
});

test('typing on narrows the previous search and finds exactly what a fresh search finds', () => {
  const patients = clinicOf(5000);
  const typed = ['D', 'Do', 'Doe', 'Doe ', 'Doe C', 'Doe Ca', 'Doe Carla7', 'Doe', '1', '10', '100', '100 4', '100 42', '30 100'];
  // Expected: each query over a map of its own (the index is built afresh, nothing narrows).
  const expected = typed.map((q) => searchPatients({ ...patients }, q).map((p) => p.id));
  // Then typed on one after another over the same map: each search starts from the previous one's results.
  typed.forEach((q, i) => assert.deepEqual(searchPatients(patients, q).map((p) => p.id), expected[i], `"${q}"`));
  assert.ok(expected[6]!.length < expected[2]!.length && expected[7]!.length === expected[2]!.length, 'a shorter search widens again');
});

test('typing on after a change searches the patients as they are now, not the previous keystroke\'s results', () => {
  const data = { ...emptyData(), patients: clinicOf(2000) };
  const [some] = Object.values(data.patients);
  assert.deepEqual(searchPatients(data.patients, 'Zul').map((p) => p.id), [], 'nobody called Zulu yet');
  const arrived: DataChange = { collection: 'patients', id: 'zulu', op: 'upsert', row: { ...some!, id: 'zulu', lastName: 'Zulu', updatedAt: '2026-11-25T11:00:00Z' } };
  const next = applyChanges(data, [arrived]).patients;
  assert.deepEqual(searchPatients(next, 'Zulu').map((p) => p.id), ['zulu'], 'the patient who arrived between two keystrokes is found');
});

test('a new patient, once saved under the id its form chose, is not its own duplicate; a namesake on file still is', () => {
  const data = { ...emptyData(), patients: clinicOf(2000) };
  const [some] = Object.values(data.patients);
  const entered = { firstName: 'Nora', lastName: 'Quist', dateOfBirth: '1984-03-12' };
  const formId = 'chosen-when-the-form-opened';
  assert.equal(namesakeOnFile(data.patients, entered, formId), undefined, 'nobody of that name yet');
  // The save's own row arrives while the form is still open (data.changed comes before the answer).
  const saved: DataChange = { collection: 'patients', id: formId, op: 'upsert', row: { ...some!, ...entered, id: formId, updatedAt: '2026-11-25T11:00:00Z' } };
  const afterSave = applyChanges(data, [saved]);
  assert.equal(namesakeOnFile(afterSave.patients, entered, formId), undefined, 'the saved patient is not a namesake of itself');
  assert.equal(namesakeOnFile(afterSave.patients, entered, 'another-form')?.id, formId, 'for another form it is a namesake on file');
  assert.equal(namesakeOnFile(afterSave.patients, { ...entered, dateOfBirth: '1984-03-13' }, 'another-form'), undefined, 'another birth date is another person');
  const twin: DataChange = { collection: 'patients', id: 'twin', op: 'upsert', row: { ...some!, ...entered, id: 'twin', updatedAt: '2026-11-25T11:01:00Z' } };
  const withTwin = applyChanges(afterSave, [twin]);
  assert.equal(namesakeOnFile(withTwin.patients, entered, formId)?.id, 'twin', 'a namesake other than the patient itself is found');
  assert.equal(namesakeOnFile(withTwin.patients, entered, formId), withTwin.patients.twin, 'the store\'s own row: a selector returning it keeps its identity');
});
