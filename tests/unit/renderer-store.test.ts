import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collections, type PublicUser } from '../../shared/domain/collections';
import type { EventPayload, SyncStatus } from '../../shared/ipc/contract';
import { createClinic } from '../../renderer/src/app/clinicContext';
import { connectionState } from '../../renderer/src/store/connection';
import { fakeBridge, ok, type FakeHandlers } from '../support/fakeBridge';

const receptionist: PublicUser = { id: '00000000-0000-4000-8000-0000000000a1', username: 'rita', displayName: 'Rita Reception', role: 'receptionist' };
const doctorId = '00000000-0000-4000-8000-0000000000d1';
const p1 = '00000000-0000-4000-8000-000000000001';
const p2 = '00000000-0000-4000-8000-000000000002';
const item = '00000000-0000-4000-8000-000000000003';
const meta = (id: string, version: number, updatedBy: string) => ({ id, version, updatedAt: '2026-11-25T10:00:00Z', updatedBy });

const status = (over: Partial<SyncStatus> = {}): SyncStatus => ({
  connection: 'live',
  online: true,
  pending: 0,
  lastSyncedAt: null,
  lastError: null,
  initialSync: { done: true, received: 0, total: 0 },
  conflicts: 0,
  ...over,
});

function handlers(over: FakeHandlers = {}): FakeHandlers {
  return {
    'session.current': () => ok({ user: null, settings: { serverUrl: 'http://127.0.0.1:1', terminalName: 'Desk 1', offlineSignInDays: 7 } }),
    'session.login': (req) =>
      req.password === 'right-password'
        ? ok({ user: receptionist })
        : { ok: false, error: { code: 'failed', message: 'Wrong username or password' } },
    'session.logout': () => ok({ ok: true as const }),
    'data.list': (req) => {
      if (req.collection === 'patients') return ok([{ ...collections.patients.defaults, ...meta(p1, 1, doctorId), firstName: 'Ada', lastName: 'Grey' }]);
      if (req.collection === 'users')
        return ok([{ ...meta(doctorId, 1, 'x'), username: 'drgrey', displayName: 'Dr Meredith Grey', role: 'doctor', active: true }]);
      return ok([]);
    },
    'sync.status': () => ok(status()),
    'conflicts.list': () => ok([]),
    'attention.list': () => ok([]),
    'data.mutate': (req) => ok({ mutationId: 'm-1', id: req.op === 'create' ? String(req.data.id) : req.id }),
    ...over,
  };
}

async function signedIn(over: FakeHandlers = {}) {
  const bridge = fakeBridge(handlers(over));
  const timers: (() => void)[] = [];
  const clinic = createClinic(bridge, { setTimer: (fn) => timers.push(fn) });
  await clinic.actions.start();
  assert.equal(clinic.store.getState().phase, 'signed-out');
  assert.equal(await clinic.actions.signIn('rita', 'right-password'), true);
  return { bridge, clinic, timers };
}

test('a wrong password keeps the user signed out with the reason', async () => {
  const bridge = fakeBridge(handlers());
  const clinic = createClinic(bridge, { toastMs: 0 });
  await clinic.actions.start();
  assert.equal(await clinic.actions.signIn('rita', 'nope'), false);
  const state = clinic.store.getState();
  assert.equal(state.phase, 'signed-out');
  assert.equal(state.signInError, 'Wrong username or password');
  assert.equal(state.user, null);
});

test('sign-in loads only the collections the role syncs, once', async () => {
  const { bridge, clinic } = await signedIn();
  const state = clinic.store.getState();
  assert.equal(state.phase, 'ready');
  assert.equal(state.user?.id, receptionist.id);
  const listed = bridge.calls.filter((c) => c.channel === 'data.list').map((c) => (c.request as { collection: string }).collection);
  assert.ok(!listed.includes('treatment-records'), 'a receptionist never asks for treatment records');
  assert.ok(listed.includes('patients') && listed.includes('users'));
  assert.equal(new Set(listed).size, listed.length, 'each collection is listed once');
  assert.equal(state.data.patients[p1]?.lastName, 'Grey');
});

