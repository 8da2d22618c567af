/** The store across restarts (SQLite, and PostgreSQL when DATABASE_URL is set): data, tokens and cursors survive; migrations run once. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { clientFor, login, startTestServer, withTestServer, type Json } from '../support/server';
import { createItem, createPatient } from '../support/clinic-fixtures';
import { queryStoreDatabase, storesUnderTest, withTestStorage } from '../support/stores';
import { migrationsFor } from '../../server/store/migrations';

const postgresMigrations = migrationsFor('postgres');
const sqliteMigrations = migrationsFor('sqlite');

for (const store of storesUnderTest()) describe(store, () => {
  test('a restart keeps rows, the change log, sessions and the admin; migrations are recorded once', async () => {
    await withTestStorage(store, async (storage) => {
      const first = await startTestServer(storage.options);
      const patient = await createPatient(first.api);
      const item = await createItem(first.api, { quantity: 7 });
      await first.api.post(`/api/inventory/${item.id}/adjust`, { delta: -2 });
      const cursor = (await first.api.get('/api/sync/pull?limit=5000')).body.cursor;
      const token = first.admin.accessToken;
      await first.close();

      await withTestServer(storage.options, async (second) => {
        assert.equal(second.server.bootstrap.created, false, 'no second admin');
        const old = clientFor(second.url, { accessToken: token });
        assert.equal((await old.get(`/api/patients/${patient.id}`)).status, 200, 'tokens survive: the signing key is kept in the data dir');
        assert.equal((await old.get(`/api/inventory/${item.id}`)).body.quantity, 5);
        const tail = await old.get(`/api/sync/pull?since=${cursor}`);
        assert.deepEqual(tail.body.changes, []);
        assert.equal(tail.body.cursor, cursor, 'cursors stay valid across restarts');
        await assert.rejects(login(second.url, 'admin', 'some-other-password'), /401/);
      });

      if (store === 'postgres') {
        const url = storage.options.databaseUrl!;
        const versions = await queryStoreDatabase<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
        assert.deepEqual(versions.map((v) => v.version), postgresMigrations.map((m) => m.version));
        assert.equal((await queryStoreDatabase(url, "SELECT value FROM settings WHERE key = 'jwt_secret'")).length, 0, 'no signing key in the database');
        const hashes = await queryStoreDatabase<{ password_hash: string }>(url, 'SELECT password_hash FROM credentials');
        assert.ok(hashes.every((h) => h.password_hash.startsWith('scrypt$')), 'passwords are stored as scrypt hashes');
      } else {
        const db = new Database(join(storage.options.dataDir!, 'clinic.db'), { readonly: true });
        try {
          const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
          assert.deepEqual(versions.map((v) => v.version), sqliteMigrations.map((m) => m.version));
          assert.equal((db.pragma('journal_mode', { simple: true }) as string).toLowerCase(), 'wal');
          const secrets = db.prepare("SELECT value FROM settings WHERE key = 'jwt_secret'").all();
          assert.equal(secrets.length, 0, 'no signing key in the database');
          const hashes = db.prepare('SELECT password_hash FROM credentials').all() as { password_hash: string }[];
          assert.ok(hashes.every((h) => h.password_hash.startsWith('scrypt$')), 'passwords are stored as scrypt hashes');
        } finally {
          db.close();
        }
      }
    });
  });

  if (store === 'sqlite') {
    test('a store from before migration 2 upgrades: pulls from the start bring the same entries, in the same order', async () => {
      await withTestStorage(store, async (storage) => {
        const first = await startTestServer(storage.options);
        const patients: Json[] = [];
        for (let i = 0; i < 5; i++) patients.push(await createPatient(first.api, { lastName: `Upgrade ${i}` }));
        const edited = patients[1]!;
        const v2 = await first.api.patch(`/api/patients/${edited.id}`, { notes: 'first edit' }, edited.version);
        assert.equal(v2.status, 200, v2.text);
        await first.api.patch(`/api/patients/${edited.id}`, { notes: 'second edit' }, v2.body.version);
        assert.equal((await first.api.del(`/api/patients/${patients[3]!.id}`)).status, 204);
        const walk = async (api: typeof first.api) => {
          const seen: string[] = [];
          let since = '';
          for (;;) {
            const page = await api.get(`/api/sync/pull?limit=2${since ? `&since=${since}` : ''}`);
            seen.push(...(page.body.changes as { collection: string; id: string; op: string; version: number }[]).map((c) => `${c.collection}/${c.id}/${c.op}@${c.version}`));
            since = page.body.cursor;
            if (!page.body.hasMore) return { seen, cursor: since };
          }
        };
        const before = await walk(first.api);
        await first.close();
        // Back to the schema of migration 1.
        const db = new Database(join(storage.options.dataDir!, 'clinic.db'));
        db.exec('DROP INDEX rows_change_seq; ALTER TABLE rows DROP COLUMN change_seq; DELETE FROM schema_migrations WHERE version = 2');
        db.close();

        await withTestServer(storage.options, async (second) => {
          const after = await walk(second.api);
          assert.deepEqual(after, before);
          assert.ok(before.seen.includes(`patients/${edited.id}/upsert@3`) && before.seen.includes(`patients/${patients[3]!.id}/delete@2`), before.seen.join('\n'));
          assert.equal(before.seen.filter((e) => e.includes(edited.id)).length, 1, 'an edited row comes once, at its last version');
        });
      });
    });
  }

  test('shutdown during writes: every acknowledged write is kept, nothing half-written', async () => {
    await withTestStorage(store, async (storage) => {
      const first = await startTestServer(storage.options);
      const writes = Array.from({ length: 40 }, (_, i) =>
        first.api.post('/api/patients', { firstName: `Shut${i}`, lastName: 'Down' }).then(
          (r) => r.status,
          () => 0, // connection refused or reset: not acknowledged
        ),
      );
      await Promise.race(writes); // close while the rest are in flight
      await first.close();
      const statuses = await Promise.all(writes);
      const acknowledged = statuses.filter((s) => s === 201).length;
      assert.ok(statuses.every((s) => s === 201 || s === 503 || s === 0), `statuses: ${statuses.join(',')}`);
      console.log(`${acknowledged} of 40 writes acknowledged around shutdown; statuses ${[...new Set(statuses)].join(',')}`);
      assert.ok(acknowledged >= 1);

      await withTestServer(storage.options, async (second) => {
        const rows = (await second.api.get('/api/patients')).body as { lastName: string }[];
        assert.equal(rows.filter((p) => p.lastName === 'Down').length, acknowledged);
        const pulled = (await second.api.get('/api/sync/pull?collections=patients&limit=5000')).body.changes as unknown[];
        assert.equal(pulled.length, acknowledged, 'the change log matches the rows');
      });
    });
  });
});
