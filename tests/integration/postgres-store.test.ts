/**
 * The PostgreSQL store under concurrent writers on two store instances (as two server instances
 * would have), straight through the store interface and the server's mutation path:
 * - the change log has no visibility hole (a deterministic case and a 20-writer stress run),
 * - a duplicate mutation id pushed concurrently applies once and answers the first result,
 * - no double booking, exact stock arithmetic, migrations run once.
 * Skipped, with one line saying so, when DATABASE_URL is not set.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { CollectionName } from '../../shared/domain/collections';
import type { Mutation, MutationResult } from '../../shared/sync/protocol';
import { pushMutation, runMutation } from '../../server/mutations/run';
import { parsePostgresUrl, PostgresStore } from '../../server/store/postgres';
import { migrationsFor } from '../../server/store/migrations';
import type { Actor, ClinicStore, StoredRow, WriteTx } from '../../server/store/types';
import { createTestSchema, postgresUrlForTests, type TestSchema } from '../support/stores';

const baseUrl = postgresUrlForTests();
const admin: Actor = { id: randomUUID(), username: 'admin', role: 'admin' };
const allCollections: CollectionName[] = ['patients', 'appointments', 'inventory', 'users'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function patientRow(id: string): StoredRow {
  return {
    collection: 'patients',
    id,
    version: 1,
    deleted: false,
    row: { id, version: 1, updatedAt: new Date().toISOString(), updatedBy: admin.id, firstName: 'P', lastName: id },
    fieldVersions: { firstName: 1, lastName: 1 },
  };
}

/** A new patient row and its change-log entry, in the caller's transaction. */
async function putNewPatient(tx: WriteTx, id: string): Promise<void> {
  await tx.putRow(patientRow(id));
  await tx.appendChange({ collection: 'patients', id, version: 1, op: 'upsert' });
}

/** Pull everything after `since` (all pages) and return the changes as `collection/id@version`. */
async function pullAll(store: ClinicStore, since: string, limit = 50): Promise<{ seen: string[]; cursor: string }> {
  const seen: string[] = [];
  let cursor = since;
  for (;;) {
    const page = await store.pullSince({ since: cursor, limit, collections: allCollections });
    seen.push(...page.changes.map((c) => `${c.collection}/${c.id}@${c.version}`));
    cursor = page.cursor;
    if (!page.hasMore) return { seen, cursor };
  }
}