test('deltas merge rows and delete tombstones without another data.list', async () => {
  const { bridge, clinic } = await signedIn();
  const listsBefore = bridge.calls.filter((c) => c.channel === 'data.list').length;
  bridge.emit('data.changed', {
    source: 'local',
    changes: [
      { collection: 'patients', id: p2, op: 'upsert', row: { ...collections.patients.defaults, ...meta(p2, 1, receptionist.id), firstName: 'Bo', lastName: 'Black' } },
      { collection: 'patients', id: p1, op: 'delete' },
    ],
  });
  const patients = clinic.store.getState().data.patients;
  assert.deepEqual(Object.keys(patients), [p2]);
  assert.equal(patients[p2]?.lastName, 'Black');
  assert.equal(bridge.calls.filter((c) => c.channel === 'data.list').length, listsBefore, 'no refetch after a delta');
});

test('deltas for collections the role may not read are ignored', async () => {
  const { bridge, clinic } = await signedIn();
  bridge.emit('data.changed', {
    source: 'remote',
    changes: [{ collection: 'treatment-records', id: p2, op: 'upsert', row: { ...collections['treatment-records'].defaults, ...meta(p2, 1, doctorId), patientId: p1, providerId: doctorId, date: '2026-11-25', diagnosis: 'flu' } }],
  });
  assert.deepEqual(clinic.store.getState().data['treatment-records'], {});
});

test('a remote change by another user shows a toast naming them; my own remote echo does not', async () => {
  const { bridge, clinic } = await signedIn();
  bridge.emit('data.changed', {
    source: 'remote',
    changes: [{ collection: 'patients', id: p2, op: 'upsert', row: { ...collections.patients.defaults, ...meta(p2, 1, receptionist.id), firstName: 'Bo', lastName: 'Black' } }],
  });
  assert.equal(clinic.store.getState().toasts.length, 0);
  bridge.emit('data.changed', {
    source: 'remote',
    changes: [{ collection: 'patients', id: p1, op: 'upsert', row: { ...collections.patients.defaults, ...meta(p1, 2, doctorId), firstName: 'Ada', lastName: 'Grey-Sloan' } }],
  });
  const toasts = clinic.store.getState().toasts;
  assert.equal(toasts.length, 1);
  assert.equal(toasts[0]?.text, 'Dr Meredith Grey updated patient Ada Grey-Sloan');
});

test('no toasts while the first download is still running', async () => {
  const { bridge, clinic } = await signedIn({ 'sync.status': () => ok(status({ initialSync: { done: false, received: 10, total: 100 } })) });
  bridge.emit('data.changed', {
    source: 'remote',
    changes: [{ collection: 'patients', id: p2, op: 'upsert', row: { ...collections.patients.defaults, ...meta(p2, 1, doctorId), firstName: 'Bo', lastName: 'Black' } }],
  });
  assert.equal(clinic.store.getState().data.patients[p2]?.lastName, 'Black');
  assert.equal(clinic.store.getState().toasts.length, 0);
});

test("a first download's rows arrive as JSON text and merge together, without notices", async () => {
  const { bridge, clinic, timers } = await signedIn({ 'sync.status': () => ok(status({ initialSync: { done: false, received: 0, total: 2 } })) });
  const rows = [
    { ...collections.patients.defaults, ...meta(p2, 1, doctorId), firstName: 'Bo', lastName: 'Black' },
    { ...collections.patients.defaults, ...meta(p1, 3, doctorId), firstName: 'Ada', lastName: 'Grey-Sloan' },
  ];
  const before = clinic.store.getState().data;
  bridge.emit('data.downloaded', { collection: 'patients', rowsJson: JSON.stringify(rows) });
  bridge.emit('data.downloaded', { collection: 'treatment-records', rowsJson: JSON.stringify([{ ...collections['treatment-records'].defaults, ...meta(p2, 1, doctorId), patientId: p1, providerId: doctorId, date: '2026-11-25', diagnosis: 'flu' }]) });
  assert.equal(clinic.store.getState().data, before, 'batches close together wait to be merged at once');
  for (const run of timers.splice(0)) run();
  const data = clinic.store.getState().data;
  assert.equal(data.patients[p2]?.lastName, 'Black');
  assert.equal(data.patients[p1]?.lastName, 'Grey-Sloan');
  assert.deepEqual(data['treatment-records'], {}, 'a collection the role does not sync stays empty');
  assert.equal(clinic.store.getState().toasts.length, 0);
});

