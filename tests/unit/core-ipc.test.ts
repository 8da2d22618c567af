import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createTerminal, type Terminal } from '../../main/terminal';
import type { AnyRow, PublicUser } from '../../shared/domain/collections';
import type { EventPayload } from '../../shared/ipc/contract';
import { offlineCore, withOfflineCore } from '../support/offlineCore';

const doctor: PublicUser = { id: randomUUID(), username: 'dr.ada', displayName: 'Dr Ada', role: 'doctor' };


async function snapshot(core: Terminal) {
  const patients = await core.invoke('data.list', { collection: 'patients' });
  const status = await core.invoke('sync.status', {});
  assert.ok(patients.ok && status.ok);
  return { patients: patients.value, pending: (status.value as { pending: number }).pending };
}

test('unknown channels, wrong shapes and oversized payloads get clear errors and change nothing', () =>
  withOfflineCore({ prefix: 'core-ipc', user: doctor }, async (core) => {
    const created = await core.invoke('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Ann', lastName: 'Lee' } });
    assert.ok(created.ok);
    const before = await snapshot(core);

    const unknown = await core.invoke('data.drop', {});
    assert.deepEqual(unknown.ok ? null : unknown.error.code, 'unknown_channel');
    assert.match(unknown.ok ? '' : unknown.error.message, /Unknown channel/);

    const wrongShape = await core.invoke('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 42 } });
    assert.equal(wrongShape.ok ? null : wrongShape.error.code, 'bad_request');
    assert.ok(!wrongShape.ok && wrongShape.error.details && wrongShape.error.details.length > 0);

    const extraField = await core.invoke('data.list', { collection: 'patients', sneaky: true });
    assert.equal(extraField.ok ? null : extraField.error.code, 'bad_request');

    const badCollection = await core.invoke('data.list', { collection: 'secrets' });
    assert.equal(badCollection.ok ? null : badCollection.error.code, 'bad_request');

    const notAnObject = await core.invoke('data.mutate', 'DROP TABLE patients');
    assert.equal(notAnObject.ok ? null : notAnObject.error.code, 'bad_request');

    const huge = await core.invoke('data.mutate', {
      op: 'create',
      collection: 'patients',
      data: { firstName: 'Big', lastName: 'Note', notes: 'x'.repeat(300 * 1024) },
    });
    assert.equal(huge.ok ? null : huge.error.code, 'too_large');

    const unknownField = await core.invoke('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'A', lastName: 'B', shoeSize: 44 } });
    assert.equal(unknownField.ok ? null : unknownField.error.code, 'bad_request');

    assert.deepEqual(await snapshot(core), before);
  }),
);

test('messages from senders that are not registered windows are refused', () =>
  withOfflineCore({ prefix: 'core-ipc', user: doctor }, async (core) => {
    const stranger = await core.invoke('settings.get', {}, { windowId: 'w-unknown' });
    assert.equal(stranger.ok ? null : stranger.error.code, 'forbidden');
    const unregister = core.registerWindow('w-1');
    const known = await core.invoke('settings.get', {}, { windowId: 'w-1' });
    assert.ok(known.ok);
    unregister();
    const gone = await core.invoke('settings.get', {}, { windowId: 'w-1' });
    assert.equal(gone.ok ? null : gone.error.code, 'forbidden');
  }),
);

test('settings persist across restarts and are validated', async () => {
  const { core, dir } = offlineCore({ prefix: 'core-ipc', user: { id: randomUUID(), username: 'root', displayName: 'Admin', role: 'admin' } });
  const bad = await core.invoke('settings.set', { serverUrl: 'ftp://x', terminalName: 'Front desk' });
  assert.equal(bad.ok ? null : bad.error.code, 'bad_request');
  const set = await core.invoke('settings.set', { serverUrl: 'http://127.0.0.1:9', terminalName: 'Front desk 2' });
  assert.ok(set.ok);
  await core.close();
  const again = createTerminal({ dataDir: dir, log: () => {} });
  try {
    const got = await again.invoke('settings.get', {});
    assert.deepEqual(got, { ok: true, value: { serverUrl: 'http://127.0.0.1:9', terminalName: 'Front desk 2', offlineSignInDays: 7 } });
  } finally {
    await again.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a receptionist cannot list clinical collections nor write clinical fields', () =>
  withOfflineCore({ prefix: 'core-ipc', user: { id: randomUUID(), username: 'rita', displayName: 'Rita', role: 'receptionist' } }, async (core) => {
    const records = await core.invoke('data.list', { collection: 'treatment-records' });
    assert.equal(records.ok ? null : records.error.code, 'forbidden');
    const write = await core.invoke('data.mutate', {
      op: 'create',
      collection: 'patients',
      data: { firstName: 'Ann', lastName: 'Lee', medicalHistory: 'asthma' },
    });
    assert.equal(write.ok ? null : write.error.code, 'forbidden');
    const heard: EventPayload<'data.changed'>[] = [];
    const stop = core.onEvent(({ channel, payload }) => {
      if (channel === 'data.changed') heard.push(payload as EventPayload<'data.changed'>);
    });
    const ok = await core.invoke('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Ann', lastName: 'Lee' } });
    stop();
    assert.ok(ok.ok);
    const answer = ok.value as { mutationId: string; id: string };
    assert.deepEqual(Object.keys(answer).sort(), ['id', 'mutationId'], 'the answer names the mutation and the row; the row itself comes once, as the event');
    assert.equal(heard.length, 1);
    const change = heard[0]!.changes[0]!;
    assert.equal(heard[0]!.source, 'local');
    assert.equal(change.id, answer.id);
    assert.equal((change.row as AnyRow | undefined)?.lastName, 'Lee');
    assert.equal('medicalHistory' in change.row!, false, 'the optimistic row of a receptionist carries no medicalHistory');
  }),
);

test('not signed in: data channels answer forbidden', async () => {
  await withOfflineCore({ prefix: 'core-ipc' }, async (core) => {
    const r = await core.invoke('data.list', { collection: 'patients' });
    assert.equal(r.ok ? null : r.error.code, 'forbidden');
    const cur = await core.invoke('session.current', {});
    assert.ok(cur.ok && (cur.value as { user: unknown }).user === null);
  });
});

test('a headless terminal reports that it does not update itself; the shell reports the updater state', () =>
  withOfflineCore({ prefix: 'core-ipc', user: doctor }, async (core) => {
    const answer = await core.invoke('app.updateStatus', {});
    assert.ok(answer.ok);
    assert.equal((answer.value as { phase: string }).phase, 'unavailable');
    const heard: unknown[] = [];
    core.onEvent(({ channel, payload }) => channel === 'app.updateStatus' && heard.push(payload));
    const reported = { phase: 'downloading', currentVersion: '0.1.0', availableVersion: '0.2.0', percent: 40, message: null, checkedAt: null } as const;
    core.reportUpdateStatus(reported);
    assert.deepEqual(heard, [reported], 'windows hear the update state as an event');
    const plugged = await core.invoke('app.updateStatus', {});
    assert.ok(plugged.ok);
    assert.equal((plugged.value as { percent: number }).percent, 40);
  }),
);
