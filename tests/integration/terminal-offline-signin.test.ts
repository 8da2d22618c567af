import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { withServerAndCuttableTerminal } from '../support/serverWithTerminals';

test('offline sign-in: a user who signed in here recently works while the server is down, and the work lands when it is back; an unknown user is told why not', () =>
  withServerAndCuttableTerminal(async ({ server, t, net }) => {
    const { user, password } = await server.createUser('receptionist');
    const stranger = await server.createUser('receptionist');
    const doctor = await server.createUser('doctor');
    await t.login(user.username, password);
    const patient = await t.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Olive', lastName: 'Offline' } });
    await t.waitUntil(async () => (await t.call('sync.now', {})).pending === 0, 10_000, 'patient pushed');
    await t.call('session.logout', {});

    net.down();
    // Someone who never signed in on this terminal, and a wrong password: the same clear answer.
    for (const [who, pw] of [[stranger.user.username, stranger.password], [user.username, 'not-the-password']] as const) {
      const refused = await t.invoke('session.login', { username: who, password: pw });
      assert.equal(refused.ok ? 'ok' : refused.error.code, 'offline', who);
      assert.match(refused.ok ? '' : refused.error.message, /cannot be reached.*signed in on this terminal while it was online in the last 7 day/);
    }
    assert.equal((await t.call('session.current', {})).user, null, 'still locked');

    const since = t.events.length;
    await t.login(user.username, password);
    assert.equal((await t.call('session.current', {})).user?.id, user.id);
    assert.match(String(((await t.waitForEvent((e) => e.channel === 'session.changed', 2000, since)).payload as { reason?: string }).reason), /offline/i);
    assert.equal((await t.call('data.list', { collection: 'patients' })).length, 1, 'the cache is there');
    const appointment = {
      id: randomUUID(),
      patientId: patient.id,
      providerId: doctor.user.id,
      room: 'Room 2',
      start: '2026-12-03T09:00:00Z',
      end: '2026-12-03T09:30:00Z',
      reason: 'Booked offline',
    };
    await t.call('data.mutate', { op: 'create', collection: 'appointments', data: appointment });
    assert.equal((await t.call('sync.status', {})).pending, 1, 'queued');
    const admin = await t.invoke('admin.audit', {});
    assert.equal(admin.ok ? 'ok' : admin.error.code, 'forbidden', 'a receptionist, offline or not');

    net.up();
    await t.waitUntil(async () => (await t.call('sync.status', {})).pending === 0, 20_000, 'the queued booking sent once the server is back');
    const onServer = await server.api.get(`/api/appointments/${appointment.id}`);
    assert.equal(onServer.status, 200);
    assert.equal(onServer.body.reason, 'Booked offline');
    assert.equal(onServer.body.updatedBy, user.id, 'sent as the user who booked it');
  }),
);

test('a user deactivated on the server loses an offline session at the next contact, and cannot sign in offline again', () =>
  withServerAndCuttableTerminal(async ({ server, t, net }) => {
    const { user, password } = await server.createUser('assistant');
    await t.login(user.username, password);
    await t.call('session.logout', {});
    net.down();
    await t.login(user.username, password);
    await t.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Kept', lastName: 'Locally' } });

    const current = await server.api.get(`/api/users/${user.id}`);
    const off = await server.api.patch(`/api/users/${user.id}`, { active: false }, current.body.version);
    assert.equal(off.status, 200, off.text);

    const since = t.events.length;
    net.up();
    const ended = await t.waitForEvent((e) => e.channel === 'session.changed' && (e.payload as { user: unknown }).user === null, 20_000, since);
    assert.match(String((ended.payload as { reason?: string }).reason), /no longer accepts this account/);
    const locked = await t.invoke('data.list', { collection: 'patients' });
    assert.equal(locked.ok ? 'ok' : locked.error.message, 'Sign in first: data.list needs a signed-in user');
    assert.equal((await t.call('sync.status', {})).pending, 1, 'the work stays on the terminal');

    net.down();
    const again = await t.invoke('session.login', { username: user.username, password });
    assert.equal(again.ok ? 'ok' : again.error.code, 'offline', 'no offline sign-in for a refused account');
  }),
);