test('downloaded rows still waiting are merged before a later change, so they never hide it', async () => {
  const { bridge, clinic, timers } = await signedIn();
  bridge.emit('data.downloaded', { collection: 'patients', rowsJson: JSON.stringify([{ ...collections.patients.defaults, ...meta(p2, 1, doctorId), firstName: 'Bo', lastName: 'Black' }]) });
  bridge.emit('data.changed', {
    source: 'local',
    changes: [{ collection: 'patients', id: p2, op: 'upsert', row: { ...collections.patients.defaults, ...meta(p2, 2, receptionist.id), firstName: 'Bo', lastName: 'Brown' } }],
  });
  for (const run of timers.splice(0)) run();
  assert.equal(clinic.store.getState().data.patients[p2]?.lastName, 'Brown');
});

test('deltas that arrive while the lists load are applied after them', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const bridge = fakeBridge(
    handlers({
      'data.list': async (req) => {
        await gate;
        return req.collection === 'patients' ? ok([{ ...collections.patients.defaults, ...meta(p1, 1, doctorId), firstName: 'Ada', lastName: 'Grey' }]) : ok([]);
      },
    }),
  );
  const clinic = createClinic(bridge, { toastMs: 0 });
  await clinic.actions.start();
  const signing = clinic.actions.signIn('rita', 'right-password');
  await new Promise((r) => setImmediate(r));
  assert.equal(clinic.store.getState().phase, 'loading');
  bridge.emit('data.changed', {
    source: 'remote',
    changes: [{ collection: 'patients', id: p1, op: 'upsert', row: { ...collections.patients.defaults, ...meta(p1, 2, doctorId), firstName: 'Ada', lastName: 'Newer' } }],
  });
  release();
  await signing;
  assert.equal(clinic.store.getState().data.patients[p1]?.lastName, 'Newer');
});

test('the saving window shows its edit from the local event main sends before it answers; the answer holds no row', async () => {
  let bridgeRef: ReturnType<typeof fakeBridge> | null = null;
  const { bridge, clinic } = await signedIn({
    'data.mutate': (req) => {
      // As main does: the optimistic row to every window first, then the answer with the ids only.
      assert.equal(req.op, 'update');
      const id = req.op === 'update' ? req.id : '';
      const row = { ...collections.patients.defaults, ...meta(id, 1, receptionist.id), firstName: 'Ada', lastName: 'Grey-Sloan' };
      bridgeRef!.emit('data.changed', { source: 'local', changes: [{ collection: 'patients', id, op: 'upsert', row }] });
      return ok({ mutationId: 'm-2', id });
    },
  });
  bridgeRef = bridge;
  let merges = 0;
  const stop = clinic.store.subscribe((state, previous) => {
    if (state.data !== previous.data) merges += 1;
  });
  const answer = await clinic.actions.update('patients', p1, { lastName: 'Grey-Sloan' });
  stop();
  assert.deepEqual(answer, { ok: true, value: { mutationId: 'm-2', id: p1 } });
  assert.equal(clinic.store.getState().data.patients[p1]?.lastName, 'Grey-Sloan');
  assert.equal(merges, 1, 'the rows change once, from the event');
});

test('create sends a client-made id; update sends only changed fields with the base version', async () => {
  const { bridge, clinic } = await signedIn();
  const created = await clinic.actions.create('patients', { firstName: 'Cy', lastName: 'Cole' });
  assert.ok(created.ok);
  const createCall = bridge.calls.findLast((c) => c.channel === 'data.mutate')?.request as { op: string; data: { id: string } };
  assert.equal(createCall.op, 'create');
  assert.match(createCall.data.id, /^[0-9a-f-]{36}$/);
  assert.equal(created.ok && created.value.id, createCall.data.id);

  await clinic.actions.update('patients', p1, { firstName: 'Ada', lastName: 'Grey-Sloan' });
  const updateCall = bridge.calls.findLast((c) => c.channel === 'data.mutate')?.request;
  assert.deepEqual(updateCall, { op: 'update', collection: 'patients', id: p1, baseVersion: 1, data: { lastName: 'Grey-Sloan' } });

  const mutates = bridge.calls.filter((c) => c.channel === 'data.mutate').length;
  await clinic.actions.update('patients', p1, { firstName: 'Ada' });
  assert.equal(bridge.calls.filter((c) => c.channel === 'data.mutate').length, mutates, 'an unchanged form sends nothing');
});

test('adjust sends a delta; delete sends the id', async () => {
  const { bridge, clinic } = await signedIn();
  await clinic.actions.adjustStock(item, { delta: -1 });
  assert.deepEqual(bridge.calls.findLast((c) => c.channel === 'data.mutate')?.request, {
    op: 'adjust',
    collection: 'inventory',
    id: item,
    data: { delta: -1 },
  });
  await clinic.actions.remove('appointments', item);
  assert.deepEqual(bridge.calls.findLast((c) => c.channel === 'data.mutate')?.request, { op: 'delete', collection: 'appointments', id: item });
});

