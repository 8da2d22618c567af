import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AnyRow, CollectionName, PublicUser, Role } from '../../shared/domain/collections';
import { syncedCollections } from '../../shared/domain/access';
import type { Change } from '../../shared/sync/protocol';
import { openCache, type CacheDb } from '../../main/cache/database';
import { testCacheKey } from '../support/cacheKey';
import { Outbox } from '../../main/cache/outbox';
import { RowCache } from '../../main/cache/rows';
import { TerminalState } from '../../main/cache/state';
import { writeLocalMutation } from '../../main/mutations/local';
import { BulkLoad, dropLoadTables, loadTable } from '../../main/sync/firstDownload/bulkLoad';

const at = '2026-11-25T10:00:00.000Z';
const staff = randomUUID();

function patient(id: string, version: number, fields: Record<string, unknown> = {}): AnyRow {
  return { id, version, updatedAt: at, updatedBy: staff, firstName: 'Ada', lastName: `Patient ${id.slice(0, 4)}`, medicalHistory: 'asthma', ...fields } as AnyRow;
}
const upsert = (collection: CollectionName, row: AnyRow): Change => ({ collection, id: row.id, op: 'upsert', version: row.version, row });

function cache(role: Role = 'doctor') {
  const dir = mkdtempSync(join(tmpdir(), 'bulk-load-'));
  const db = openCache(dir, testCacheKey);
  const rows = new RowCache(db, () => role);
  return { db, rows, role, done: () => { db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

function tables(db: CacheDb): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'load_%'").all() as { name: string }[]).map((r) => r.name);
}

test('a download lands in load tables, then swaps in whole with its cursor and a unique index', () => {
  const { db, rows, role, done } = cache();
  const load = new BulkLoad(db, role, syncedCollections(role));
  load.begin();
  const ids = Array.from({ length: 500 }, () => randomUUID());
  assert.equal(load.append(ids.map((id) => upsert('patients', patient(id, 1)))), 500);
  assert.equal(rows.count('patients'), 0, 'nothing shows before the swap');
  assert.equal(new TerminalState(db).getCursor(), null);

  const summary = load.finish('77');
  assert.equal(summary.rows.patients, 500);
  assert.equal(rows.count('patients'), 500);
  assert.equal(rows.get('patients', ids[42]!)?.lastName, `Patient ${ids[42]!.slice(0, 4)}`);
  assert.equal(new TerminalState(db).getCursor(), '77');
  assert.deepEqual(tables(db), [], 'no load table is left');
  // Later pulls upsert into the swapped-in table: its id index is unique.
  rows.put('patients', patient(ids[0]!, 2, { firstName: 'Grace' }));
  assert.equal(rows.count('patients'), 500);
  assert.throws(() => db.prepare('INSERT INTO rows_patients (id, version, data) VALUES (?, 1, ?)').run(ids[1], '{}'), /UNIQUE/);
  done();
});

test('a row changed or deleted during the download is cached once, at its last version', () => {
  const { db, rows, role, done } = cache();
  const load = new BulkLoad(db, role, syncedCollections(role));
  load.begin();
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  load.append([upsert('patients', patient(a, 1)), upsert('patients', patient(b, 1)), upsert('patients', patient(c, 1))]);
  // Later pages: a edited (it comes again), b deleted (a tombstone), c untouched.
  load.append([upsert('patients', patient(a, 2, { firstName: 'Edited' })), { collection: 'patients', id: b, op: 'delete', version: 2 }]);
  const summary = load.finish('9');
  assert.equal(summary.duplicates, 1);
  assert.equal(rows.count('patients'), 2);
  assert.equal(rows.get('patients', a)?.firstName, 'Edited');
  assert.equal(rows.get('patients', a)?.version, 2);
  assert.equal(rows.get('patients', b), null);
  assert.ok(rows.get('patients', c));
  done();
});

test('the front desk never stores a clinical field, and collections it does not keep are skipped', () => {
  const { db, rows, role, done } = cache('receptionist');
  const load = new BulkLoad(db, role, syncedCollections(role));
  load.begin();
  const id = randomUUID();
  const record = { id: randomUUID(), version: 1, updatedAt: at, updatedBy: staff, patientId: id } as AnyRow;
  assert.equal(load.append([upsert('patients', patient(id, 1)), upsert('treatment-records', record)]), 1);
  load.finish('3');
  assert.equal(rows.get('patients', id)?.medicalHistory, undefined);
  const text = (db.prepare('SELECT data FROM rows_patients').get() as { data: string }).data;
  assert.ok(!text.includes('asthma'));
  assert.equal(rows.count('treatment-records'), 0);
  done();
});

test('edits made during the download are laid over the downloaded rows, and rows the server does not have go', () => {
  const { db, rows, role, done } = cache();
  const outbox = new Outbox(db);
  const user: PublicUser = { id: staff, username: 'dr', displayName: 'Dr', role: 'doctor' } as PublicUser;
  // Before the download: a row cached from earlier that the server no longer has.
  const stale = randomUUID();
  rows.put('patients', patient(stale, 1));
  const load = new BulkLoad(db, role, syncedCollections(role));
  load.begin();
  const edited = randomUUID();
  // The edited row is already cached at version 1 (an earlier pull); its edit waits in the outbox.
  rows.put('patients', patient(edited, 1));
  writeLocalMutation(db, rows, outbox, user, { op: 'update', collection: 'patients', id: edited, baseVersion: 1, data: { notes: 'called back' } });
  const created = writeLocalMutation(db, rows, outbox, user, { op: 'create', collection: 'patients', data: { firstName: 'New', lastName: 'Walk-in' } });
  // The server's copy of the edited row moved on to version 3 meanwhile (another terminal).
  load.append([upsert('patients', patient(edited, 3, { firstName: 'Server' }))]);
  const summary = load.finish('12');
  assert.equal(summary.pendingRows, 2);
  const row = rows.get('patients', edited)!;
  assert.equal(row.firstName, 'Server', "the server's newer row");
  assert.equal(row.notes, 'called back', 'with my unsent edit on top');
  assert.equal(rows.get('patients', created.change.id)?.lastName, 'Walk-in', 'my new row stays');
  assert.equal(rows.get('patients', stale), null, 'a row the full download did not bring is gone');
  assert.equal(outbox.size(), 2, 'the edits still wait to be sent');
  done();
});

test('a second download on the same file swaps in again, and leftovers of an aborted one are dropped', () => {
  const { db, rows, role, done } = cache();
  for (const round of [1, 2, 3]) {
    const load = new BulkLoad(db, role, syncedCollections(role));
    load.begin();
    load.append([upsert('patients', patient(randomUUID(), round))]);
    load.finish(String(round));
    assert.equal(rows.count('patients'), 1, `round ${round}: only this download's row`);
  }
  const aborted = new BulkLoad(db, role, syncedCollections(role));
  aborted.begin();
  aborted.append([upsert('patients', patient(randomUUID(), 1))]);
  assert.ok(tables(db).includes(loadTable('patients')));
  dropLoadTables(db);
  assert.deepEqual(tables(db), []);
  assert.equal(rows.count('patients'), 1);
  done();
});