async function finalLog(url: string): Promise<string[]> {
  const target = parsePostgresUrl(url);
  const client = new pg.Client({ connectionString: target.connectionString, options: `-c search_path=${target.schema}` });
  await client.connect();
  try {
    const { rows } = await client.query<{ collection: string; row_id: string; version: number }>(
      'SELECT collection, row_id, version FROM changes ORDER BY seq',
    );
    return rows.map((r) => `${r.collection}/${r.row_id}@${r.version}`);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL store', { skip: baseUrl === null }, () => {
  let schema: TestSchema;
  let gate: Promise<void> | null = null;
  /** Hold every commit open for a random few ms after its seq is drawn: widens any hole. */
  let jitterCommits = false;
  const holdCommit = async () => {
    if (gate) await gate;
    if (jitterCommits) await sleep(Math.random() * 6);
  };
  let a: PostgresStore;
  let b: PostgresStore;

  before(async () => {
    schema = await createTestSchema(baseUrl!);
    // Instance A can be told to hold a commit open after writing its change-log entries.
    a = new PostgresStore(schema.url, { beforeCommit: holdCommit });
    b = new PostgresStore(schema.url, {
      beforeCommit: async () => {
        if (jitterCommits) await sleep(Math.random() * 6);
      },
    });
    await Promise.all([a.migrate(), b.migrate()]);
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await schema?.drop();
  });

  test('two instances migrating at once apply each migration once', async () => {
    const target = parsePostgresUrl(schema.url);
    const client = new pg.Client({ connectionString: target.connectionString, options: `-c search_path=${target.schema}` });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), migrationsFor('postgres').map((m) => m.version));
    } finally {
      await client.end();
    }
    await a.migrate(); // idempotent
  });

  test('without the change-log lock a puller WOULD skip a late commit (the detector works)', async () => {
    // The naive scheme: seq drawn at insert time, cursor = max visible seq.
    const target = parsePostgresUrl(schema.url);
    const connect = async () => {
      const c = new pg.Client({ connectionString: target.connectionString, options: `-c search_path=${target.schema}` });
      await c.connect();
      return c;
    };
    const [w1, w2, reader] = await Promise.all([connect(), connect(), connect()]);
    try {
      await reader.query('CREATE TABLE naive_log (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY)');
      await w1.query('BEGIN');
      await w1.query('INSERT INTO naive_log DEFAULT VALUES'); // seq 1, not yet committed
      await w2.query('INSERT INTO naive_log DEFAULT VALUES'); // seq 2, committed at once
      const seen: number[] = [];
      let cursor = 0;
      const poll = async () => {
        const { rows } = await reader.query<{ seq: string }>('SELECT seq FROM naive_log WHERE seq > $1 ORDER BY seq', [cursor]);
        for (const r of rows) seen.push(Number(r.seq));
        if (rows.length > 0) cursor = Number(rows[rows.length - 1]!.seq);
      };
      await poll();
      await w1.query('COMMIT');
      await poll();
      const { rows } = await reader.query<{ seq: string }>('SELECT seq FROM naive_log ORDER BY seq');
      assert.deepEqual(rows.map((r) => Number(r.seq)), [1, 2]);
      assert.deepEqual(seen, [2], 'the naive puller skipped seq 1 for good');
    } finally {
      await Promise.all([w1.end(), w2.end(), reader.end()]);
    }
  });

  test('a commit held open blocks later change-log writers, so a puller never passes it', async () => {
    const start = (await pullAll(b, '')).cursor;
    let release!: () => void;
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = randomUUID();
    const second = randomUUID();
    let firstDone = false;
    let secondDone = false;
    const writeFirst = a.write((tx) => putNewPatient(tx, first)).then(() => {
      firstDone = true;
    });
    await sleep(100); // instance A now holds its commit open, change-log entry written
    const writeSecond = b.write((tx) => putNewPatient(tx, second)).then(() => {
      secondDone = true;
    });
    // While A is held: B cannot commit a later seq, and a puller sees neither.
    const collected: string[] = [];
    let cursor = start;
    try {
      for (let i = 0; i < 5; i++) {
        await sleep(60);
        const page = await pullAll(b, cursor);
        collected.push(...page.seen);
        cursor = page.cursor;
      }
      assert.equal(firstDone, false);
      assert.equal(secondDone, false, 'the second writer waited for the first commit');
      assert.equal(collected.length, 0, 'nothing visible while the first commit is held');
    } finally {
      gate = null;
      release();
    }
    await Promise.all([writeFirst, writeSecond]);
    const rest = await pullAll(b, cursor);
    collected.push(...rest.seen);
    assert.deepEqual(collected, [`patients/${first}@1`, `patients/${second}@1`]);
  });

  test('20 concurrent writers on two instances: a polling puller misses and repeats nothing', async () => {
    const start = (await pullAll(a, '')).cursor;
    const before = (await finalLog(schema.url)).length;
    let writing = true;
    jitterCommits = true;
    const collected: string[] = [];
    const cursors: bigint[] = [];
    let atHead = 0;
    const puller = (async () => {
      let cursor = start;
      let turn = 0;
      while (writing) {
        // Alternating instances, as terminals behind a load balancer would; pages big enough to
        // keep up with the writers, so most pulls end at the head, where a hole would show.
        const store = turn++ % 2 === 0 ? a : b;
        const page = await store.pullSince({ since: cursor, limit: 100, collections: allCollections });
        if (!page.hasMore) atHead += 1;
        collected.push(...page.changes.map((c) => `${c.collection}/${c.id}@${c.version}`));
        cursors.push(BigInt(page.cursor));
        cursor = page.cursor;
        if (!page.hasMore) await sleep(Math.random() * 2);
      }
      const rest = await pullAll(a, cursor, 7);
      collected.push(...rest.seen);
    })();
    let rolledBack = 0;
    const writers = Array.from({ length: 20 }, async (_, w) => {
      const store = w % 2 === 0 ? a : b;
      for (let i = 0; i < 20; i++) {
        const rows = Array.from({ length: 1 + (i % 3) }, () => randomUUID());
        try {
          await store.write(async (tx) => {
            for (const id of rows) {
              await tx.putRow(patientRow(id));
              await sleep(Math.random() * 4); // keep transactions open and interleaved
              await tx.appendChange({ collection: 'patients', id, version: 1, op: 'upsert' });
            }
            if ((w + i) % 9 === 0) throw new Error('roll back on purpose');
          });
        } catch (error) {
          if ((error as Error).message !== 'roll back on purpose') throw error;
          rolledBack += 1;
        }
      }
    });
    await Promise.all(writers).finally(() => {
      jitterCommits = false;
    });
    writing = false;
    await puller;
    const log = (await finalLog(schema.url)).slice(before);
    assert.ok(rolledBack > 0, 'some transactions rolled back, leaving seq gaps');
    assert.ok(log.length > 400, `a busy log (${log.length} entries)`);
    assert.equal(new Set(collected).size, collected.length, 'no change pulled twice');
    assert.deepEqual(collected, log, 'the puller saw exactly the final log, in order');
    for (let i = 1; i < cursors.length; i++) assert.ok(cursors[i]! >= cursors[i - 1]!, 'cursors never go back');
    assert.ok(atHead > 20, `the puller caught up with the head often (${atHead} times)`);
    console.log(
      `  stress: ${log.length} changes by 20 writers, ${cursors.length} pulls (${atHead} at the head), ${rolledBack} rollbacks`,
    );
  });

  test('a page reads the next `limit` log entries: hidden or superseded ones leave it short, and the walk still yields each row once', async () => {
    const since = await a.headCursor();
    const shown = randomUUID();
    const edited = randomUUID();
    await a.write(async (tx) => {
      await putNewPatient(tx, edited);
      // Referrals are outside the collections pulled below (as treatment records are for a receptionist).
      for (let i = 0; i < 3; i++) {
        const id = randomUUID();
        await tx.putRow({ ...patientRow(id), collection: 'referrals' });
        await tx.appendChange({ collection: 'referrals', id, version: 1, op: 'upsert' });
      }
      await putNewPatient(tx, shown);
      const stored = patientRow(edited);
      await tx.putRow({ ...stored, version: 2, row: { ...stored.row, version: 2, lastName: 'Edited' } });
      await tx.appendChange({ collection: 'patients', id: edited, version: 2, op: 'upsert' });
    });
    const pages: { changes: string[]; hasMore: boolean }[] = [];
    let cursor = since;
    for (;;) {
      const page = await a.pullSince({ since: cursor, limit: 2, collections: ['patients'] });
      pages.push({ changes: page.changes.map((c) => `${c.id}@${c.version}`), hasMore: page.hasMore });
      assert.ok(BigInt(page.cursor) > BigInt(cursor) || !page.hasMore, 'every page moves the cursor on');
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    // Six entries in pages of two: [edited@1 (superseded), referral], [referral, referral], [shown, edited@2].
    assert.deepEqual(pages, [
      { changes: [], hasMore: true },
      { changes: [], hasMore: true },
      { changes: [`${shown}@1`, `${edited}@2`], hasMore: false },
    ]);
    assert.equal(cursor, await a.headCursor());
  });

  describe('the mutation path under 20 concurrent writers on two instances', () => {
    let doctorId: string;
    let patientId: string;

    before(async () => {
      doctorId = randomUUID();
      patientId = randomUUID();
      await runMutation(a, admin, {
        collection: 'users',
        op: 'create',
        id: doctorId,
        data: { username: 'dr.house', displayName: 'Dr House', role: 'doctor' },
      });
      await runMutation(b, admin, {
        collection: 'patients',
        op: 'create',
        id: patientId,
        data: { firstName: 'Ada', lastName: 'Lovelace' },
      });
    });

    const push = (store: ClinicStore, m: Omit<Mutation, 'mutationId'> & { mutationId?: string }) =>
      pushMutation(store, admin, { mutationId: m.mutationId ?? randomUUID(), ...m } as Mutation);

    test('a duplicate mutation id pushed 20 times at once applies once and answers the first result', async () => {
      const mutationId = randomUUID();
      const id = randomUUID();
      const m = { mutationId, collection: 'inventory', op: 'create', id, data: { name: 'Gauze', quantity: 5 } } as const;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => push(i % 2 ? a : b, m)));
      assert.equal(results[0]!.status, 'applied');
      for (const r of results) assert.deepEqual(r, results[0]);
      const log = await finalLog(schema.url);
      assert.equal(log.filter((e) => e.startsWith(`inventory/${id}@`)).length, 1);
      assert.equal((await a.getRow('inventory', id))?.version, 1);
    });

    test('20 overlapping bookings of one provider: exactly one is applied', async () => {
      const start = '2026-12-01T09:00:00Z';
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          push(i % 2 ? a : b, {
            collection: 'appointments',
            op: 'create',
            id: randomUUID(),
            data: {
              patientId,
              providerId: doctorId,
              room: `Room ${i}`,
              // every one overlaps every other by at least 10 minutes
              start: new Date(Date.parse(start) + i * 60_000).toISOString(),
              end: new Date(Date.parse(start) + (30 + i) * 60_000).toISOString(),
            },
          }),
        ),
      );
      const applied = results.filter((r) => r.status === 'applied');
      assert.equal(applied.length, 1, JSON.stringify(results.map((r) => r.error ?? r.status)));
      for (const r of results.filter((x) => x.status !== 'applied')) assert.equal(r.code, 409);
    });

    test('20 bookings of one room by different providers at once: exactly one is applied', async () => {
      const doctors = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const id = randomUUID();
          await runMutation(i % 2 ? a : b, admin, {
            collection: 'users',
            op: 'create',
            id,
            data: { username: `doc${i}`, displayName: `Doctor ${i}`, role: 'doctor' },
          });
          return id;
        }),
      );
      const results = await Promise.all(
        doctors.map((providerId, i) =>
          push(i % 2 ? a : b, {
            collection: 'appointments',
            op: 'create',
            id: randomUUID(),
            data: { patientId, providerId, room: 'Theatre', start: '2026-12-02T10:00:00Z', end: '2026-12-02T11:00:00Z' },
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'applied').length, 1);
    });

    test('stock adjustments from 20 writers add up exactly and never go below 0', async () => {
      const id = randomUUID();
      await push(a, { collection: 'inventory', op: 'create', id, data: { name: 'Syringes', quantity: 50 } });
      const deltas = Array.from({ length: 20 }, (_, w) => Array.from({ length: 6 }, (_, i) => ((w + i) % 3 === 0 ? 4 : -3)));
      const outcomes = await Promise.all(
        deltas.map(async (list, w) => {
          const results: { delta: number; result: MutationResult }[] = [];
          for (const delta of list) {
            const result = await push(w % 2 ? a : b, { collection: 'inventory', op: 'adjust', id, data: { delta } });
            results.push({ delta, result });
          }
          return results;
        }),
      );
      const all = outcomes.flat();
      const appliedSum = all.filter((o) => o.result.status === 'applied').reduce((s, o) => s + o.delta, 0);
      for (const o of all.filter((x) => x.result.status !== 'applied')) {
        assert.equal(o.delta < 0, true, 'only takes can be refused');
        assert.equal(o.result.code, 409);
      }
      const final = await b.getRow('inventory', id);
      assert.equal(final?.row.quantity, 50 + appliedSum);
      assert.ok(Number(final?.row.quantity) >= 0);
      assert.equal(final?.version, 1 + all.filter((o) => o.result.status === 'applied').length);
    });

    test('the database refuses a negative stock even from a writer that skips the rule', async () => {
      const id = randomUUID();
      await push(a, { collection: 'inventory', op: 'create', id, data: { name: 'Masks', quantity: 1 } });
      const stored = (await a.getRow('inventory', id))!;
      await assert.rejects(
        a.write(async (tx) => {
          await tx.putRow({ ...stored, version: 2, row: { ...stored.row, version: 2, quantity: -1 } });
        }),
        /rows_stock_not_negative/,
      );
      assert.equal((await a.getRow('inventory', id))?.row.quantity, 1);
    });

    test('a read-modify-write that skipped the lock loses the race cleanly instead of overwriting', async () => {
      const id = randomUUID();
      await push(a, { collection: 'inventory', op: 'create', id, data: { name: 'Gloves', quantity: 10 } });
      let attempts = 0;
      // Two writers read version 1 without locking, then both write version 2.
      const rmw = (store: PostgresStore, delta: number) =>
        store.write(async (tx) => {
          attempts += 1;
          const row = (await tx.getRow('inventory', id))!;
          await sleep(50);
          const version = row.version + 1;
          const quantity = Number(row.row.quantity) + delta;
          await tx.putRow({ ...row, version, row: { ...row.row, version, quantity } });
          await tx.appendChange({ collection: 'inventory', id, version, op: 'upsert' });
        });
      await Promise.all([rmw(a, -2), rmw(b, -3)]);
      assert.equal((await a.getRow('inventory', id))?.row.quantity, 5);
      assert.ok(attempts >= 3, 'the loser ran again on the new version');
    });
  });

  test('a commit on one instance reaches the committed listeners of the other', async () => {
    const heard = new Promise<string>((resolve) => {
      const off = b.onCommitted((cursor) => {
        off();
        resolve(cursor);
      });
    });
    const id = randomUUID();
    const startedAt = performance.now();
    await a.write(async (tx) => {
      await putNewPatient(tx, id);
    });
    const cursor = await heard;
    const ms = performance.now() - startedAt;
    assert.equal(cursor, await a.headCursor());
    console.log(`  cross-instance committed event after ${ms.toFixed(1)} ms`);
  });

  test('a dropped LISTEN connection comes back by itself, announces the head, and hears commits again', async () => {
    const heard: string[] = [];
    const off = b.onCommitted((cursor) => heard.push(cursor));
    try {
      const target = parsePostgresUrl(schema.url);
      const admin = new pg.Client({ connectionString: target.connectionString });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ n: string }>(
          `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
           WHERE application_name = 'clinic-desk-server (live feed)' AND query = $1`,
          [`LISTEN "clinic_changes_${target.schema}"`],
        );
        assert.equal(Number(rows[0]!.n), 2, "both instances' feeds were cut");
      } finally {
        await admin.end();
      }
      // Committed while B is not listening (it reconnects after a short backoff): B hears of it
      // through the head it announces once it is back.
      const commitAndListen = async (): Promise<boolean> => {
        await a.write((tx) => putNewPatient(tx, randomUUID()));
        const head = await a.headCursor();
        for (let i = 0; i < 100 && !heard.includes(head); i++) await sleep(50);
        return heard.includes(head);
      };
      assert.ok(await commitAndListen(), 'after reconnecting, the instance announced what it missed');
      assert.ok(await commitAndListen(), 'a later commit on the other instance is heard again');
    } finally {
      off();
    }
  });
});