test('a refused mutation shows the reason as an error toast', async () => {
  const { clinic } = await signedIn({
    'data.mutate': () => ({ ok: false, error: { code: 'bad_request', message: 'Invalid request', details: [{ path: ['data', 'firstName'], message: 'Too small' }] } }),
  });
  const answer = await clinic.actions.create('patients', { firstName: '', lastName: 'X' });
  assert.equal(answer.ok, false);
  const [t] = clinic.store.getState().toasts;
  assert.equal(t?.tone, 'error');
  assert.equal(t?.text, 'Not saved: Invalid request (First name: Too small)');
});

test('mutation outcomes: applied says Saved once per burst; a refusal says in words why, and stays until dismissed', async () => {
  const { bridge, clinic, timers } = await signedIn({ 'attention.dismiss': () => ok({ ok: true as const }) });
  const outcome = (status: EventPayload<'mutation.outcome'>['status'], error?: string): EventPayload<'mutation.outcome'> => ({
    mutationId: 'm',
    collection: 'appointments',
    id: item,
    op: 'create',
    status,
    ...(error ? { error } : {}),
  });
  bridge.emit('mutation.outcome', outcome('applied'));
  bridge.emit('mutation.outcome', outcome('applied'));
  bridge.emit('mutation.outcome', outcome('rejected', `double booking: overlaps appointment ${p2} of the same provider`));
  assert.deepEqual(clinic.store.getState().toasts.map((t) => t.text), ['Saved'], 'the raw refusal is not shown');
  // Main keeps the refusal and tells every window.
  const entry = {
    id: 'att-1',
    userId: receptionist.id,
    collection: 'appointments' as const,
    op: 'create' as const,
    rowId: item,
    data: { patientId: p1, providerId: doctorId, start: '2026-12-02T07:00:00Z', end: '2026-12-02T07:20:00Z', room: '', reason: 'Check-up' },
    before: null,
    code: 409,
    error: `double booking: overlaps appointment ${p2} of the same provider`,
    details: [],
    conflictsWith: { id: p2, patientId: p1, providerId: doctorId, start: '2026-12-02T07:00:00Z', end: '2026-12-02T07:20:00Z', room: '', status: 'scheduled' },
    madeAt: '2026-12-01T10:00:00Z',
    recordedAt: '2026-12-01T10:00:01Z',
  };
  bridge.emit('attention.changed', [entry]);
  const state = clinic.store.getState();
  assert.equal(state.attention.length, 1);
  const error = state.toasts.find((t) => t.tone === 'error');
  assert.ok(error, 'an error toast');
  assert.match(error.text, /booking of Ada Grey with Dr Meredith Grey/, 'names the patient and the provider');
  assert.match(error.text, /Dr Meredith Grey already has Ada Grey \d\d:\d\d.\d\d:\d\d/, 'names the provider, the patient holding the slot and the time');
  assert.doesNotMatch(error.text, /[0-9a-f]{8}-[0-9a-f]{4}/, 'no raw id');
  for (const fire of timers.splice(0)) fire();
  assert.deepEqual(clinic.store.getState().toasts.map((t) => t.tone), ['error'], 'Saved dismissed itself; the error stays');
  assert.equal(await clinic.actions.dismissAttention('att-1'), true);
  assert.equal(clinic.store.getState().attention.length, 0);
  assert.equal(clinic.store.getState().toasts.length, 0, 'acting on the entry takes its toast away too');
});

test('sync status and conflicts follow their events; resolving removes the conflict', async () => {
  const { bridge, clinic } = await signedIn({ 'conflicts.resolve': () => ok({ ok: true as const }) });
  bridge.emit('sync.status', status({ online: false, connection: 'offline', pending: 3 }));
  assert.equal(clinic.store.getState().sync?.pending, 3);
  const conflict = {
    id: 'c1',
    collection: 'patients' as const,
    rowId: p1,
    mutationId: 'm1',
    fields: ['phone'],
    mine: { phone: '111' },
    theirs: { ...meta(p1, 3, doctorId), phone: '222' },
    recordedAt: '2026-11-25T10:00:00Z',
  };
  bridge.emit('conflict.recorded', conflict);
  bridge.emit('conflict.recorded', conflict);
  assert.equal(clinic.store.getState().conflicts.length, 1, 'the same conflict is listed once');
  assert.equal(await clinic.actions.resolveConflict('c1', 'theirs'), true);
  assert.deepEqual(bridge.calls.findLast((c) => c.channel === 'conflicts.resolve')?.request, { conflictId: 'c1', choice: 'theirs' });
  assert.equal(clinic.store.getState().conflicts.length, 0);
});

