/**
 * The server against attacks from the clinic network: the login throttle holds in parallel, a
 * replayed mutation id belongs to its user, failed sign-ins and refusals are audited without
 * bound problems, clinical reads are audited, the signing key lives outside the database and
 * rotates, passwords are hashed at OWASP's cost and upgraded on sign-in, and hostile inputs are
 * refused with a 400 naming the place.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { LOGIN_ALLOWANCE } from '../../server/auth/throttle';
import { OWASP_SCRYPT_LOG2_N, PasswordHasher } from '../../server/auth/passwords';
import { rotateSigningKey, signingKeyFile } from '../../server/auth/signingKey';
import { clientFor, login, request, startTestServer, withTestServer, type Json } from '../support/server';
import { createPatient, mustCreate } from '../support/clinic-fixtures';
import { storesUnderTest, withTestStorage } from '../support/stores';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const store of storesUnderTest()) describe(store, () => {
  test('150 parallel guesses for one account check at most the allowance; the block is audited and an admin lifts it', async () => {
    await withTestServer({ store }, async (server) => {
      const { user, password } = await server.createUser('doctor');
      const guesses = Array.from({ length: 150 }, (_, i) => (i === 149 ? password : `wrong-guess-${i}`));
      const started = performance.now();
      const answers = await Promise.all(
        guesses.map((p) => request(server.url, 'POST', '/api/auth/login', { body: { username: user.username, password: p } })),
      );
      const ms = Math.round(performance.now() - started);
      const count = (s: number) => answers.filter((a) => a.status === s).length;
      const checked = count(401) + count(200);
      console.log(`150 parallel guesses in ${ms} ms: ${count(401)} x 401, ${count(200)} x 200, ${count(429)} x 429 (allowance ${LOGIN_ALLOWANCE})`);
      assert.ok(checked <= LOGIN_ALLOWANCE, `${checked} passwords checked, allowance ${LOGIN_ALLOWANCE}`);
      assert.equal(count(429), 150 - checked);
      assert.ok(answers.every((a) => [200, 401, 429].includes(a.status)));
      const refused = answers.find((a) => a.status === 429)!;
      assert.ok(Number(refused.headers.get('retry-after')) > 0);

      // Blocked now, even with the right password; the block is in the audit log.
      assert.equal((await request(server.url, 'POST', '/api/auth/login', { body: { username: user.username, password } })).status, 429);
      const audit = (await server.api.get('/api/audit?limit=500')).body as Json[];
      assert.ok(audit.some((e) => e.action === 'login-blocked' && e.username === user.username && /scope=account address=\S+ seconds=\d+/.test(e.detail)));

      // Only an admin lifts it; then the right password works again.
      const doctor = await server.createUser('doctor');
      assert.equal((await clientFor(server.url, doctor.session).post('/api/auth/lift-block', { username: user.username })).status, 403);
      const lifted = await server.api.post('/api/auth/lift-block', { username: user.username });
      assert.equal(lifted.status, 200, lifted.text);
      assert.equal(lifted.body.lifted.length, 1);
      assert.equal((await request(server.url, 'POST', '/api/auth/login', { body: { username: user.username, password } })).status, 200);
      const after = (await server.api.get('/api/audit?limit=50')).body as Json[];
      assert.ok(after.some((e) => e.action === 'lift-block' && e.username === 'admin' && e.detail.includes(user.username)));
      assert.ok(after.some((e) => e.action === 'forbidden' && e.username === doctor.user.username), 'the refused lift is audited too');
    });
  });

  test('text that PostgreSQL cannot store (a lone surrogate, a NUL) is a 400 naming the field on either store', async () => {
    await withTestServer({ store }, async (server) => {
      for (const sku of ['\ud800', 'a\udc00b', 'x\u0000y']) {
        const res = await server.api.post('/api/inventory', { name: 'Gauze', sku });
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.details[0].path, 'sku');
      }
      assert.equal((await server.api.post('/api/inventory', { name: 'Gauze', sku: 'emoji \ud83d\ude00 ok' })).status, 201, 'a proper pair is a character');
    });
  });

  test("another user's replay of a mutation id gets 409 and nothing of the stored result", async () => {
    await withTestServer({ store }, async (server) => {
      const doctor = await server.createUser('doctor');
      const desk = await server.createUser('receptionist');
      const patient = await createPatient(server.api);
      const record = await mustCreate(clientFor(server.url, doctor.session), 'treatment-records', { patientId: patient.id, providerId: doctor.user.id, date: '2026-11-20' });
      const mutationId = randomUUID();
      const secret = 'Diagnosis: confidential finding 4711';
      const first = await clientFor(server.url, doctor.session).post('/api/sync/push', {
        clientId: 'doctor-terminal',
        mutations: [{ mutationId, collection: 'treatment-records', op: 'update', id: record.id, baseVersion: 1, data: { diagnosis: secret, notes: 'clinical note' } }],
      });
      assert.equal(first.body.results[0].status, 'applied');

      const replay = await clientFor(server.url, desk.session).post('/api/sync/push', {
        clientId: 'desk-terminal',
        mutations: [{ mutationId, collection: 'patients', op: 'update', id: patient.id, baseVersion: 1, data: { phone: '+1 212 555 0100' } }],
      });
      assert.equal(replay.status, 200);
      const result = replay.body.results[0];
      assert.equal(result.status, 'rejected');
      assert.equal(result.code, 409);
      assert.equal(result.row ?? null, null);
      assert.doesNotMatch(replay.text, /confidential|clinical note|treatment-records|4711/);
      assert.ok(!replay.text.includes(record.id), 'not even the id of the row the first mutation wrote');
      // The receptionist's change was not applied under the taken id either.
      assert.equal((await server.api.get(`/api/patients/${patient.id}`)).body.version, 1);

      // The doctor's own replay still answers with the first result.
      const again = await clientFor(server.url, doctor.session).post('/api/sync/push', {
        clientId: 'doctor-terminal',
        mutations: [{ mutationId, collection: 'treatment-records', op: 'update', id: record.id, baseVersion: 1, data: { diagnosis: secret, notes: 'clinical note' } }],
      });
      assert.deepEqual(again.body.results, first.body.results);
    });
  });

  test('audit: 403s, reads of medicalHistory, and failed sign-ins as one row per username, address and minute', async () => {
    await withTestStorage(store, async (storage) => {
      const server = await startTestServer(storage.options);
      const doctor = await server.createUser('doctor');
      const desk = await server.createUser('receptionist');
      const patient = await createPatient(server.api, { medicalHistory: 'asthma since 2001' });
      const plain = await createPatient(server.api, { medicalHistory: '' });
      assert.equal((await clientFor(server.url, desk.session).get('/api/treatment-records')).status, 403);
      await clientFor(server.url, doctor.session).get(`/api/patients/${patient.id}`);
      await clientFor(server.url, doctor.session).get(`/api/patients/${plain.id}`);
      await clientFor(server.url, doctor.session).get('/api/sync/pull?collections=patients');
      await clientFor(server.url, desk.session).get(`/api/patients/${patient.id}`);
      for (let i = 0; i < 4; i++) {
        assert.equal((await request(server.url, 'POST', '/api/auth/login', { body: { username: desk.user.username, password: `nope-${i}` } })).status, 401);
      }
      const audit = (await server.api.get('/api/audit?limit=100')).body as Json[];
      assert.ok(audit.some((e) => e.action === 'forbidden' && e.username === desk.user.username && e.collection === 'treatment-records'));
      const reads = audit.filter((e) => e.action === 'read' && e.collection === 'patients');
      assert.ok(reads.some((e) => e.username === doctor.user.username && e.rowId === patient.id && /medicalHistory/.test(e.detail)), 'a get holding medicalHistory');
      assert.ok(!reads.some((e) => e.rowId === plain.id), 'an empty medicalHistory is no clinical read');
      assert.ok(reads.some((e) => e.username === doctor.user.username && /^pull of medicalHistory in 1 patient change/.test(e.detail)), 'a pull holding it');
      assert.ok(!reads.some((e) => e.username === desk.user.username), 'the front desk never receives it, so never reads it');
      await server.close();

      // Failed sign-ins are written as a summary per minute (at the latest when the server stops).
      await withTestServer(storage.options, async (again) => {
        const failed = ((await again.api.get('/api/audit?limit=200')).body as Json[]).filter((e) => e.action === 'login-failed' && e.username === desk.user.username);
        const total = failed.reduce((n, e) => n + Number(/^(\d+) failed sign-in/.exec(e.detail)?.[1] ?? 0), 0);
        assert.equal(total, 4);
        assert.ok(failed.length <= 2, `${failed.length} rows for 4 failures (one per minute they fell in)`);
        assert.match(failed[0].detail, /failed sign-ins? from \S+ in the minute from/);
      });
    });
  });
});

describe('secrets', () => {
  test('the signing key is a 0600 file in the data dir, not in the database; an old key in the database is moved out', async () => {
    await withTestStorage('sqlite', async (storage) => {
      const first = await startTestServer(storage.options);
      const file = signingKeyFile(first.dataDir);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      // As an older version left it: the key in the settings table, no key file.
      const legacy = (await readFile(file, 'utf8')).trim();
      const token = first.admin.accessToken;
      await first.server.store.write((tx) => tx.setSetting('jwt_secret', legacy));
      await first.close();
      const { rm } = await import('node:fs/promises');
      await rm(file);
      await withTestServer(storage.options, async (second) => {
        assert.equal(await second.server.store.getSetting('jwt_secret'), null, 'moved out of the database');
        assert.equal((await readFile(file, 'utf8')).trim(), legacy, 'into the key file');
        assert.equal((await clientFor(second.url, { accessToken: token }).get('/api/me')).status, 200, 'tokens already issued stay valid');
      });
    });
  });

  test('npm run rotate-key: the running server refuses tokens signed with the old key within seconds', async () => {
    await withTestServer({}, async (server) => {
      const old = server.admin.accessToken;
      assert.equal((await clientFor(server.url, { accessToken: old }).get('/api/me')).status, 200);
      await rotateSigningKey(server.dataDir);
      let status = 200;
      for (let i = 0; i < 50 && status === 200; i++) {
        await sleep(200);
        status = (await clientFor(server.url, { accessToken: old }).get('/api/me')).status;
      }
      assert.equal(status, 401);
      const fresh = await login(server.url, 'admin', server.adminPassword);
      assert.equal((await clientFor(server.url, fresh).get('/api/me')).status, 200);
    });
  });

  test("passwords: OWASP's scrypt cost by default; a weaker hash is upgraded on sign-in", async () => {
    assert.equal(OWASP_SCRYPT_LOG2_N, 17);
    assert.equal(new PasswordHasher().log2N, 17);
    await withTestStorage('sqlite', async (storage) => {
      const weak = await startTestServer({ ...storage.options, passwordHashLog2N: 14 });
      const { user, password } = await weak.createUser('assistant');
      assert.match((await weak.server.store.findUserByUsername(user.username))!.passwordHash, /^scrypt\$16384\$8\$1\$/);
      await weak.close();
      // The product's own default cost (no test override).
      await withTestServer({ ...storage.options, passwordHashLog2N: OWASP_SCRYPT_LOG2_N }, async (strong) => {
        await login(strong.url, user.username, password);
        assert.match((await strong.server.store.findUserByUsername(user.username))!.passwordHash, /^scrypt\$131072\$8\$1\$/);
        await login(strong.url, user.username, password);
        const audit = (await strong.api.get('/api/audit?limit=20')).body as Json[];
        assert.equal(audit.filter((e) => e.action === 'login' && e.username === user.username && e.detail === 'password hash upgraded').length, 1);
      });
    });
  });
});

describe('hostile input', () => {
  test('deep nesting, an overflowing invoice total and stock past its bounds: 400 naming the place', async () => {
    await withTestServer({}, async (server) => {
      const deepArray = await request(server.url, 'POST', '/api/auth/login', { rawBody: '['.repeat(100_000) + ']'.repeat(100_000) });
      assert.equal(deepArray.status, 400);
      assert.match(deepArray.body.error, /nested deeper than/);
      const deepObject = await request(server.url, 'POST', '/api/patients', { token: server.admin.accessToken, rawBody: '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000) });
      assert.equal(deepObject.status, 400);

      const patient = await createPatient(server.api);
      const lines = Array.from({ length: 200 }, () => ({ description: 'x', quantity: 10_000, unitPriceCents: 100_000_000_000 }));
      const overflow = await server.api.post('/api/invoices', { patientId: patient.id, lines });
      assert.equal(overflow.status, 400, overflow.text);
      assert.ok(overflow.body.details.some((d: Json) => d.path === 'lines'));
      assert.match(overflow.body.error, /total/);
      assert.equal(((await server.api.get('/api/invoices')).body as Json[]).length, 0);

      const item = await mustCreate(server.api, 'inventory', { name: 'Gauze', quantity: 9_999_999 });
      const past = await server.api.post(`/api/inventory/${item.id}/adjust`, { delta: 5 });
      assert.equal(past.status, 400);
      assert.ok(past.body.details.some((d: Json) => d.path === 'delta'));
    });
  });
});
