/** If-Match merge and conflict, sync push (idempotent replay), pull paging, tombstones. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { clientFor, serverPerSuite, type ApiClient, type Json } from '../support/server';
import { createPatient, mustCreate, patientBody } from '../support/clinic-fixtures';
import { storesUnderTest } from '../support/stores';

for (const store of storesUnderTest()) describe(store, () => {
  const { server, api, staff } = serverPerSuite({ store });
  let other: ApiClient;

  before(async () => {
    other = (await staff('doctor')).api;
  });

  describe('If-Match', () => {
    test('edits of different fields since the base version merge', async () => {
      const p = await createPatient(api);
      const a = await api.patch(`/api/patients/${p.id}`, { phone: '+49 30 3563688' }, 1);
      assert.equal(a.status, 200);
      const b = await other.patch(`/api/patients/${p.id}`, { email: 'ada@example.org' }, 1);
      assert.equal(b.status, 200);
      assert.equal(b.body.version, 3);
      assert.equal(b.body.phone, '+49 30 3563688');
      assert.equal(b.body.email, 'ada@example.org');
    });

    test('an edit of the same field since the base version is a 409 with the current row', async () => {
      const p = await createPatient(api);
      assert.equal((await api.patch(`/api/patients/${p.id}`, { phone: '+49 30 3563688' }, 1)).status, 200);
      const clash = await other.patch(`/api/patients/${p.id}`, { phone: '+49 30 7999389', notes: '+49 30 1025638' }, 1);
      assert.equal(clash.status, 409);
      assert.equal(typeof clash.body.error, 'string');
      assert.equal(clash.body.current.phone, '+49 30 3563688');
      assert.equal(clash.body.current.version, 2);
      assert.deepEqual(clash.body.fields, ['phone']);
      // Nothing of the refused edit was written, not even the non-conflicting notes.
      const now = await api.get(`/api/patients/${p.id}`);
      assert.equal(now.body.version, 2);
      assert.equal(now.body.notes, '');
      // Based on the current version it applies.
      assert.equal((await other.patch(`/api/patients/${p.id}`, { phone: '+49 30 7999389' }, 2)).status, 200);
    });

    test('quoted ETag form is accepted; missing If-Match is 428; garbage is 400', async () => {
      const p = await createPatient(api);
      assert.equal((await api.patch(`/api/patients/${p.id}`, { phone: '+49 30 1088411' }, '"1"')).status, 200);
      const missing = await api.patch(`/api/patients/${p.id}`, { phone: '+49 30 6479212' });
      assert.equal(missing.status, 428);
      assert.match(missing.body.error, /If-Match/);
      const bad = await api.patch(`/api/patients/${p.id}`, { phone: '+49 30 6479212' }, 'abc');
      assert.equal(bad.status, 400);
      assert.match(bad.body.details[0].path, /If-Match/);
      const future = await api.patch(`/api/patients/${p.id}`, { phone: '+49 30 6479212' }, 99);
      assert.equal(future.status, 400);
    });
  });

  describe('push', () => {
    test('mutations apply in order; a replayed mutationId returns its first result without applying again', async () => {
      const patientId = randomUUID();
      const itemId = randomUUID();
      const body = {
        clientId: 'terminal-a',
        mutations: [
          { mutationId: randomUUID(), collection: 'patients', op: 'create', id: patientId, data: patientBody({ id: patientId }) },
          { mutationId: randomUUID(), collection: 'patients', op: 'update', id: patientId, baseVersion: 1, data: { phone: '+49 30 4678374' } },
          { mutationId: randomUUID(), collection: 'inventory', op: 'create', id: itemId, data: { name: 'Masks', quantity: 10 } },
          { mutationId: randomUUID(), collection: 'inventory', op: 'adjust', id: itemId, data: { delta: -4, reason: 'used' } },
          { mutationId: randomUUID(), collection: 'inventory', op: 'adjust', id: itemId, data: { delta: -100 } },
        ],
      };
      const first = await api.post('/api/sync/push', body);
      assert.equal(first.status, 200);
      assert.deepEqual(first.body.results.map((r: Json) => r.status), ['applied', 'applied', 'applied', 'applied', 'rejected']);
      assert.equal(first.body.results[1].row.version, 2);
      assert.equal(first.body.results[3].row.quantity, 6);
      assert.equal(first.body.results[4].code, 409);
      assert.equal(typeof first.body.results[4].error, 'string');
      assert.equal(typeof first.body.cursor, 'string');

      const replay = await api.post('/api/sync/push', body);
      assert.deepEqual(replay.body.results, first.body.results);
      assert.equal((await api.get(`/api/inventory/${itemId}`)).body.quantity, 6, 'the adjustment was not applied twice');
      assert.equal((await api.get(`/api/patients/${patientId}`)).body.version, 2);
      assert.equal(replay.body.cursor, first.body.cursor, 'the replay wrote nothing');
    });

    test('a conflicting update reports the fields and the current row, and its replay says the same', async () => {
      const p = await createPatient(api);
      await other.patch(`/api/patients/${p.id}`, { phone: '+49 30 2352229' }, 1);
      const m = { mutationId: randomUUID(), collection: 'patients', op: 'update', id: p.id, baseVersion: 1, data: { phone: '+49 30 8726875', notes: 'n' } };
      const res = await api.post('/api/sync/push', { clientId: 't', mutations: [m] });
      const r = res.body.results[0];
      assert.equal(r.status, 'conflict');
      assert.deepEqual(r.fields, ['phone']);
      assert.equal(r.row.phone, '+49 30 2352229');
      await other.patch(`/api/patients/${p.id}`, { phone: '+49 30 7284927' }, 2);
      const again = await api.post('/api/sync/push', { clientId: 't', mutations: [m] });
      assert.deepEqual(again.body.results[0], r);
    });

    test('a rejected mutation does not undo the ones before it', async () => {
      const id = randomUUID();
      const res = await api.post('/api/sync/push', {
        clientId: 't',
        mutations: [
          { mutationId: randomUUID(), collection: 'patients', op: 'create', id, data: patientBody() },
          { mutationId: randomUUID(), collection: 'patients', op: 'create', id: randomUUID(), data: { firstName: '' } },
        ],
      });
      assert.deepEqual(res.body.results.map((r: Json) => r.status), ['applied', 'rejected']);
      assert.equal(res.body.results[1].code, 400);
      assert.equal((await api.get(`/api/patients/${id}`)).status, 200);
    });

    test('deleting a row that is already gone is applied (the terminal wanted it gone)', async () => {
      const p = await createPatient(api);
      await api.del(`/api/patients/${p.id}`);
      const res = await api.post('/api/sync/push', { clientId: 't', mutations: [{ mutationId: randomUUID(), collection: 'patients', op: 'delete', id: p.id }] });
      assert.equal(res.body.results[0].status, 'applied');
    });
  });

  describe('pull', () => {
    async function walk(api: ApiClient, since: string, limit: number, between?: (page: number) => Promise<void>) {
      const seen: Json[] = [];
      let cursor = since;
      for (let page = 0; ; page++) {
        const res = await api.get(`/api/sync/pull?since=${cursor}&limit=${limit}`);
        assert.equal(res.status, 200);
        seen.push(...res.body.changes);
        assert.ok(Number(res.body.cursor) >= Number(cursor), 'the cursor never goes back');
        cursor = res.body.cursor;
        if (!res.body.hasMore) return { seen, cursor };
        await between?.(page);
      }
    }

    test('paging neither skips nor repeats, also while writes happen between pages', async () => {
      const { cursor: start } = await walk(api, '', 1000);
      const made: Json[] = [];
      for (let i = 0; i < 25; i++) made.push(await createPatient(api, { firstName: `P${i}` }));
      let extra = 0;
      const { seen, cursor } = await walk(api, start, 4, async (page) => {
        // Writes between pages: an edit of a row already pulled, one not yet pulled, and a new row.
        await other.patch(`/api/patients/${made[page]!.id}`, { notes: `edit ${page}` }, (await api.get(`/api/patients/${made[page]!.id}`)).body.version);
        await other.patch(`/api/patients/${made[24 - page]!.id}`, { phone: `p${page}` }, (await api.get(`/api/patients/${made[24 - page]!.id}`)).body.version);
        await createPatient(other, { firstName: `New${page}` });
        extra++;
      });
      assert.ok(extra > 3);
      // No (row, version) pair twice.
      const keys = seen.map((c) => `${c.id}@${c.version}`);
      assert.equal(new Set(keys).size, keys.length, 'no change repeated');
      // The last state seen for every row equals the server's final state: nothing skipped.
      const last = new Map<string, Json>();
      for (const c of seen) last.set(c.id, c);
      const final = (await api.get('/api/patients')).body as Json[];
      const created = final.filter((p) => made.some((m) => m.id === p.id) || /^New/.test(p.firstName));
      assert.equal(created.length, 25 + extra);
      for (const row of created) assert.deepEqual(last.get(row.id)?.row, row, `final state of ${row.firstName}`);
      // Versions of one row only go up along the walk.
      const versions = new Map<string, number>();
      for (const c of seen) {
        assert.ok((versions.get(c.id) ?? 0) < c.version);
        versions.set(c.id, c.version);
      }
      const tail = await api.get(`/api/sync/pull?since=${cursor}`);
      assert.deepEqual(tail.body.changes, []);
      assert.equal(tail.body.cursor, cursor);
    });

    test('changes come in commit order, with op, version and row', async () => {
      const { cursor } = await walk(api, '', 1000);
      const a = await createPatient(api, { firstName: 'First' });
      const b = await createPatient(api, { firstName: 'Second' });
      await api.patch(`/api/patients/${a.id}`, { phone: '+49 30 1025638' }, 1);
      const res = await api.get(`/api/sync/pull?since=${cursor}`);
      assert.deepEqual(res.body.changes.map((c: Json) => [c.id, c.op, c.version]), [[b.id, 'upsert', 1], [a.id, 'upsert', 2]]);
      assert.equal(res.body.changes[1].row.phone, '+49 30 1025638');
      assert.equal(res.body.changes[1].collection, 'patients');
    });

    test('a delete is a tombstone without a row', async () => {
      const { cursor } = await walk(api, '', 1000);
      const p = await createPatient(api);
      const del = await api.del(`/api/patients/${p.id}`);
      assert.equal(del.status, 204);
      const res = await api.get(`/api/sync/pull?since=${cursor}`);
      assert.equal(res.body.changes.length, 1, 'the create is superseded by the delete');
      const [tomb] = res.body.changes;
      assert.equal(tomb.op, 'delete');
      assert.equal(tomb.id, p.id);
      assert.equal(tomb.version, 2);
      assert.ok(!('row' in tomb));
      // A terminal that had pulled the create earlier also hears the delete.
      const full = await walk(api, '', 2);
      assert.ok(full.seen.some((c) => c.id === p.id && c.op === 'delete'));
    });

    test('a pull from the beginning says how many changes the walk holds (total)', async () => {
      const first = await api.get('/api/sync/pull?limit=2');
      assert.equal(first.body.hasMore, true);
      let count = first.body.changes.length;
      let cursor = first.body.cursor;
      for (;;) {
        const page = await api.get(`/api/sync/pull?since=${cursor}&limit=50`);
        assert.ok(!('total' in page.body), 'only the first page of a walk carries total');
        count += page.body.changes.length;
        cursor = page.body.cursor;
        if (!page.body.hasMore) break;
      }
      assert.equal(first.body.total, count);
    });

    test('collections filter and bad cursors', async () => {
      await createPatient(api);
      const res = await api.get('/api/sync/pull?collections=inventory');
      assert.ok(res.body.changes.every((c: Json) => c.collection === 'inventory'));
      assert.equal((await api.get('/api/sync/pull?since=abc')).status, 400);
      assert.equal((await api.get('/api/sync/pull?collections=nope')).status, 400);
      assert.equal((await api.get('/api/sync/pull?limit=0')).status, 400);
      assert.equal((await api.get('/api/sync/pull?other=1')).status, 400);
    });
  });
  describe('snapshot', () => {
    /** GET /api/sync/snapshot with `token`: the status and, for a 200, the file opened read-only. */
    async function snapshot(token: string | null, query = '') {
      const res = await fetch(`${server.url}/api/sync/snapshot${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) return { status: res.status, body: JSON.parse(bytes.toString('utf8')) as Json, db: null };
      const dir = mkdtempSync(join(tmpdir(), 'snapshot-route-'));
      writeFileSync(join(dir, 'snapshot.sqlite'), bytes);
      const db = new Database(join(dir, 'snapshot.sqlite'), { readonly: true });
      return {
        status: 200,
        type: res.headers.get('content-type'),
        timing: res.headers.get('server-timing'),
        cursor: res.headers.get('snapshot-cursor'),
        next: res.headers.get('snapshot-next'),
        total: res.headers.get('snapshot-total'),
        body: null,
        db,
        done: () => {
          db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }

    /** (collection/id -> version) of every rows_ table in a snapshot part. */
    function rowsIn(db: Database.Database): Map<string, number> {
      const found = new Map<string, number>();
      for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rows_%'").all() as { name: string }[]) {
        const collection = t.name.slice('rows_'.length).replace('_', '-');
        for (const r of db.prepare(`SELECT id, version, data FROM ${t.name}`).all() as { id: string; version: number; data: string }[]) {
          assert.equal((JSON.parse(r.data) as Json).id, r.id);
          found.set(`${collection}/${r.id}`, r.version);
        }
      }
      return found;
    }

    test(store === 'sqlite' ? 'holds the same rows as a pull walk from the start, up to its cursor, audited' : 'is not offered by this store (501): terminals walk the log', async () => {
      const doctor = await server.createUser('doctor');
      const reception = await server.createUser('receptionist');
      const patient = await createPatient(api, { medicalHistory: 'asthma' });
      await mustCreate(clientFor(server.url, doctor.session), 'treatment-records', { patientId: patient.id, providerId: doctor.user.id, date: '2026-11-20', diagnosis: 'secret' });
      const gone = await createPatient(api);
      const removed = await api.del(`/api/patients/${gone.id}`);
      assert.ok(removed.status === 200 || removed.status === 204, removed.text);
      assert.equal((await snapshot(null)).status, 401);
      const got = await snapshot(doctor.session.accessToken);
      if (store !== 'sqlite') {
        assert.equal(got.status, 501);
        assert.match(got.body.error, /does not offer snapshots/);
        return;
      }
      assert.equal(got.status, 200);
      assert.equal(got.type, 'application/vnd.sqlite3');
      assert.match(got.timing ?? '', /^snapshot;dur=\d+$/);
      const db = got.db!;
      const info = Object.fromEntries((db.prepare('SELECT key, value FROM snapshot_info').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
      assert.equal(info.format, '1');
      assert.equal(info.role, 'doctor');
      // The doctor's own walk from the start, to the snapshot's cursor: each row's state there.
      const asDoctor = clientFor(server.url, doctor.session);
      const rows = new Map<string, number>();
      let cursor = '';
      for (;;) {
        const page = await asDoctor.get(`/api/sync/pull?since=${cursor}&limit=500`);
        for (const c of page.body.changes as Json[]) {
          if (c.op === 'delete') rows.delete(`${c.collection}/${c.id}`);
          else rows.set(`${c.collection}/${c.id}`, c.version);
        }
        cursor = page.body.cursor;
        if (!page.body.hasMore) break;
      }
      assert.equal(cursor, info.cursor, 'nothing was written since the snapshot');
      const inFile = rowsIn(db);
      assert.equal(got.cursor, info.cursor);
      assert.equal(got.next, null, 'one part holds them all');
      assert.equal(Number(got.total), inFile.size);
      assert.deepEqual([...inFile].sort(), [...rows].sort(), 'the same rows at the same versions, tombstones left out');
      assert.equal(inFile.has(`patients/${gone.id}`), false);
      got.done!();

      // The same rows in parts of 3, each naming where the next starts.
      const inParts = new Map<string, number>();
      let query = '?limit=3';
      let parts = 0;
      for (;;) {
        const part = await snapshot(doctor.session.accessToken, query);
        assert.equal(part.status, 200);
        parts++;
        for (const [k, v] of rowsIn(part.db!)) inParts.set(k, v);
        assert.equal(part.total === null, parts > 1, 'only the first part says the total');
        part.done!();
        if (part.next === null) break;
        query = `?limit=3&after=${part.next}`;
      }
      assert.equal(parts, Math.ceil(inFile.size / 3));
      assert.deepEqual([...inParts].sort(), [...inFile].sort());
      assert.equal((await snapshot(doctor.session.accessToken, '?after=abc')).status, 400);
      assert.equal((await snapshot(doctor.session.accessToken, '?limit=0')).status, 400);
      const audit = await api.get('/api/audit?limit=20');
      assert.ok((audit.body as Json[]).some((e) => e.action === 'read' && e.username === doctor.user.username && /snapshot part of 1 treatment record/.test(e.detail)), 'the read of treatment records is audited');

      const front = await snapshot(reception.session.accessToken);
      const tables = (front.db!.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
      assert.ok(!tables.includes('rows_treatment_records'), 'no treatment records for the front desk');
      const row = front.db!.prepare('SELECT data FROM rows_patients WHERE id = ?').get(patient.id) as { data: string };
      assert.equal((JSON.parse(row.data) as Json).medicalHistory, undefined, 'clinical fields stripped');
      front.done!();
    });
  });
});