test('signing out (or main ending the session) clears every row', async () => {
  const { bridge, clinic } = await signedIn();
  bridge.emit('session.changed', { user: null, reason: 'Your session expired; sign in again' });
  const state = clinic.store.getState();
  assert.equal(state.phase, 'signed-out');
  assert.deepEqual(state.data.patients, {});
  assert.equal(state.signInError, 'Your session expired; sign in again');
  clinic.actions.stop();
  assert.equal(bridge.listenerCount('data.changed'), 0);
});

test('a broken transport becomes a readable error, not an exception', async () => {
  const { clinic } = await signedIn({
    'data.mutate': () => {
      throw new Error('socket closed');
    },
  });
  const answer = await clinic.actions.adjustStock(item, { delta: 1 });
  assert.deepEqual(answer, { ok: false, error: 'The terminal did not answer: socket closed', code: 'transport' });
});

test('the first download brings no notices; the first change after it is done does', async () => {
  const { bridge, clinic, timers } = await signedIn({ 'sync.status': () => ok(status({ initialSync: { done: false, received: 0, total: null } })) });
  const row = (v: number) => ({ ...collections.patients.defaults, ...meta(p2, v, doctorId), firstName: 'Bo', lastName: 'Black' });
  // Main sends the download's last rows, then says it is done.
  bridge.emit('data.changed', { source: 'remote', changes: [{ collection: 'patients', id: p2, op: 'upsert', row: row(1) }] });
  bridge.emit('data.downloaded', { collection: 'patients', rowsJson: JSON.stringify([{ ...collections.patients.defaults, ...meta(p1, 4, doctorId), firstName: 'Ada', lastName: 'Grey' }]) });
  bridge.emit('sync.status', status({ initialSync: { done: true, received: 2, total: 2 } }));
  assert.equal(clinic.store.getState().data.patients[p1]?.version, 4, 'the waiting download rows merged before "done"');
  for (const run of timers.splice(0)) run();
  assert.equal(clinic.store.getState().toasts.length, 0);
  bridge.emit('data.changed', { source: 'remote', changes: [{ collection: 'patients', id: p2, op: 'upsert', row: row(2) }] });
  assert.deepEqual(clinic.store.getState().toasts.map((t) => t.text), ['Dr Meredith Grey updated patient Bo Black'], 'a colleague at work after the download');
});

test('a colleague\'s next change replaces their notice instead of stacking up', async () => {
  const { bridge, clinic } = await signedIn();
  for (let v = 2; v <= 4; v++) {
    bridge.emit('data.changed', {
      source: 'remote',
      changes: [{ collection: 'inventory', id: item, op: 'upsert', row: { ...collections.inventory.defaults, ...meta(item, v, doctorId), name: 'Gauze', quantity: 10 - v, reorderLevel: 2, lowStock: false } }],
    });
  }
  assert.deepEqual(clinic.store.getState().toasts.map((t) => t.text), ['Dr Meredith Grey updated stock of Gauze']);
});

test('the desk says Offline only after main tried and failed, not right after sign-in', () => {
  assert.equal(connectionState(null), 'connecting');
  assert.equal(connectionState(status({ online: false, connection: 'offline', lastError: null, lastSyncedAt: null })), 'connecting');
  assert.equal(connectionState(status({ online: false, connection: 'offline', lastError: 'Cannot reach the clinic server', lastSyncedAt: null })), 'offline');
  assert.equal(connectionState(status({ online: false, connection: 'offline', lastError: null, lastSyncedAt: '2026-11-25T10:00:00Z' })), 'offline');
  assert.equal(connectionState(status({ online: true, connection: 'polling' })), 'online');
});

test('edits while offline say they are kept on this terminal; the notice goes when the server is back', async () => {
  const { bridge, clinic } = await signedIn();
  bridge.emit('sync.status', status({ online: false, connection: 'offline', lastError: 'Cannot reach the clinic server', pending: 0 }));
  await clinic.actions.adjustStock(item, { delta: 1 });
  await clinic.actions.adjustStock(item, { delta: 1 });
  const queued = clinic.store.getState().toasts.filter((t) => t.key === 'queued');
  assert.equal(queued.length, 1, 'one notice for a burst of offline edits');
  bridge.emit('sync.status', status({ online: true, pending: 0 }));
  assert.equal(clinic.store.getState().toasts.filter((t) => t.key === 'queued').length, 0);
});

