/**
 * Every invoke channel of the contract, called signed out and as each role: the dispatcher answers
 * exactly as the channel's declared access says, before any handler runs. The table comes from
 * the contract itself, so a channel added later is walked too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { roles, type Role } from '../../shared/domain/collections';
import { channelAccess, invokeChannelNames, mayCall, type InvokeChannel } from '../../shared/ipc/contract';
import type { Terminal } from '../../main/terminal';
import { withOfflineCore } from '../support/offlineCore';

/** What a locked terminal still answers: the sign-in screen's needs, nothing with a row in it. */
const publicChannels: InvokeChannel[] = ['session.login', 'session.current', 'settings.get', 'sync.status'];

function signIn(core: Terminal, role: Role): void {
  core['state'].setSession({ user: { id: randomUUID(), username: `u-${role}`, displayName: `A ${role}`, role }, signedIn: true, accessToken: null, refreshToken: null });
}

function signOut(core: Terminal): void {
  const s = core['state'].getSession();
  if (s) core['state'].setSession({ ...s, signedIn: false });
}

test('only the sign-in screen’s channels are open to anyone; every other channel declares a signed-in user or roles', () => {
  for (const channel of invokeChannelNames) {
    const access = channelAccess(channel);
    if (publicChannels.includes(channel)) assert.equal(access, 'anyone', channel);
    else assert.notEqual(access, 'anyone', `${channel} is open to a locked terminal; add it to publicChannels only if it shows no clinic data`);
    if (Array.isArray(access)) {
      assert.ok(access.length > 0, `${channel} names no role`);
      for (const r of access) assert.ok((roles as readonly string[]).includes(r), `${channel}: ${r} is no role`);
    }
  }
});

test('every channel, signed out and as each role, is refused or let through exactly as the contract declares', () =>
  withOfflineCore({ prefix: 'ipc-access' }, async (core) => {
    // No server: a channel let through answers from the cache or says the server is unreachable.
    const callers: (Role | null)[] = [null, ...roles];
    let walked = 0;
    for (const caller of callers) {
      for (const channel of invokeChannelNames) {
        if (caller === null) signOut(core);
        else signIn(core, caller);
        // Deliberately the same (mostly invalid) request for every channel: the access check
        // comes first, so a refused channel never even validates it.
        const answer = await core.invoke(channel, {});
        const who = caller ?? 'signed out';
        const allowed = mayCall(channel, caller === null ? null : { role: caller });
        const access = channelAccess(channel);
        const expected = access === 'anyone' || (caller !== null && (access === 'signed-in' || access.includes(caller)));
        assert.equal(allowed, expected, `${channel} for ${who}: mayCall disagrees with the declaration`);
        if (allowed) {
          assert.ok(answer.ok || !/^Sign in first|may not use/.test(answer.error.message), `${channel} refused ${who}: ${JSON.stringify(answer)}`);
        } else {
          assert.equal(answer.ok, false, `${channel} answered ${who}`);
          if (!answer.ok) {
            assert.equal(answer.error.code, 'forbidden', `${channel} for ${who}`);
            assert.match(answer.error.message, caller === null ? /^Sign in first/ : new RegExp(`^A ${caller} may not use ${channel.replace('.', '\\.')}`));
          }
        }
        walked++;
      }
    }
    assert.equal(walked, callers.length * invokeChannelNames.length);
  }),
);

test('signed out, a data channel answers a clear "sign in first", also with a well-formed request', () =>
  withOfflineCore({ prefix: 'ipc-access' }, async (core) => {
    signIn(core, 'doctor');
    const made = await core.invoke('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Ann', lastName: 'Lee' } });
    assert.ok(made.ok);
    assert.ok((await core.invoke('session.logout', {})).ok);
    for (const collection of ['patients', 'treatment-records'] as const) {
      const listed = await core.invoke('data.list', { collection });
      assert.deepEqual(listed, { ok: false, error: { code: 'forbidden', message: 'Sign in first: data.list needs a signed-in user' } });
    }
    const settings = await core.invoke('settings.set', { serverUrl: 'http://elsewhere.example:4780', terminalName: 'x' });
    assert.equal(settings.ok ? null : settings.error.code, 'forbidden');
    assert.equal((await core.invoke('settings.get', {})).ok && core.settings().serverUrl, 'http://127.0.0.1:9', 'nothing redirected');
    const current = await core.invoke('session.current', {});
    assert.ok(current.ok && (current.value as { user: unknown }).user === null);
  }),
);

test('a receptionist cannot redirect the terminal; an admin can, and that signs everyone out and says so', () =>
  withOfflineCore({ prefix: 'ipc-access' }, async (core) => {
    const events: { channel: string; payload: unknown }[] = [];
    core.onEvent(({ channel, payload }) => events.push({ channel, payload }));
    signIn(core, 'receptionist');
    const refused = await core.invoke('settings.set', { serverUrl: 'http://elsewhere.example:4780', terminalName: 'Desk' });
    assert.equal(refused.ok ? null : refused.error.code, 'forbidden');
    assert.equal(core.settings().serverUrl, 'http://127.0.0.1:9');

    signIn(core, 'admin');
    const moved = await core.invoke('settings.set', { serverUrl: 'http://127.0.0.1:10', terminalName: 'Desk', offlineSignInDays: 3 });
    assert.ok(moved.ok, JSON.stringify(moved));
    assert.deepEqual(core.settings(), { serverUrl: 'http://127.0.0.1:10', terminalName: 'Desk', offlineSignInDays: 3 });
    assert.equal(core.currentUser(), null, 'signed out');
    const said = events.find((e) => e.channel === 'session.changed');
    assert.match(String((said?.payload as { reason?: string }).reason), /server address was changed to http:\/\/127\.0\.0\.1:10.*signed out/);
    const after = await core.invoke('data.list', { collection: 'patients' });
    assert.equal(after.ok ? null : after.error.code, 'forbidden');
  }),
);
