/** The live channel: pokes after commits, auth, coalescing, clean shutdown. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { runMutation } from '../../server/mutations/run';
import { clientFor, startTestServer, type Json, type TestServer } from '../support/server';
import { createPatient, mustCreate } from '../support/clinic-fixtures';
import { storesUnderTest } from '../support/stores';
import { liveChangesMax, liveCloseUnauthorized } from '../../shared/sync/protocol';

for (const store of storesUnderTest()) describe(store, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ store });
  });
  after(() => server.close());

  function liveUrl(): string {
    return new URL('/api/sync/live', server.url.replace(/^http/, 'ws')).toString();
  }

  /** A socket that queues what it receives, so no message is lost between awaits; signs in with `token` as its first message. */
  function open(url: string, token?: string): Promise<{ ws: WebSocket; next: (timeoutMs?: number) => Promise<Json>; messages: Json[]; closed: Promise<{ code: number }> }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const messages: Json[] = [];
      const waiters: ((m: Json) => void)[] = [];
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString());
        const w = waiters.shift();
        if (w) w(m);
        else messages.push(m);
      });
      const closed = new Promise<{ code: number }>((r) => ws.on('close', (code) => r({ code })));
      const next = (timeoutMs = 3000) =>
        new Promise<Json>((res, rej) => {
          const queued = messages.shift();
          if (queued) return res(queued);
          const timer = setTimeout(() => rej(new Error('no message in time')), timeoutMs);
          waiters.push((m) => {
            clearTimeout(timer);
            res(m);
          });
        });
      ws.once('open', () => {
        if (token !== undefined) ws.send(JSON.stringify({ type: 'auth', token }));
        resolve({ ws, next, messages, closed });
      });
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  test('connect, sign in with the first message, write, receive a poke with the new cursor', async () => {
    const live = await open(liveUrl(), server.admin.accessToken);
    const ready = await live.next();
    assert.equal(ready.type, 'ready');
    const started = performance.now();
    await createPatient(server.api);
    const poke = await live.next();
    const ms = performance.now() - started;
    assert.equal(poke.type, 'poke');
    assert.ok(Number(poke.cursor) > Number(ready.cursor));
    const head = await server.api.get(`/api/sync/pull?since=${ready.cursor}`);
    assert.equal(poke.cursor, head.body.cursor, 'the poke names the cursor after the write');
    console.log(`live poke ${ms.toFixed(1)} ms after the write was sent`);
    live.ws.close();
  });

  test('token in the first message works; a bad token is refused', async () => {
    const live = await open(liveUrl());
    live.ws.send(JSON.stringify({ type: 'auth', token: server.admin.accessToken }));
    assert.equal((await live.next()).type, 'ready');
    live.ws.send(JSON.stringify({ type: 'ping' }));
    assert.equal((await live.next()).type, 'heartbeat');
    live.ws.close();

    // A token in the URL is refused before the upgrade: URLs end up in access and proxy logs.
    await assert.rejects(open(`${liveUrl()}?token=${server.admin.accessToken}`), (e: Error & { status?: number }) => e.status === 400);

    const bad = await open(liveUrl());
    bad.ws.send(JSON.stringify({ type: 'auth', token: 'nope' }));
    const msg = await bad.next();
    assert.equal(msg.type, 'error');
    assert.equal((await bad.closed).code, 4401);
  });

  test('a burst of writes is coalesced and ends with the latest cursor', async () => {
    const live = await open(liveUrl(), server.admin.accessToken);
    await live.next();
    const writes = 30;
    // Straight through the store, so the 30 commits land back to back (no HTTP in between).
    const actor = { id: server.admin.user.id, username: 'admin', role: 'admin' as const };
    await Promise.all(
      Array.from({ length: writes }, (_, i) =>
        runMutation(server.server.store, actor, { collection: 'patients', op: 'create', id: randomUUID(), data: { firstName: `Burst${i}`, lastName: 'B' } }),
      ),
    );
    const head = (await server.api.get('/api/sync/pull?since=0&limit=5000')).body.cursor;
    const pokes: Json[] = [];
    while (pokes.at(-1)?.cursor !== head) pokes.push(await live.next());
    assert.ok(pokes.every((p) => p.type === 'poke'));
    assert.ok(pokes.length < writes / 2, `${pokes.length} pokes for ${writes} writes`);
    console.log(`${pokes.length} pokes for ${writes} concurrent writes`);
    for (let i = 1; i < pokes.length; i++) assert.ok(Number(pokes[i].cursor) > Number(pokes[i - 1].cursor));
    live.ws.close();
  });

  test('shutdown closes live sockets with 1001', async () => {
    const own = await startTestServer({ store });
    const url = new URL('/api/sync/live', own.url.replace(/^http/, 'ws'));
    const live = await open(url.toString(), own.admin.accessToken);
    await live.next();
    await own.close();
    assert.equal((await live.closed).code, 1001);
  });

  test('a deactivated user\'s live socket is closed at the next heartbeat; a colleague\'s stays open', async () => {
    const own = await startTestServer({ store, liveHeartbeatMs: 100 });
    try {
      const leaving = await own.createUser('receptionist');
      const staying = await own.createUser('receptionist');
      const socketOf = async (token: string) => {
        const url = new URL('/api/sync/live', own.url.replace(/^http/, 'ws'));
        const live = await open(url.toString(), token);
        assert.equal((await live.next()).type, 'ready');
        return live;
      };
      const gone = await socketOf(leaving.session.accessToken);
      // A second socket of the same session is checked again too.
      const goneToo = await socketOf(leaving.session.accessToken);
      const kept = await socketOf(staying.session.accessToken);

      const patch = await own.api.patch(`/api/users/${leaving.user.id}`, { active: false }, leaving.user.version);
      assert.equal(patch.status, 200, patch.text);
      // Heartbeats every 100 ms: closed well within 5 s, or not at all.
      const closeCode = (live: { closed: Promise<{ code: number }> }) =>
        Promise.race([live.closed.then((c) => c.code), new Promise<string>((r) => setTimeout(() => r('still open after 5 s'), 5000))]);
      assert.equal(await closeCode(gone), liveCloseUnauthorized);
      assert.equal(await closeCode(goneToo), liveCloseUnauthorized);
      // Heartbeats keep coming to the colleague still signed in.
      for (let i = 0; i < 3; i++) if ((await kept.next()).type !== 'heartbeat') i--;
      assert.equal(kept.ws.readyState, WebSocket.OPEN);
      kept.ws.close();
    } finally {
      await own.close();
    }
  });

  test('ready comes first, even when heartbeats and a commit come while the head is being read', async () => {
    const own = await startTestServer({ store, liveHeartbeatMs: 10 });
    const clinicStore = own.server.store;
    const readHead = clinicStore.headCursor.bind(clinicStore);
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let reached!: () => void;
      const headRead = new Promise<void>((r) => (reached = r));
      clinicStore.headCursor = async () => {
        const head = await readHead();
        reached();
        await held;
        return head;
      };
      const url = new URL('/api/sync/live', own.url.replace(/^http/, 'ws'));
      const live = await open(url.toString(), own.admin.accessToken);
      await headRead;
      await createPatient(own.api);
      await new Promise((r) => setTimeout(r, 60)); // several heartbeat intervals
      clinicStore.headCursor = readHead;
      release();
      const ready = await live.next();
      assert.equal(ready.type, 'ready');
      let next = await live.next();
      while (next.type === 'heartbeat') next = await live.next();
      assert.equal(next.type, 'poke', 'the commit made before ready is poked after it');
      assert.ok(Number(next.cursor) > Number(ready.cursor));
      live.ws.close();
    } finally {
      clinicStore.headCursor = readHead;
      await own.close();
    }
  });

  describe('pokes that carry the changes (?changes=1)', () => {
    function changesUrl(): string {
      const url = new URL(liveUrl());
      url.searchParams.set('changes', '1');
      return url.toString();
    }
    /** The next poke, skipping heartbeats. */
    async function nextPoke(live: { next: (ms?: number) => Promise<Json> }): Promise<Json> {
      for (;;) {
        const m = await live.next();
        if (m.type === 'poke') return m;
      }
    }

    test('a poke holds exactly what a pull since the cursor last told gives, role-filtered; without the parameter, a plain poke', async () => {
      const { session: front } = await server.createUser('receptionist');
      const { session: doctorSession } = await server.createUser('doctor');
      const plain = await open(liveUrl(), server.admin.accessToken);
      const reception = await open(changesUrl(), front.accessToken);
      const doctor = await open(changesUrl(), doctorSession.accessToken);
      const readies = await Promise.all([plain.next(), reception.next(), doctor.next()]);
      assert.deepEqual(readies.map((m) => m.type), ['ready', 'ready', 'ready']);
      const from = readies[1].cursor;

      const patient = await createPatient(server.api, { medicalHistory: 'asthma since 2001' });
      const receptionPoke = await nextPoke(reception);
      assert.equal(receptionPoke.from, from, 'the changes start at the cursor the socket was told');
      const pulled = await clientFor(server.url, front).get(`/api/sync/pull?since=${from}`);
      assert.deepEqual({ changes: receptionPoke.changes, cursor: receptionPoke.cursor }, { changes: pulled.body.changes, cursor: pulled.body.cursor });
      const mine = receptionPoke.changes.find((c: Json) => c.id === patient.id);
      assert.equal(mine.row.firstName, patient.firstName);
      assert.ok(!('medicalHistory' in mine.row), 'the front desk never receives the clinical field, live either');

      const doctorPoke = await nextPoke(doctor);
      assert.equal(doctorPoke.changes.find((c: Json) => c.id === patient.id).row.medicalHistory, 'asthma since 2001');

      const plainPoke = await nextPoke(plain);
      assert.deepEqual(Object.keys(plainPoke).sort(), ['cursor', 'type'], 'the contract\'s poke, for terminals that did not ask');

      // The next poke follows on from the last one.
      await createPatient(server.api);
      assert.equal((await nextPoke(reception)).from, receptionPoke.cursor);
      for (const live of [plain, reception, doctor]) live.ws.close();
    });

    test('treatment records in a poke are audited as a read by the user they went to', async () => {
      const { user, session } = await server.createUser('doctor');
      const live = await open(changesUrl(), session.accessToken);
      await live.next();
      const patient = await createPatient(server.api);
      await nextPoke(live);
      const record = await mustCreate(clientFor(server.url, session), 'treatment-records', { patientId: patient.id, providerId: user.id, date: '2026-11-20', diagnosis: 'otitis' });
      const poke = await nextPoke(live);
      assert.ok(poke.changes.some((c: Json) => c.id === record.id));
      const audit = (await server.api.get('/api/audit?limit=50')).body as Json[];
      assert.ok(
        audit.some((e) => e.action === 'read' && e.username === user.username && e.rowId === record.id && /^live update of 1 treatment record/.test(e.detail)),
        'the live read is in the audit log',
      );
      live.ws.close();
    });

    test('one user\'s many sockets each get the same poke, and each is audited as a read of its own', async () => {
      const { user, session } = await server.createUser('doctor');
      const { session: front } = await server.createUser('receptionist');
      const doctors = await Promise.all([1, 2, 3].map(() => open(changesUrl(), session.accessToken)));
      const reception = await open(changesUrl(), front.accessToken);
      await Promise.all([...doctors, reception].map((live) => live.next()));
      const patient = await createPatient(server.api, { medicalHistory: 'penicillin allergy' });
      const pokes = await Promise.all(doctors.map((live) => nextPoke(live)));
      assert.equal(new Set(pokes.map((p) => JSON.stringify(p))).size, 1, 'one poke text for the sockets of one role and cursor');
      assert.equal(pokes[0].changes.find((c: Json) => c.id === patient.id).row.medicalHistory, 'penicillin allergy');
      assert.ok(!('medicalHistory' in (await nextPoke(reception)).changes.find((c: Json) => c.id === patient.id).row));
      const audit = (await server.api.get('/api/audit?limit=100')).body as Json[];
      const reads = audit.filter((e) => e.action === 'read' && e.username === user.username && e.rowId === patient.id && /^live update of medicalHistory in 1 patient/.test(e.detail));
      assert.equal(reads.length, 3, 'a read audited per socket that received it');
      assert.ok(!audit.some((e) => e.action === 'read' && e.rowId === patient.id && e.username !== user.username), 'the front desk read no clinical field');
      for (const live of [...doctors, reception]) live.ws.close();
    });

    test('more changes than a poke holds, or a session that ended, get a plain poke', async () => {
      const own = await startTestServer({ store, liveHeartbeatMs: 60_000 });
      try {
        const ownUrl = () => {
          const url = new URL('/api/sync/live', own.url.replace(/^http/, 'ws'));
          url.searchParams.set('changes', '1');
          return url.toString();
        };
        const live = await open(ownUrl(), own.admin.accessToken);
        await live.next();
        // The first poke's read waits until every write is in, so it meets all of them at once.
        const clinicStore = own.server.store;
        const pullSince = clinicStore.pullSince.bind(clinicStore);
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        clinicStore.pullSince = async (args) => {
          await held;
          return pullSince(args);
        };
        const actor = { id: own.admin.user.id, username: 'admin', role: 'admin' as const };
        try {
          for (let i = 0; i < liveChangesMax + 20; i++) {
            await runMutation(clinicStore, actor, { collection: 'patients', op: 'create', id: randomUUID(), data: { firstName: `Many${i}`, lastName: 'M' } });
          }
        } finally {
          clinicStore.pullSince = pullSince;
          release();
        }
        const head = (await own.api.get('/api/sync/pull?since=0&limit=5000')).body.cursor;
        const pokes: Json[] = [];
        while (pokes.at(-1)?.cursor !== head) pokes.push(await nextPoke(live));
        assert.equal(pokes[0].changes, undefined, 'more than a poke holds: a plain poke, so the terminal pulls');
        assert.ok(pokes.every((p) => p.changes === undefined || p.changes.length <= liveChangesMax));
        live.ws.close();

        // Deactivated: the socket stays open until the next heartbeat, but no data reaches it.
        const leaving = await own.createUser('receptionist');
        const gone = await open(ownUrl(), leaving.session.accessToken);
        await gone.next();
        const patch = await own.api.patch(`/api/users/${leaving.user.id}`, { active: false }, leaving.user.version);
        assert.equal(patch.status, 200, patch.text);
        await createPatient(own.api);
        let poke = await nextPoke(gone);
        while (poke.cursor !== (await own.api.get('/api/sync/pull?since=0&limit=5000')).body.cursor) poke = await nextPoke(gone);
        assert.deepEqual(Object.keys(poke).sort(), ['cursor', 'type']);
        gone.ws.close();
      } finally {
        await own.close();
      }
    });
  });

  test('heartbeats arrive on their interval without any traffic', async () => {
    const own = await startTestServer({ store, liveHeartbeatMs: 100 });
    try {
      const url = new URL('/api/sync/live', own.url.replace(/^http/, 'ws'));
      const live = await open(url.toString(), own.admin.accessToken);
      assert.equal((await live.next()).type, 'ready');
      const beats = [await live.next(), await live.next()];
      for (const b of beats) {
        assert.equal(b.type, 'heartbeat');
        assert.ok(!Number.isNaN(Date.parse(b.at)));
      }
      live.ws.close();
    } finally {
      await own.close();
    }
  });
});
