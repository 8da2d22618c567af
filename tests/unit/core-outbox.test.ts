import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Terminal } from '../../main/terminal';
import { TerminalState } from '../../main/cache/state';
import { openCache } from '../../main/cache/database';
import { cacheKeyFrom } from '../../main/cache/encryption';
import { keyFileKeystore } from '../../main/keystore/keyFile';
import { Outbox } from '../../main/cache/outbox';
import { RowCache } from '../../main/cache/rows';
import { ConflictLog } from '../../main/cache/conflicts';
import { CacheWriter } from '../../main/sync/apply';
import type { AnyRow, PublicUser } from '../../shared/domain/collections';
import type { EventPayload } from '../../shared/ipc/contract';
import { offlineCore, withOfflineCore } from '../support/offlineCore';

const doctor: PublicUser = { id: randomUUID(), username: 'dr.ada', displayName: 'Dr Ada', role: 'doctor' };


async function ok<T>(p: Promise<{ ok: boolean; value?: unknown; error?: unknown }>): Promise<T> {
  const r = await p;
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
  return r.value as T;
}

/** The cache through a connection of the test's own (the terminal's is on its cache thread). */
function parts(core: Terminal) {
  const dir = dirname(core.cacheFile);
  const db = openCache(dir, cacheKeyFrom(keyFileKeystore(dir)).key);
  // A second connection: wait for the cache thread's and the checkpointer's locks instead of failing.
  db.pragma('busy_timeout = 5000');
  const state = new TerminalState(db);
  const rows = new RowCache(db, () => state.getSession()?.user.role ?? null);
  const outbox = new Outbox(db);
  const conflicts = new ConflictLog(db);
  return { db, rows, outbox, conflicts, writer: new CacheWriter(rows, outbox, conflicts) };
}

