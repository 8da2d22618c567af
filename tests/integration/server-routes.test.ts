/** Every route of the contract against a real server on a free loopback port. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { clientFor, request, startTestServer, type ApiClient, type TestServer } from '../support/server';
import { createAppointment, createIssuedInvoice, createItem, createPatient, mustCreate } from '../support/clinic-fixtures';
import { storesUnderTest } from '../support/stores';

for (const store of storesUnderTest()) describe(store, () => {
  let server: TestServer;
  let api: ApiClient;
  let doctor: Awaited<ReturnType<TestServer['createUser']>>;
  let doctorApi: ApiClient;

  before(async () => {
    server = await startTestServer({ store });
    api = server.api;
    doctor = await server.createUser('doctor');
    doctorApi = clientFor(server.url, doctor.session);
  });
  after(() => server.close());

  test('GET /api/health answers without a token', async () => {
    const res = await request(server.url, 'GET', '/api/health');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  test('every other /api route needs a bearer token', async () => {
    for (const path of ['/api/patients', '/api/sync/pull', '/api/audit', '/api/me', '/api/users']) {
      const res = await request(server.url, 'GET', path);
      assert.equal(res.status, 401, path);
      assert.equal(typeof res.body.error, 'string');
    }
  });

  describe('auth', () => {
    test('login answers tokens and the public user, never a password', async () => {
      const res = await request(server.url, 'POST', '/api/auth/login', { body: { username: 'admin', password: server.adminPassword } });
      assert.equal(res.status, 200);
      assert.equal(typeof res.body.accessToken, 'string');
      assert.equal(typeof res.body.refreshToken, 'string');
      assert.deepEqual(Object.keys(res.body.user).sort(), ['displayName', 'id', 'role', 'username']);
      assert.equal(res.body.user.role, 'admin');
      assert.doesNotMatch(res.text, /password|scrypt/i);
    });

    test('wrong password and unknown user get the same 401', async () => {
      const wrong = await request(server.url, 'POST', '/api/auth/login', { body: { username: 'admin', password: 'nope-nope' } });
      const unknown = await request(server.url, 'POST', '/api/auth/login', { body: { username: 'ghost', password: 'nope-nope' } });
      assert.equal(wrong.status, 401);
      assert.equal(unknown.status, 401);
      assert.equal(wrong.body.error, unknown.body.error);
    });

    test('refresh rotates: the new pair works, the used refresh token does not', async () => {
      const first = await request(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken: doctor.session.refreshToken } });
      assert.equal(first.status, 200);
      assert.notEqual(first.body.refreshToken, doctor.session.refreshToken);
      const me = await request(server.url, 'GET', '/api/me', { token: first.body.accessToken });
      assert.equal(me.status, 200);
      assert.equal(me.body.id, doctor.user.id);
      const replay = await request(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken: doctor.session.refreshToken } });
      assert.equal(replay.status, 401);
      const next = await request(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
      assert.equal(next.status, 200);
    });

    test('logout ends its refresh token, is audited, and refuses a malformed body', async () => {
      const u = await server.createUser('receptionist');
      const out = await request(server.url, 'POST', '/api/auth/logout', { body: { refreshToken: u.session.refreshToken } });
      assert.equal(out.status, 204);
      const refresh = await request(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.session.refreshToken } });
      assert.equal(refresh.status, 401);
      // A second logout with the same token, or an unknown one, is answered alike.
      const again = await request(server.url, 'POST', '/api/auth/logout', { body: { refreshToken: u.session.refreshToken } });
      assert.equal(again.status, 204);
      const bad = await request(server.url, 'POST', '/api/auth/logout', { body: { token: 'x' } });
      assert.equal(bad.status, 400);
      assert.equal(typeof bad.body.error, 'string');
      const audit = await api.get('/api/audit?limit=20');
      const ended = audit.body.filter((e: { action: string; username: string | null }) => e.action === 'logout' && e.username === u.user.username);
      assert.equal(ended.length, 1);
    });

    test('a deactivated user can neither log in nor use an old token', async () => {
      const u = await server.createUser('assistant');
      const patch = await api.patch(`/api/users/${u.user.id}`, { active: false }, u.user.version);
      assert.equal(patch.status, 200);
      assert.equal(patch.body.active, false);
      const login = await request(server.url, 'POST', '/api/auth/login', { body: { username: u.user.username, password: u.password } });
      assert.equal(login.status, 401);
      const old = await clientFor(server.url, u.session).get('/api/patients');
      assert.equal(old.status, 401);
      const refresh = await request(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken: u.session.refreshToken } });
      assert.equal(refresh.status, 401);
    });
  });

  describe('users (admin only)', () => {
    test('POST /api/users creates a user whose password is never sent back', async () => {
      const res = await api.post('/api/users', { username: 'nurse.joy', displayName: 'Joy', role: 'assistant', password: 'long-enough-pw' });
      assert.equal(res.status, 201);
      assert.equal(res.body.username, 'nurse.joy');
      assert.equal(res.body.version, 1);
      assert.doesNotMatch(res.text, /password|long-enough-pw|scrypt/);
      const list = await api.get('/api/users');
      assert.equal(list.status, 200);
      assert.ok(list.body.some((u: { id: string }) => u.id === res.body.id));
      assert.doesNotMatch(list.text, /password|scrypt/);
      const one = await api.get(`/api/users/${res.body.id}`);
      assert.equal(one.status, 200);
      const dup = await api.post('/api/users', { username: 'NURSE.JOY', displayName: 'Joy 2', role: 'assistant', password: 'long-enough-pw' });
      assert.equal(dup.status, 409);
    });

    test('an admin can reset a password', async () => {
      const u = await server.createUser('receptionist');
      const res = await api.post(`/api/users/${u.user.id}/password`, { password: 'brand-new-password' });
      assert.equal(res.status, 204);
      const login = await request(server.url, 'POST', '/api/auth/login', { body: { username: u.user.username, password: 'brand-new-password' } });
      assert.equal(login.status, 200);
    });
  });

  describe('collections: list, get, create, update, delete', () => {
    test('patients', async () => {
      const created = await createPatient(api, { firstName: 'Grace' });
      assert.equal(created.version, 1);
      assert.equal(created.updatedBy, server.admin.user.id);
      assert.match(created.updatedAt, /Z$/);
      const one = await api.get(`/api/patients/${created.id}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, created);
      const patched = await api.patch(`/api/patients/${created.id}`, { phone: '+49 30 8929225' }, 1);
      assert.equal(patched.status, 200);
      assert.equal(patched.body.version, 2);
      assert.equal(patched.body.phone, '+49 30 8929225');
      const list = await api.get('/api/patients');
      assert.ok(list.body.some((p: { id: string; version: number }) => p.id === created.id && p.version === 2));
      const del = await api.del(`/api/patients/${created.id}`);
      assert.equal(del.status, 204);
      assert.equal((await api.get(`/api/patients/${created.id}`)).status, 404);
      assert.ok(!(await api.get('/api/patients')).body.some((p: { id: string }) => p.id === created.id));
      assert.equal((await api.del(`/api/patients/${created.id}`)).status, 404);
      assert.equal((await api.patch(`/api/patients/${created.id}`, { phone: '+49 30 1088411' }, 2)).status, 404);
    });

    test('a client may choose the id on create', async () => {
      const id = randomUUID();
      const created = await createPatient(api, { id });
      assert.equal(created.id, id);
      const again = await api.post('/api/patients', { id, firstName: 'X', lastName: 'Y' });
      assert.equal(again.status, 409);
    });

    test('appointments, treatment records, referrals', async () => {
      const patient = await createPatient(api);
      const appt = await createAppointment(api, patient.id, doctor.user.id, { room: 'Room 9' });
      assert.equal(appt.status, 'scheduled');
      assert.equal((await api.get(`/api/appointments/${appt.id}`)).status, 200);
      const moved = await api.patch(`/api/appointments/${appt.id}`, { status: 'arrived' }, appt.version);
      assert.equal(moved.status, 200);
      assert.equal(moved.body.status, 'arrived');

      const record = await doctorApi.post('/api/treatment-records', {
        patientId: patient.id, providerId: doctor.user.id, appointmentId: appt.id, date: '2026-12-01', diagnosis: 'Flu',
      });
      assert.equal(record.status, 201);
      assert.equal((await doctorApi.get(`/api/treatment-records/${record.body.id}`)).body.diagnosis, 'Flu');
      assert.ok((await doctorApi.get('/api/treatment-records')).body.some((r: { id: string }) => r.id === record.body.id));
      const edited = await doctorApi.patch(`/api/treatment-records/${record.body.id}`, { prescriptions: 'Rest' }, 1);
      assert.equal(edited.status, 200);
      assert.equal((await doctorApi.del(`/api/treatment-records/${record.body.id}`)).status, 204);

      const referral = await mustCreate(api, 'referrals', { patientId: patient.id, direction: 'outgoing', provider: 'City Cardiology', date: '2026-12-02' });
      assert.equal(referral.status, 'draft');
      assert.equal((await api.patch(`/api/referrals/${referral.id}`, { status: 'sent' }, 1)).body.status, 'sent');
      assert.equal((await api.get('/api/referrals')).status, 200);
      assert.equal((await api.del(`/api/referrals/${referral.id}`)).status, 204);
      assert.equal((await api.del(`/api/appointments/${appt.id}`)).status, 204);
    });

    test('invoices derive totalCents and paidCents; payments settle them', async () => {
      const patient = await createPatient(api);
      const invoice = await createIssuedInvoice(api, patient.id);
      assert.equal(invoice.totalCents, 10000);
      assert.equal(invoice.paidCents, 0);
      const pay = await api.post('/api/payments', { invoiceId: invoice.id, amountCents: 10000, method: 'card', receivedAt: '2026-12-01T10:00:00+01:00' });
      assert.equal(pay.status, 201);
      assert.equal((await api.get(`/api/payments/${pay.body.id}`)).status, 200);
      assert.ok((await api.get('/api/payments')).body.some((p: { id: string }) => p.id === pay.body.id));
      const paid = await api.get(`/api/invoices/${invoice.id}`);
      assert.equal(paid.body.status, 'paid');
      assert.equal(paid.body.paidCents, 10000);
      assert.ok((await api.get('/api/invoices')).body.some((i: { id: string }) => i.id === invoice.id));
    });

    test('inventory: lowStock is derived; adjust applies a delta', async () => {
      const item = await createItem(api, { quantity: 5, reorderLevel: 3 });
      assert.equal(item.lowStock, false);
      const adj = await api.post(`/api/inventory/${item.id}/adjust`, { delta: -2, reason: 'used' });
      assert.equal(adj.status, 200);
      assert.equal(adj.body.quantity, 3);
      assert.equal(adj.body.lowStock, true);
      assert.equal(adj.body.version, 2);
      const set = await api.patch(`/api/inventory/${item.id}`, { reorderLevel: 1 }, 1);
      assert.equal(set.status, 200, 'a field the adjustment did not touch merges');
      assert.equal(set.body.lowStock, false);
      assert.equal((await api.post(`/api/inventory/${randomUUID()}/adjust`, { delta: 1 })).status, 404);
    });

    test('missing rows are 404', async () => {
      for (const c of ['patients', 'appointments', 'treatment-records', 'invoices', 'payments', 'inventory', 'referrals', 'users']) {
        assert.equal((await doctorApi.get(`/api/${c}/${randomUUID()}`)).status, c === 'users' ? 403 : 404, c);
        assert.equal((await api.get(`/api/${c}/${randomUUID()}`)).status, 404, c);
      }
    });

    test('GET /api/me and GET /api/audit', async () => {
      const me = await doctorApi.get('/api/me');
      assert.deepEqual(me.body, { id: doctor.user.id, username: doctor.user.username, displayName: doctor.user.displayName, role: 'doctor' });
      const audit = await api.get('/api/audit?limit=5');
      assert.equal(audit.status, 200);
      assert.equal(audit.body.length, 5);
      assert.ok(audit.body[0].seq > audit.body[4].seq, 'newest first');
    });

    test('unknown routes are a JSON 404', async () => {
      const res = await api.get('/api/nothing-here');
      assert.equal(res.status, 404);
      assert.equal(typeof res.body.error, 'string');
    });
  });
});
