import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServerAndTerminal } from '../support/serverWithTerminals';

test('an expired access token is refreshed silently; a dead refresh token asks for a new sign-in and keeps the outbox', () =>
  withServerAndTerminal({ mode: 'inprocess' }, async ({ server, t }) => {
    const { user, password } = await server.createUser('assistant');
    await t.login(user.username, password);
    const before = t.core!['state'].getSession()!;
    assert.ok(before.refreshToken, 'the refresh token is kept (in the keystore)');

    // Access token no longer valid: the next sync refreshes it and carries on.
    t.core!['state'].setTokens('not-a-valid-token', before.refreshToken!);
    await t.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Refresh', lastName: 'Me' } });
    await t.waitUntil(async () => (await t.call('sync.now', {})).pending === 0, 10_000, 'pushed after refresh');
    const refreshed = t.core!['state'].getSession()!;
    assert.notEqual(refreshed.accessToken, 'not-a-valid-token');
    assert.notEqual(refreshed.refreshToken, before.refreshToken, 'refresh tokens rotate');

    // Both tokens dead: the terminal says a sign-in is needed; local work goes on and waits.
    t.core!['state'].setTokens('dead', 'dead');
    const since = t.events.length;
    await t.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Waits', lastName: 'For login' } });
    const changed = await t.waitForEvent((e) => e.channel === 'session.changed', 10_000, since);
    assert.equal((changed.payload as { user: unknown }).user, null);
    assert.match(String((changed.payload as { reason?: string }).reason), /sign in/i);
    assert.equal((await t.call('session.current', {})).user, null);
    assert.equal((await t.call('sync.status', {})).pending, 1);
    // Locked: the cache keeps the work but shows nothing until someone signs in again.
    const locked = await t.invoke('data.list', { collection: 'patients' });
    assert.equal(locked.ok ? 'ok' : locked.error.message, 'Sign in first: data.list needs a signed-in user');

    // Signing in again as the same user sends the waiting change.
    await t.login(user.username, password);
    await t.waitUntil(async () => (await t.call('sync.now', {})).pending === 0, 10_000, 'sent after sign-in');
    const names = ((await server.api.get('/api/patients')).body as { firstName: string }[]).map((p) => p.firstName).sort();
    assert.deepEqual(names, ['Refresh', 'Waits']);
  }),
);

test('admin channels go to the server, and are refused once a receptionist signs in on the same terminal', () =>
  withServerAndTerminal({ mode: 'inprocess' }, async ({ server, t }) => {
    await t.login('admin', server.adminPassword);
    const created = await t.call('admin.createUser', { username: 'desk.new', displayName: 'New Desk', role: 'receptionist', password: 'long-enough-pw' });
    assert.equal(created.role, 'receptionist');
    const audit = await t.call('admin.audit', { limit: 10 });
    assert.ok(audit.some((e) => e.action.includes('create') || e.collection === 'users'));
    const dup = await t.invoke('admin.createUser', { username: 'desk.new', displayName: 'Again', role: 'receptionist', password: 'long-enough-pw' });
    assert.equal(dup.ok, false);

    await t.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Admin', lastName: 'Made' } });
    await t.waitUntil(async () => (await t.call('sync.now', {})).pending === 0, 10_000, 'pushed');
    await t.call('session.logout', {});
    await t.login('desk.new', 'long-enough-pw');
    const denied = await t.invoke('admin.audit', {});
    assert.equal(denied.ok ? 'ok' : denied.error.code, 'forbidden');
    await t.waitUntil(async () => (await t.call('data.list', { collection: 'patients' })).length === 1, 10_000, 'receptionist synced');
    assert.equal((await t.call('data.list', { collection: 'users' })).every((u) => !('passwordHash' in u)), true);
  }),
);

test('a user deactivated by the admin is signed out of an idle terminal within seconds', () =>
  withServerAndTerminal({ mode: 'inprocess', server: { liveHeartbeatMs: 100 } }, async ({ server, t }) => {
      // Heartbeats every 100 ms: the server checks each live socket's session that often.
    const { user, password } = await server.createUser('receptionist');
    await t.login(user.username, password);
    await t.waitUntil(async () => (await t.call('sync.status', {})).connection === 'live', 10_000, 'the live channel');
    const since = t.events.length;

    // Nobody uses the terminal: it finds out through its live socket (the deactivation's poke, or
    // the server's session check at the next heartbeat, covered in server-live.test.ts).
    const patch = await server.api.patch(`/api/users/${user.id}`, { active: false }, user.version);
    assert.equal(patch.status, 200, patch.text);
    const ended = await t.waitForEvent((e) => e.channel === 'session.changed', 5_000, since);
    assert.equal((ended.payload as { user: unknown }).user, null);
    assert.equal((await t.call('session.current', {})).user, null);
  }),
);

test('signing out ends the session on the server: a copy of its refresh token mints nothing', () =>
  withServerAndTerminal({ mode: 'inprocess' }, async ({ server, t }) => {
    const { user, password } = await server.createUser('receptionist');
    await t.login(user.username, password);
    const copied = t.core!['state'].getSession()!.refreshToken!;
    await t.call('session.logout', {});
    assert.equal(t.core!['state'].getSession()?.refreshToken ?? null, null, 'nothing kept on this terminal');
    const replay = await fetch(`${server.url}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: copied }),
    });
    assert.equal(replay.status, 401);
    const audit = (await server.api.get('/api/audit?limit=20')).body as { action: string; username: string | null }[];
    assert.ok(audit.some((e) => e.action === 'logout' && e.username === user.username), 'the sign-out is in the audit log');
  }),
);