test('local mutations write the optimistic row and the outbox together, emit local changes, and survive a restart', async () => {
  const { core, dir } = offlineCore({ prefix: 'core-outbox', user: doctor });
  const events: { channel: string; payload: unknown }[] = [];
  core.onEvent(({ channel, payload }) => events.push({ channel, payload }));
  const p = await ok<{ mutationId: string; id: string }>(
    core.invoke('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Ann', lastName: 'Lee' } }),
  );
  // The optimistic row reaches windows as the local event, which comes before the answer.
  const optimistic = (events.at(-1)?.payload as EventPayload<'data.changed'>).changes[0]!;
  assert.equal(optimistic.id, p.id);
  assert.equal(optimistic.row!.version, 1);
  assert.equal((optimistic.row as AnyRow).sex, 'unknown', 'defaults are filled in');
  await ok(core.invoke('data.mutate', { op: 'update', collection: 'patients', id: p.id, baseVersion: 1, data: { phone: '+49 30 8929225' } }));
  const item = await ok<{ id: string }>(
    core.invoke('data.mutate', { op: 'create', collection: 'inventory', data: { name: 'Gloves', quantity: 10, reorderLevel: 5 } }),
  );
  await ok(core.invoke('data.mutate', { op: 'adjust', collection: 'inventory', id: item.id, data: { delta: -6 } }));

  const changed = events.filter((e) => e.channel === 'data.changed');
  assert.equal(changed.length, 4);
  assert.ok(changed.every((e) => (e.payload as { source: string }).source === 'local'));

  const outbox = parts(core).outbox.pending();
  assert.deepEqual(outbox.map((e) => e.op), ['create', 'update', 'create', 'adjust']);
  assert.equal(outbox[1]!.baseIsLocal, true, 'the update was made on the optimistic (unsent) create');
  await core.close();

  const { core: again } = offlineCore({ dataDir: dir, user: doctor });
  try {
    const patients = await ok<AnyRow[]>(again.invoke('data.list', { collection: 'patients' }));
    assert.equal(patients[0]!.phone, '+49 30 8929225');
    const inventory = await ok<AnyRow[]>(again.invoke('data.list', { collection: 'inventory' }));
    assert.equal(inventory[0]!.quantity, 4);
    assert.equal(inventory[0]!.lowStock, true, 'derived fields are recomputed optimistically');
    const status = await ok<{ pending: number }>(again.invoke('sync.status', {}));
    assert.equal(status.pending, 4);
  } finally {
    await again.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('business rules refuse double bookings, impossible status moves and negative stock, writing nothing', () =>
  withOfflineCore({ prefix: 'core-outbox', user: doctor }, async (core) => {
    const patient = await ok<{ id: string }>(core.invoke('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'A', lastName: 'B' } }));
    const slot = { patientId: patient.id, providerId: doctor.id, start: '2026-11-25T09:00:00Z', end: '2026-11-25T09:30:00Z', room: '1' };
    const appt = await ok<{ id: string }>(core.invoke('data.mutate', { op: 'create', collection: 'appointments', data: slot }));
    const pendingBefore = parts(core).outbox.size();

    const clash = await core.invoke('data.mutate', { op: 'create', collection: 'appointments', data: { ...slot, start: '2026-11-25T09:15:00Z', end: '2026-11-25T09:45:00Z' } });
    assert.ok(!clash.ok && clash.error.code === 'bad_request' && /clash/.test(clash.error.message));

    const jump = await core.invoke('data.mutate', { op: 'update', collection: 'appointments', id: appt.id, baseVersion: 1, data: { status: 'completed' } });
    assert.ok(!jump.ok && /cannot go from scheduled to completed/.test(jump.error.message));

    const item = await ok<{ id: string }>(core.invoke('data.mutate', { op: 'create', collection: 'inventory', data: { name: 'Gauze', quantity: 2 } }));
    const tooMany = await core.invoke('data.mutate', { op: 'adjust', collection: 'inventory', id: item.id, data: { delta: -3 } });
    assert.ok(!tooMany.ok && /only 2 in stock/i.test(tooMany.error.message));

    assert.equal(parts(core).outbox.size(), pendingBefore + 1, 'only the inventory create was queued');
    const appts = await ok<AnyRow[]>(core.invoke('data.list', { collection: 'appointments' }));
    assert.equal(appts.length, 1);
    assert.equal(appts[0]!.status, 'scheduled');
  }),
);

test('a pulled row keeps my unsent edits on top; a conflict answer records both values and adopts the server row', () =>
  withOfflineCore({ prefix: 'core-outbox', user: doctor }, async (core) => {
    // The session reaches the cache thread in order with any later call: wait for one before reading the file.
    await core.syncStatus();
    const { db, rows, outbox, conflicts, writer } = parts(core);
    const id = randomUUID();
    const server: AnyRow = { id, version: 3, updatedAt: '2026-11-25T08:00:00Z', updatedBy: 'x', firstName: 'Ann', lastName: 'Lee', phone: '+49 30 1088411', notes: '' } as AnyRow;
    db.transaction(() => writer.settle('patients', id, server))();
    await ok(core.invoke('data.mutate', { op: 'update', collection: 'patients', id, baseVersion: 3, data: { phone: '+49 30 6479212' } }));

    // Another terminal changed the notes (version 4): the pull adopts it, my phone edit stays on top.
    db.transaction(() => writer.applyPulled({ collection: 'patients', id, op: 'upsert', version: 4, row: { ...server, version: 4, notes: 'theirs' } }))();
    const merged = rows.get('patients', id)!;
    assert.equal(merged.notes, 'theirs');
    assert.equal(merged.phone, '+49 30 6479212');
    assert.equal(merged.version, 4);

    // The server says my phone edit clashed with a phone change made since version 3.
    const entry = outbox.pending()[0]!;
    const theirs = { ...server, version: 5, notes: 'theirs', phone: '+49 30 4678374' } as AnyRow;
    const { conflict } = db.transaction(() => writer.applyResult(entry, { mutationId: entry.mutationId, status: 'conflict', fields: ['phone'] }, theirs))();
    assert.ok(conflict);
    assert.deepEqual(conflict.mine, { phone: '+49 30 6479212' });
    assert.equal(conflict.theirs.phone, '+49 30 4678374');
    assert.equal(rows.get('patients', id)!.phone, '+49 30 4678374', 'the cache holds the server row');
    assert.equal(outbox.size(), 0);
    assert.equal(conflicts.count(), 1);

    // Resolving with "mine" queues my value again on the current version.
    const listed = await ok<{ id: string }[]>(core.invoke('conflicts.list', {}));
    await ok(core.invoke('conflicts.resolve', { conflictId: listed[0]!.id, choice: 'mine' }));
    const again = outbox.pending();
    assert.equal(again.length, 1);
    assert.equal(again[0]!.baseVersion, 5);
    assert.deepEqual(again[0]!.data, { phone: '+49 30 6479212' });
    assert.equal(conflicts.count(), 0);
  }),
);

test('a rejected create disappears from the cache; later edits of an answered row rest on the server version', () =>
  withOfflineCore({ prefix: 'core-outbox', user: doctor }, async (core) => {
    const { db, rows, outbox, writer } = parts(core);
    const created = await ok<{ id: string }>(core.invoke('data.mutate', { op: 'create', collection: 'referrals', data: { patientId: randomUUID(), direction: 'outgoing', provider: 'Dr Who', date: '2026-11-25' } }));
    const [entry] = outbox.pending();
    db.transaction(() => writer.applyResult(entry!, { mutationId: entry!.mutationId, status: 'rejected', error: 'no such patient' }, null))();
    assert.equal(rows.get('referrals', created.id), null);

    const p = await ok<{ id: string }>(core.invoke('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'A', lastName: 'B' } }));
    const made = rows.get('patients', p.id)!;
    await ok(core.invoke('data.mutate', { op: 'update', collection: 'patients', id: p.id, baseVersion: 1, data: { phone: '+49 30 1088411' } }));
    await ok(core.invoke('data.mutate', { op: 'update', collection: 'patients', id: p.id, baseVersion: 1, data: { phone: '+49 30 6479212' } }));
    const [create] = outbox.pending();
    db.transaction(() => writer.applyResult(create!, { mutationId: create!.mutationId, status: 'applied' }, { ...made, version: 1 }))();
    const [first] = outbox.pending();
    db.transaction(() => writer.applyResult(first!, { mutationId: first!.mutationId, status: 'applied' }, { ...made, phone: '+49 30 1088411', version: 2 }))();
    const [second] = outbox.pending();
    assert.equal(second!.baseVersion, 2, 'the second edit now rests on the version the server gave the first');
    assert.equal(rows.get('patients', p.id)!.phone, '+49 30 6479212');
  }),
);
