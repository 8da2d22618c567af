/**
 * A window may send its next edit on the version it last showed while the answer to its previous
 * edit is still on its way (two status clicks in a row, quick moves in the book). Such an edit rests
 * on this terminal's own answered edit and applies; one that a colleague's change overtook still
 * becomes a conflict.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedInTerminals } from '../support/terminal';
import { waitForLive } from './terminal-helpers';
import { withServerAndTerminals } from '../support/serverWithTerminals';

test("an edit on the version before this terminal's own answered edit applies; a colleague's change in between still conflicts", () =>
  withServerAndTerminals(async (server, terminals) => {
    const { user: desk, password } = await server.createUser('receptionist');
    const { user: doctor } = await server.createUser('doctor');
    const patient = (await server.api.post('/api/patients', { firstName: 'Quinn', lastName: 'Quick' })).body as { id: string };
    const appt = (await server.api.post('/api/appointments', { patientId: patient.id, providerId: doctor.id, start: '2027-06-01T09:00:00Z', end: '2027-06-01T09:30:00Z' })).body as { id: string; version: number };
    const [a] = await signedInTerminals(server.url, { user: desk, password }, ['A'], terminals);
    await waitForLive(terminals);
    await a.waitUntil(async () => ((await a.call('data.list', { collection: 'appointments' })) as { id: string }[]).length === 1, 5_000, 'the booking cached');
    const pendingZero = () => a.waitUntil(async () => (await a.call('sync.now', {})).pending === 0, 10_000, 'answered');
    const outcomes: string[] = [];
    a.core!.onEvent(({ channel, payload }) => {
      if (channel === 'mutation.outcome') outcomes.push((payload as { status: string }).status);
    });

    // Confirm, answered (version 2); then "Mark arrived" still sent on version 1, as the window showed it.
    await a.call('data.mutate', { op: 'update', collection: 'appointments', id: appt.id, baseVersion: 1, data: { status: 'confirmed' } });
    await pendingZero();
    await a.call('data.mutate', { op: 'update', collection: 'appointments', id: appt.id, baseVersion: 1, data: { status: 'arrived' } });
    await pendingZero();
    assert.deepEqual(outcomes, ['applied', 'applied']);
    let row = (await server.api.get(`/api/appointments/${appt.id}`)).body as { status: string; version: number; room: string };
    assert.equal(row.status, 'arrived');
    assert.equal(row.version, 3);

    // A colleague changes the room (version 4); an edit of the room on version 3 must conflict.
    const colleague = await server.api.patch(`/api/appointments/${appt.id}`, { room: 'Room 9' }, 3);
    assert.equal(colleague.status, 200);
    await a.waitUntil(async () => ((await a.call('data.list', { collection: 'appointments' })) as { version: number }[])[0]!.version === 4, 5_000, 'the colleague\'s change');
    await a.call('data.mutate', { op: 'update', collection: 'appointments', id: appt.id, baseVersion: 3, data: { room: 'Room 2' } });
    await pendingZero();
    assert.equal(outcomes.at(-1), 'conflict');
    row = (await server.api.get(`/api/appointments/${appt.id}`)).body;
    assert.equal(row.room, 'Room 9', 'the colleague\'s room is not overwritten');
  }),
);
