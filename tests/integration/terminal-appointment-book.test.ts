/**
 * The appointment book's collections on terminals: appointment types and blocked time sync to a
 * receptionist's terminal live; the terminal refuses a booking in blocked time by itself (offline
 * too) with the same message as the server; a confirmed booking and its arrival time sync.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedInTerminals } from '../support/terminal';
import { waitForLive, waitForSyncIdle } from './terminal-helpers';
import { withServerAndTerminals } from '../support/serverWithTerminals';

test('types and blocked time reach a receptionist terminal; bookings in blocked time are refused on the terminal', () =>
  withServerAndTerminals(async (server, terminals) => {
    const { user: desk, password } = await server.createUser('receptionist');
    const { user: doctor } = await server.createUser('doctor');
    const patient = (await server.api.post('/api/patients', { firstName: 'Tess', lastName: 'Terminal' })).body as { id: string };
    const [a] = await signedInTerminals(server.url, { user: desk, password }, ['A'], terminals);
    await waitForLive(terminals);

    const type = (await server.api.post('/api/appointment-types', { name: 'Long visit', durationMinutes: 60, colour: '#aa3366' })).body as { id: string };
    await a.call('data.mutate', { op: 'create', collection: 'blocked-times', data: { providerId: doctor.id, start: '2027-05-03T12:00:00+02:00', end: '2027-05-03T13:00:00+02:00', reason: 'Team meeting' } });
    await a.waitUntil(async () => ((await a.call('data.list', { collection: 'appointment-types' })) as { id: string }[]).some((t) => t.id === type.id), 5_000, 'the type on the terminal');

    const refused = await a.invoke('data.mutate', {
      op: 'create',
      collection: 'appointments',
      data: { patientId: patient.id, providerId: doctor.id, start: '2027-05-03T12:30:00+02:00', end: '2027-05-03T13:30:00+02:00', typeId: type.id },
    });
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.error.message, /^This time is blocked: Team meeting \(12:00–13:00\)$/);

    const booked = await a.call('data.mutate', {
      op: 'create',
      collection: 'appointments',
      data: { patientId: patient.id, providerId: doctor.id, start: '2027-05-03T13:00:00+02:00', end: '2027-05-03T14:00:00+02:00', typeId: type.id },
    });
    const id = booked.id;
    await a.call('data.mutate', { op: 'update', collection: 'appointments', id, baseVersion: 1, data: { status: 'confirmed' } });
    await a.call('data.mutate', { op: 'update', collection: 'appointments', id, baseVersion: 1, data: { status: 'arrived', arrivedAt: '2027-05-03T12:55:00+02:00' } });
    // Moving it into the meeting is refused on the terminal as well.
    const moved = await a.invoke('data.mutate', { op: 'update', collection: 'appointments', id, baseVersion: 1, data: { start: '2027-05-03T12:45:00+02:00' } });
    assert.equal(moved.ok, false);
    await waitForSyncIdle(terminals);
    const row = (await server.api.get(`/api/appointments/${id}`)).body as { status: string; arrivedAt: string; typeId: string };
    assert.equal(row.status, 'arrived');
    assert.equal(Date.parse(row.arrivedAt), Date.parse('2027-05-03T12:55:00+02:00'));
    assert.equal(row.typeId, type.id);
    // Saving a PDF is the desktop app's: a headless terminal says so (its browser prints instead).
    const pdf = await a.invoke('print.savePdf', { fileName: 'Invoice' });
    assert.equal(pdf.ok ? '' : pdf.error.code, 'unsupported');
    const badName = await a.invoke('print.savePdf', { fileName: 'a/b' });
    assert.equal(badName.ok ? '' : badName.error.code, 'bad_request');
    const blocks = (await server.api.get('/api/blocked-times')).body as { reason: string; updatedBy: string }[];
    assert.deepEqual(blocks.map((b) => [b.reason, b.updatedBy]), [['Team meeting', desk.id]]);
  }),
);
