/**
 * Two server instances on one PostgreSQL database, as behind a load balancer, with 20 concurrent
 * writers pushing through both while a terminal-like puller pulls through both:
 * no skipped or repeated change, no double booking, exact stock arithmetic, idempotent replays,
 * and a write through one instance pokes the live clients of the other.
 * Skipped, with one line saying so, when DATABASE_URL is not set.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { clientFor, startTestServer, type ApiClient, type Json, type TestServer } from '../support/server';
import { createPatient, mustCreate, patientBody } from '../support/clinic-fixtures';
import { postgresUrlForTests, testStorage } from '../support/stores';

const baseUrl = postgresUrlForTests();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens the live socket and resolves with a function that waits for the next poke. */
function openLive(server: TestServer): Promise<{ nextPoke: () => Promise<{ cursor: string; at: number }>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const url = new URL('/api/sync/live', server.url.replace(/^http/, 'ws'));
    const ws = new WebSocket(url);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token: server.admin.accessToken })));
    const pokes: { cursor: string; at: number }[] = [];
    const waiters: ((p: { cursor: string; at: number }) => void)[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Json;
      if (m.type === 'ready') {
        resolve({
          nextPoke: () =>
            new Promise((res, rej) => {
              const queued = pokes.shift();
              if (queued) return res(queued);
              const timer = setTimeout(() => rej(new Error('no poke within 5 s')), 5000);
              waiters.push((p) => {
                clearTimeout(timer);
                res(p);
              });
            }),
          close: () => ws.close(),
        });
      }
      if (m.type !== 'poke') return;
      const poke = { cursor: String(m.cursor), at: performance.now() };
      const w = waiters.shift();
      if (w) w(poke);
      else pokes.push(poke);
    });
    ws.once('error', reject);
  });
}