test('an edit sends only what the user changed since it began, with that version: a colleague\'s newer fields are kept', async () => {
  const { bridge, clinic } = await signedIn();
  const began = { ...clinic.store.getState().data.patients[p1]! } as Record<string, unknown>;
  // A colleague changes the phone while this desk edits the last name.
  bridge.emit('data.changed', {
    source: 'remote',
    changes: [{ collection: 'patients', id: p1, op: 'upsert', row: { ...collections.patients.defaults, ...meta(p1, 2, doctorId), firstName: 'Ada', lastName: 'Grey', phone: '222' } }],
  });
  await clinic.actions.update('patients', p1, { firstName: 'Ada', lastName: 'Grey-Sloan', phone: '' }, began);
  assert.deepEqual(bridge.calls.findLast((c) => c.channel === 'data.mutate')?.request, {
    op: 'update',
    collection: 'patients',
    id: p1,
    baseVersion: 1,
    data: { lastName: 'Grey-Sloan' },
  });
});

test('main announcing our own sign-in does not load the lists a second time', async () => {
  let bridgeRef: ReturnType<typeof fakeBridge> | null = null;
  const bridge = fakeBridge(
    handlers({
      'session.login': () => {
        bridgeRef?.emit('session.changed', { user: receptionist });
        return ok({ user: receptionist });
      },
    }),
  );
  bridgeRef = bridge;
  const clinic = createClinic(bridge, { toastMs: 0 });
  await clinic.actions.start();
  await clinic.actions.signIn('rita', 'right-password');
  const patientLists = bridge.calls.filter((c) => c.channel === 'data.list' && (c.request as { collection: string }).collection === 'patients');
  assert.equal(patientLists.length, 1);
  assert.equal(clinic.store.getState().phase, 'ready');
});

test('a sign-in in another window of this terminal opens this one too', async () => {
  const bridge = fakeBridge(handlers());
  const clinic = createClinic(bridge, { toastMs: 0 });
  await clinic.actions.start();
  bridge.emit('session.changed', { user: receptionist });
  await until(() => clinic.store.getState().phase === 'ready');
  assert.equal(clinic.store.getState().user?.id, receptionist.id);
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check());
}

test('the status bar follows the update state: read once at start, then app.updateStatus events', async () => {
  const checking = { phase: 'checking', currentVersion: '0.1.0', availableVersion: null, percent: null, message: null, checkedAt: null } as const;
  const { bridge, clinic } = await signedIn({ 'app.updateStatus': () => ok(checking) });
  assert.deepEqual(clinic.store.getState().update, checking);
  const downloading = { ...checking, phase: 'downloading', availableVersion: '0.2.0', percent: 40 } as const;
  bridge.emit('app.updateStatus', downloading);
  assert.deepEqual(clinic.store.getState().update, downloading);
  await clinic.actions.signOut();
  assert.deepEqual(clinic.store.getState().update, downloading, 'signing out keeps what the terminal knows about its updates');
});

test('Sync now says what it did, or that it cannot reach the server', async () => {
  let emitRemote: () => void = () => {};
  let answer = status({ pending: 0 });
  const { bridge, clinic } = await signedIn({
    'sync.now': () => {
      emitRemote();
      return ok(answer);
    },
  });
  bridge.emit('sync.status', status({ pending: 2 }));
  emitRemote = () =>
    bridge.emit('data.changed', {
      source: 'remote',
      changes: [1, 2, 3].map((v) => ({ collection: 'patients' as const, id: p2, op: 'upsert' as const, row: { ...collections.patients.defaults, ...meta(p2, v, doctorId), firstName: 'Bo', lastName: 'Black' } })),
    });
  await clinic.actions.syncNow();
  const said = () => clinic.store.getState().toasts.filter((t) => t.key === 'sync-now').map((t) => t.text);
  assert.deepEqual(said(), ['Sync now: sent 2 changes, received 3 changes; up to date with the clinic server.']);

  emitRemote = () => {};
  answer = status({ online: false, connection: 'offline', pending: 3 });
  await clinic.actions.syncNow();
  assert.deepEqual(said(), ['Sync now: cannot reach the clinic server; 3 changes wait on this terminal and will be sent when it is back.']);
});
