import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { syncedCollections } from '../../shared/domain/access';
import { rowId } from '../../shared/domain/primitives';
import type { AnyRow, CollectionName, Role } from '../../shared/domain/collections';
import { openCache } from '../../main/cache/database';
import { testCacheKey } from '../support/cacheKey';
import { RowCache } from '../../main/cache/rows';
import { TerminalState } from '../../main/cache/state';
import { BadServerAnswer } from '../../main/sync/client';
import { BulkLoad, loadTable } from '../../main/sync/firstDownload/bulkLoad';
import { copySnapshot, linkSnapshotBytes, openSnapshot, rowIsValidSql } from '../../main/sync/firstDownload/snapshotImport';
import { SqliteClinicStore } from '../../server/store/sqlite';

const at = '2026-11-25T10:00:00.000Z';
const staff = randomUUID();

/** A server store with patients (one deleted), a treatment record and a user, as stored rows. */
async function serverWith(patients: number) {
  const dir = mkdtempSync(join(tmpdir(), 'snapshot-server-'));
  const store = new SqliteClinicStore({ dataDir: dir });
  await store.migrate();
  const put = async (collection: CollectionName, row: AnyRow, deleted = false) =>
    store.write(async (tx) => {
      await tx.putRow({ collection, id: row.id, version: row.version, deleted, row, fieldVersions: {} });
      await tx.appendChange({ collection, id: row.id, version: row.version, op: deleted ? 'delete' : 'upsert' });
    });
  const ids: string[] = [];
  for (let i = 0; i < patients; i++) {
    const id = randomUUID();
    ids.push(id);
    await put('patients', { id, version: 1, updatedAt: at, updatedBy: staff, firstName: `Ada ${i}`, lastName: 'Lovelace', medicalHistory: 'asthma', allergies: '' });
  }
  const gone = randomUUID();
  await put('patients', { id: gone, version: 2, updatedAt: at, updatedBy: staff, firstName: 'Gone', lastName: 'Row' }, true);
  await put('treatment-records', { id: randomUUID(), version: 1, updatedAt: at, updatedBy: staff, patientId: ids[0]!, notes: 'clinical' });
  await put('users', { id: staff, version: 1, updatedAt: at, updatedBy: staff, username: 'dr.a', displayName: 'Dr A', role: 'doctor', active: true });
  return { store, ids, gone, put, done: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

function terminal(role: Role) {
  const dir = mkdtempSync(join(tmpdir(), 'snapshot-terminal-'));
  const db = openCache(dir, testCacheKey);
  return { db, rows: new RowCache(db, () => role), done: () => { db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('a snapshot holds every live row a role may see, redacted, and a terminal swaps it in with the changes after it', async () => {
  const server = await serverWith(120);
  const t = terminal('receptionist');
  try {
    const role: Role = 'receptionist';
    const snapshot = await server.store.writeSnapshot!({ role, collections: syncedCollections(role), limit: 1000 });
    assert.equal(snapshot.rows.patients, 120, 'live patients only: the tombstone stays out');
    assert.equal(snapshot.rows['treatment-records'], undefined, 'no table a receptionist may not read');
    assert.equal(snapshot.cursor, await server.store.headCursor());
    const file = new Database(snapshot.file, { readonly: true });
    const stored = JSON.parse((file.prepare('SELECT data FROM rows_patients LIMIT 1').get() as { data: string }).data) as AnyRow;
    assert.equal(stored.medicalHistory, undefined, 'clinical fields stripped on the server');
    assert.equal(stored.allergies, '');
    const user = JSON.parse((file.prepare('SELECT data FROM rows_users').get() as { data: string }).data) as AnyRow;
    assert.deepEqual(user, { id: staff, version: 1, updatedAt: at, updatedBy: staff, username: 'dr.a', displayName: 'Dr A', role: 'doctor', active: true });
    file.close();

    // The terminal: the snapshot, then a page of what changed after it, then the swap.
    const load = new BulkLoad(t.db, role, syncedCollections(role));
    load.begin();
    // As the download thread does: the part's bytes in memory, the encrypted cache attached.
    const link = linkSnapshotBytes(readFileSync(snapshot.file), t.db.name, testCacheKey);
    const head = openSnapshot(link, syncedCollections(role));
    assert.deepEqual(head, { cursor: snapshot.cursor, rows: 121 });
    let progress = 0;
    assert.equal(copySnapshot(link, role, syncedCollections(role), loadTable, (n) => (progress += n)), 121);
    assert.equal(progress, 121);
    const edited = server.ids[5]!;
    load.append([
      { collection: 'patients', id: edited, op: 'upsert', version: 2, row: { id: edited, version: 2, updatedAt: at, updatedBy: staff, firstName: 'Grace', lastName: 'Hopper' } },
      { collection: 'patients', id: server.ids[6]!, op: 'delete', version: 2 },
    ]);
    const summary = load.finish('999');
    assert.equal(summary.rows.patients, 119);
    assert.equal(summary.duplicates, 1, 'the row edited after the snapshot came twice; the later copy won');
    assert.equal(t.rows.get('patients', edited)?.firstName, 'Grace');
    assert.equal(t.rows.get('patients', server.ids[6]!), null);
    assert.equal(t.rows.get('users', staff)?.username, 'dr.a');
    assert.equal(new TerminalState(t.db).getCursor(), '999');
  } finally {
    t.done();
    await server.done();
  }
});

test('a snapshot with a malformed row, another format or a missing table is refused whole', async () => {
  const server = await serverWith(30);
  try {
    const role: Role = 'doctor';
    const tamper = async (sql: string) => {
      const snapshot = await server.store.writeSnapshot!({ role, collections: syncedCollections(role), limit: 1000 });
      const file = new Database(snapshot.file);
      file.exec(sql);
      file.close();
      const t = terminal(role);
      try {
        const load = new BulkLoad(t.db, role, syncedCollections(role));
        load.begin();
        const link = linkSnapshotBytes(readFileSync(snapshot.file), t.db.name, testCacheKey);
        openSnapshot(link, syncedCollections(role));
        copySnapshot(link, role, syncedCollections(role), loadTable, () => {});
        return null;
      } catch (err) {
        return err;
      } finally {
        t.done();
        rmSync(snapshot.file, { force: true });
      }
    };
    const refusals: [string, RegExp][] = [
      ["UPDATE rows_patients SET id = 'not-a-uuid' WHERE rowid = 3", /malformed patients row \(not-a-uuid\)/],
      ['UPDATE rows_patients SET version = 0 WHERE rowid = 4', /malformed patients row/],
      ["UPDATE rows_patients SET data = json_set(data, '$.version', 7) WHERE rowid = 5", /malformed patients row/],
      ["UPDATE rows_patients SET data = '[1,2]' WHERE rowid = 6", /malformed patients row/],
      ["UPDATE rows_patients SET data = '{not json' WHERE rowid = 7", /snapshot/],
      ["UPDATE snapshot_info SET value = '2' WHERE key = 'format'", /format is 2/],
      ['DROP TABLE rows_inventory', /no table of inventory/],
      ['DROP TABLE rows_users; CREATE VIEW rows_users AS SELECT 1 AS id, 1 AS version, 1 AS data', /no table of users/],
    ];
    for (const [sql, message] of refusals) {
      const err = await tamper(sql);
      assert.ok(err instanceof BadServerAnswer, `${sql}: refused as a bad answer (${String(err)})`);
      assert.match((err as Error).message, message, sql);
    }
    assert.equal(await tamper('SELECT 1'), null, 'the untampered snapshot is taken');
  } finally {
    await server.done();
  }
});

test('the snapshot row check accepts exactly the ids the shared schema does', () => {
  const db = new Database(':memory:');
  const check = db.prepare(`SELECT (${rowIsValidSql}) AS ok FROM (SELECT ? AS id, 1 AS version, ? AS data)`);
  const ids = [
    randomUUID(),
    randomUUID().toUpperCase(),
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '123e4567-e89b-02d3-a456-426614174000', // version 0
    '123e4567-e89b-92d3-a456-426614174000', // version 9
    '123e4567-e89b-12d3-c456-426614174000', // variant 110x
    '123e4567-e89b-12d3-a456-42661417400', // one digit short
    '123e4567-e89b-12d3-a456-4266141740000',
    '123e4567e89b-12d3-a456-426614174000-',
    '123e4567-e89b-12d3-a456-42661417400g',
    '',
  ];
  for (const id of ids) {
    const ok = (check.get(id, JSON.stringify({ id, version: 1 })) as { ok: number }).ok === 1;
    assert.equal(ok, rowId.safeParse(id).success, `"${id}"`);
  }
  db.close();
});

test('a store stopped mid-snapshot leaves no file behind once it starts again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapshot-leftover-'));
  const store = new SqliteClinicStore({ dataDir: dir });
  await store.migrate();
  const snapshot = await store.writeSnapshot!({ role: 'doctor', collections: ['patients'], limit: 1000 });
  await store.close();
  const again = new SqliteClinicStore({ dataDir: dir });
  await again.migrate();
  assert.equal(existsSync(snapshot.file), false);
  await again.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a snapshot taken in parts while the clinic works, then pulled from its first cursor, ends with every row as the server has it', async () => {
  const server = await serverWith(130);
  const t = terminal('doctor');
  try {
    const role: Role = 'doctor';
    const collections = syncedCollections(role);
    const load = new BulkLoad(t.db, role, collections);
    load.begin();
    const later = { id: randomUUID(), version: 1, updatedAt: at, updatedBy: staff, firstName: 'New', lastName: 'Comer' };
    const writesBetweenParts = [
      // A row of the first part changes, a row of a later part goes, and a new row arrives.
      () => server.put('patients', { id: server.ids[3]!, version: 2, updatedAt: at, updatedBy: staff, firstName: 'Edited', lastName: 'Early' }),
      () => server.put('patients', { id: server.ids[120]!, version: 2, updatedAt: at, updatedBy: staff, firstName: 'Gone', lastName: 'Late' }, true),
      () => server.put('patients', later),
    ];
    let after: string | undefined;
    let firstCursor: string | null = null;
    let parts = 0;
    for (;;) {
      const part = await server.store.writeSnapshot!({ role, collections, limit: 40, ...(after !== undefined ? { after } : {}) });
      parts++;
      if (parts === 1) assert.equal(part.total, 132, 'the first part says how many rows the snapshot holds');
      else assert.equal(part.total, undefined);
      firstCursor ??= part.cursor;
      const link = linkSnapshotBytes(readFileSync(part.file), t.db.name, testCacheKey);
      openSnapshot(link, collections);
      copySnapshot(link, role, collections, loadTable, () => {});
      rmSync(part.file, { force: true });
      await writesBetweenParts.shift()?.();
      if (part.next === null) break;
      after = part.next;
    }
    assert.equal(parts, 4, '132 rows in parts of 40');
    // The changes since the first part's cursor, as a terminal pulls them.
    let since = firstCursor!;
    for (;;) {
      const page = await server.store.pullSince({ since, limit: 500, collections });
      load.append(page.changes.map((c) => ({ ...c, row: c.rowJson === undefined ? undefined : (JSON.parse(c.rowJson) as AnyRow) })));
      since = page.cursor;
      if (!page.hasMore) break;
    }
    load.finish(since);
    const expected = new Map((await server.store.listRows('patients')).map((r) => [r.id, r.version]));
    const cached = new Map(t.rows.list('patients').map((r) => [r.id, r.version]));
    assert.deepEqual([...cached].sort(), [...expected].sort(), 'every live patient, at its version, once');
    assert.equal(t.rows.get('patients', server.ids[3]!)?.firstName, 'Edited');
    assert.equal(t.rows.get('patients', server.ids[120]!), null);
    assert.equal(t.rows.get('patients', later.id)?.firstName, 'New');
  } finally {
    t.done();
    await server.done();
  }
});