describe('two server instances on one PostgreSQL database', { skip: baseUrl === null }, () => {
  let one: TestServer;
  let two: TestServer;
  let apis: ApiClient[];
  let doctorId: string;
  let patientId: string;

  before(async () => {
    one = await startTestServer({ store: 'postgres' });
    // One data dir for both, as instances share the token signing key in production.
    two = await startTestServer({ databaseUrl: one.databaseUrl, dataDir: one.dataDir });
    apis = [one.api, two.api];
    const doctor = await one.createUser('doctor');
    doctorId = doctor.user.id;
    patientId = (await createPatient(two.api)).id;
  });

  after(async () => {
    await two?.close();
    await one?.close(); // the instance that made the schema drops it
  });

  test('a write through one instance pokes live clients of the other', async () => {
    const onTwo = await openLive(two);
    const onOne = await openLive(one);
    const timings: { cross: number; same: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const sent = performance.now();
      const created = await one.api.post('/api/patients', patientBody({ lastName: `Poke ${i}` }));
      assert.equal(created.status, 201);
      const [cross, same] = await Promise.all([onTwo.nextPoke(), onOne.nextPoke()]);
      const head = await two.api.get(`/api/sync/pull?since=${encodeURIComponent(cross.cursor)}`);
      assert.equal(head.body.changes.length, 0, 'the poke named a cursor that includes the write');
      const pulled = await two.api.get(`/api/sync/pull?since=${Number(cross.cursor) - 1}`);
      assert.ok(pulled.body.changes.some((c: Json) => c.id === created.body.id));
      assert.equal(cross.cursor, same.cursor);
      timings.push({ cross: cross.at - sent, same: same.at - sent });
      await sleep(150); // let per-socket poke coalescing settle between rounds
    }
    onOne.close();
    onTwo.close();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `  poke after a write (median of 5): same instance ${median(timings.map((t) => t.same)).toFixed(1)} ms, ` +
        `other instance ${median(timings.map((t) => t.cross)).toFixed(1)} ms`,
    );
  });

  test('20 concurrent writers on two instances: pulls skip and repeat nothing, no double booking, exact stock, idempotent replays', async () => {
    const item = await mustCreate(one.api, 'inventory', { name: 'Saline', quantity: 40, reorderLevel: 5 });
    let cursor = '';
    for (;;) {
      const page = (await one.api.get(`/api/sync/pull?since=${cursor}&limit=5000`)).body;
      cursor = page.cursor;
      if (!page.hasMore) break;
    }

    // The puller: alternating instances, small pages, records every change it gets.
    const pulled: { key: string; id: string; version: number }[] = [];
    let writing = true;
    const puller = (async () => {
      let turn = 0;
      for (;;) {
        const done = !writing;
        const api = apis[turn++ % 2]!;
        const page = await api.get(`/api/sync/pull?since=${cursor}&limit=25`);
        assert.equal(page.status, 200);
        for (const c of page.body.changes as Json[]) {
          pulled.push({ key: `${c.collection}/${c.id}@${c.version}`, id: c.id, version: c.version });
        }
        cursor = page.body.cursor;
        if (!page.body.hasMore) {
          if (done) return;
          await sleep(Math.random() * 5);
        }
      }
    })();

    const replayed = { mutationId: randomUUID(), collection: 'patients', op: 'create', id: randomUUID(), data: patientBody({ lastName: 'Replay' }) };
    // Ten contested slots; every writer tries every slot (different rooms, same doctor).
    const slotStart = (s: number) => new Date(Date.UTC(2027, 2, 1, 8 + s, 0)).toISOString();
    const slotEnd = (s: number) => new Date(Date.UTC(2027, 2, 1, 8 + s, 45)).toISOString();
    const deltas: number[] = [];
    const appliedDeltas: number[] = [];
    const replayResults: Json[] = [];
    const bookings: Json[] = [];
    const createdPatients: string[] = [];

    const writers = Array.from({ length: 20 }, async (_, w) => {
      const api = apis[w % 2]!;
      for (let round = 0; round < 10; round++) {
        const patient = randomUUID();
        const delta = (w + round) % 4 === 0 ? 5 : -2;
        const mutations = [
          { mutationId: randomUUID(), collection: 'patients', op: 'create', id: patient, data: patientBody({ lastName: `W${w}R${round}` }) },
          { mutationId: randomUUID(), collection: 'inventory', op: 'adjust', id: item.id, data: { delta } },
          {
            mutationId: randomUUID(),
            collection: 'appointments',
            op: 'create',
            id: randomUUID(),
            data: { patientId, providerId: doctorId, room: `Room ${w}`, start: slotStart(round), end: slotEnd(round) },
          },
          replayed,
        ];
        const res = await api.post('/api/sync/push', { clientId: `writer-${w}`, mutations });
        assert.equal(res.status, 200, res.text);
        const [p, adjust, booking, replay] = res.body.results as Json[];
        assert.equal(p.status, 'applied');
        createdPatients.push(patient);
        deltas.push(delta);
        if (adjust.status === 'applied') appliedDeltas.push(delta);
        else assert.equal(adjust.code, 409, 'only a take below 0 is refused');
        bookings.push({ round, ...booking });
        replayResults.push(replay);
      }
    });
    await Promise.all(writers);
    writing = false;
    await puller;

    // Idempotent replays: one patient, 200 identical answers.
    assert.equal(replayResults[0].status, 'applied');
    for (const r of replayResults) assert.deepEqual(r, replayResults[0]);
    const replayPulls = pulled.filter((p) => p.id === replayed.id);
    assert.equal(replayPulls.length, 1, 'the replayed create reached the log once');

    // No double booking: exactly one booking per contested slot, and the stored day agrees.
    for (let round = 0; round < 10; round++) {
      const forSlot = bookings.filter((b) => b.round === round);
      assert.equal(forSlot.filter((b) => b.status === 'applied').length, 1, `slot ${round}`);
      for (const b of forSlot.filter((x) => x.status !== 'applied')) assert.equal(b.code, 409);
    }
    const appointments = (await two.api.get('/api/appointments')).body as Json[];
    const ofDoctor = appointments.filter((a) => a.providerId === doctorId && a.status !== 'cancelled');
    for (const a of ofDoctor) {
      for (const b of ofDoctor) {
        if (a.id !== b.id) assert.ok(!(Date.parse(a.start) < Date.parse(b.end) && Date.parse(b.start) < Date.parse(a.end)), 'no overlap');
      }
    }

    // Exact stock arithmetic.
    const finalItem = (await one.api.get(`/api/inventory/${item.id}`)).body;
    assert.equal(finalItem.quantity, 40 + appliedDeltas.reduce((s, d) => s + d, 0));
    assert.equal(finalItem.version, 1 + appliedDeltas.length);
    assert.ok(appliedDeltas.length < deltas.length, 'some takes were refused at 0 (the test reached the floor)');

    // The puller: nothing twice, every created patient exactly once, each row's versions rising,
    // and each row's last pulled version is its final version (no change skipped for good).
    const keys = pulled.map((p) => p.key);
    assert.equal(new Set(keys).size, keys.length, 'no change pulled twice');
    for (const id of createdPatients) assert.equal(pulled.filter((p) => p.id === id).length, 1);
    const lastVersion = new Map<string, number>();
    for (const p of pulled) {
      const before = lastVersion.get(p.id) ?? 0;
      assert.ok(p.version > before, `versions of ${p.id} only rise in pull order`);
      lastVersion.set(p.id, p.version);
    }
    assert.equal(lastVersion.get(item.id), finalItem.version, 'the stock item reached its final version');
    const applied = bookings.filter((b) => b.status === 'applied');
    for (const b of applied) assert.equal(lastVersion.get(b.row.id), 1);
    console.log(
      `  ${deltas.length} pushes of 4 mutations by 20 writers; ${pulled.length} changes pulled; ` +
        `${appliedDeltas.length}/${deltas.length} stock adjustments applied; quantity ${finalItem.quantity}`,
    );
  });

  test('a refresh token works once even when both instances are asked at the same time', async () => {
    const login = await clientFor(one.url).post('/api/auth/login', { username: 'admin', password: one.adminPassword });
    const refreshToken = login.body.refreshToken as string;
    const answers = await Promise.all([one, two, one, two].map((s) => clientFor(s.url).post('/api/auth/refresh', { refreshToken })));
    assert.equal(answers.filter((a) => a.status === 200).length, 1);
    for (const a of answers.filter((x) => x.status !== 200)) assert.equal(a.status, 401);
  });

  test('failed sign-ins are counted across instances: 5 spread over both lock the username on both', async () => {
    const { user } = await one.createUser('receptionist');
    const attempt = (s: TestServer) => clientFor(s.url).post('/api/auth/login', { username: user.username, password: 'wrong-password' });
    const statuses: number[] = [];
    for (const s of [one, two, one, two, one]) statuses.push((await attempt(s)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
    assert.equal((await attempt(two)).status, 429);
    assert.equal((await attempt(one)).status, 429);
  });

  test('two instances starting at once on an empty database: one admin, one token key', async () => {
    const storage = await testStorage('postgres');
    const started = await Promise.allSettled([startTestServer(storage.options), startTestServer(storage.options)]);
    try {
      for (const s of started) assert.equal(s.status, 'fulfilled', s.status === 'rejected' ? String(s.reason) : '');
      const [x, y] = started.map((s) => (s as PromiseFulfilledResult<TestServer>).value) as [TestServer, TestServer];
      // A token signed by one instance is accepted by the other.
      assert.equal((await clientFor(y.url, x.admin).get('/api/patients')).status, 200);
      assert.equal((await clientFor(x.url, y.admin).get('/api/patients')).status, 200);
      const users = (await x.api.get('/api/users')).body as Json[];
      assert.equal(users.filter((u) => u.username === 'admin').length, 1);
    } finally {
      for (const s of started) if (s.status === 'fulfilled') await s.value.close();
      await storage.cleanup();
    }
  });
});
