/** Each role's limits, in REST answers and in sync. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { serverPerSuite, type ApiClient, type Json } from '../support/server';
import { createPatient, mustCreate } from '../support/clinic-fixtures';
import { storesUnderTest } from '../support/stores';

for (const store of storesUnderTest()) describe(store, () => {
  const { server, api: admin, staff } = serverPerSuite({ store });
  let doctor: ApiClient;
  let doctorId: string;
  let assistant: ApiClient;
  let reception: ApiClient;

  before(async () => {
    ({ api: doctor, id: doctorId } = await staff('doctor'));
    assistant = (await staff('assistant')).api;
    reception = (await staff('receptionist')).api;
  });

  async function pullAll(api: ApiClient): Promise<{ changes: Json[]; cursor: string }> {
    let cursor = '';
    const changes: Json[] = [];
    for (;;) {
      const page = await api.get(`/api/sync/pull?since=${cursor}&limit=3`);
      assert.equal(page.status, 200);
      changes.push(...page.body.changes);
      cursor = page.body.cursor;
      if (!page.body.hasMore) return { changes, cursor };
    }
  }

  test('receptionists get 403 on treatment records, every method', async () => {
    const patient = await createPatient(admin);
    const record = await mustCreate(doctor, 'treatment-records', { patientId: patient.id, providerId: doctorId, date: '2026-11-20', diagnosis: 'secret' });
    assert.equal((await reception.get('/api/treatment-records')).status, 403);
    assert.equal((await reception.get(`/api/treatment-records/${record.id}`)).status, 403);
    assert.equal((await reception.post('/api/treatment-records', { patientId: patient.id, providerId: doctorId, date: '2026-11-20' })).status, 403);
    assert.equal((await reception.patch(`/api/treatment-records/${record.id}`, { notes: 'x' }, 1)).status, 403);
    assert.equal((await reception.del(`/api/treatment-records/${record.id}`)).status, 403);
    assert.equal((await doctor.get(`/api/treatment-records/${record.id}`)).body.diagnosis, 'secret');
  });

  test('receptionists never receive medicalHistory: REST or pull', async () => {
    const patient = await createPatient(admin, { medicalHistory: 'diabetes type 2' });
    const one = await reception.get(`/api/patients/${patient.id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.firstName, patient.firstName);
    assert.ok(!('medicalHistory' in one.body));
    const list = await reception.get('/api/patients');
    assert.doesNotMatch(list.text, /medicalHistory|diabetes/);
    const created = await reception.post('/api/patients', { firstName: 'Walk', lastName: 'In' });
    assert.equal(created.status, 201);
    assert.ok(!('medicalHistory' in created.body));
    const patched = await reception.patch(`/api/patients/${patient.id}`, { phone: '+49 30 3995174' }, patient.version);
    assert.equal(patched.status, 200);
    assert.ok(!('medicalHistory' in patched.body));
    // A conflict answer carries the current row: redacted too.
    const conflict = await reception.patch(`/api/patients/${patient.id}`, { phone: '+49 30 6836555' }, patient.version);
    assert.equal(conflict.status, 409);
    assert.ok(conflict.body.current && !('medicalHistory' in conflict.body.current));
    // Writing it is refused.
    assert.equal((await reception.patch(`/api/patients/${patient.id}`, { medicalHistory: 'x' }, 2)).status, 403);
    assert.equal((await reception.post('/api/patients', { firstName: 'A', lastName: 'B', medicalHistory: 'x' })).status, 403);

    const pulled = await pullAll(reception);
    assert.doesNotMatch(JSON.stringify(pulled.changes), /medicalHistory|diabetes/);
    assert.ok(pulled.changes.some((c) => c.collection === 'patients' && c.id === patient.id));
    assert.ok(!pulled.changes.some((c) => c.collection === 'treatment-records'));
    // Users travel as a staff directory with public fields only.
    const users = pulled.changes.filter((c) => c.collection === 'users');
    assert.ok(users.length >= 4);
    for (const u of users) assert.deepEqual(Object.keys(u.row).sort(), ['active', 'displayName', 'id', 'role', 'updatedAt', 'updatedBy', 'username', 'version']);

    const clinical = await pullAll(doctor);
    assert.ok(clinical.changes.some((c) => c.collection === 'patients' && c.row?.medicalHistory === 'diabetes type 2'));
  });

  test("a receptionist's cursor advances past treatment records it may not see", async () => {
    const patient = await createPatient(admin);
    const { cursor: before } = await pullAll(reception);
    await mustCreate(doctor, 'treatment-records', { patientId: patient.id, providerId: doctorId, date: '2026-11-21' });
    const page = await reception.get(`/api/sync/pull?since=${before}`);
    assert.equal(page.body.changes.length, 0);
    assert.equal(page.body.hasMore, false);
    assert.ok(Number(page.body.cursor) > Number(before), 'cursor moved past the hidden change');
    const head = await doctor.get(`/api/sync/pull?since=${before}`);
    assert.equal(head.body.cursor, page.body.cursor);
  });

  test('users are admin only', async () => {
    for (const api of [doctor, assistant, reception]) {
      assert.equal((await api.get('/api/users')).status, 403);
      assert.equal((await api.post('/api/users', { username: 'x.y', displayName: 'X', role: 'admin', password: 'long-password' })).status, 403);
      assert.equal((await api.patch(`/api/users/${doctorId}`, { displayName: 'Hacked' }, 1)).status, 403);
      assert.equal((await api.del(`/api/users/${doctorId}`)).status, 403);
      assert.equal((await api.get('/api/audit')).status, 403);
    }
    const push = await reception.post('/api/sync/push', {
      clientId: 't1',
      mutations: [{ mutationId: randomUUID(), collection: 'users', op: 'update', id: doctorId, baseVersion: 1, data: { role: 'admin' } }],
    });
    assert.equal(push.body.results[0].status, 'rejected');
    assert.equal(push.body.results[0].code, 403);
  });

  test('delete permissions follow the role table', async () => {
    const patient = await createPatient(admin);
    assert.equal((await reception.del(`/api/patients/${patient.id}`)).status, 403);
    assert.equal((await doctor.del(`/api/patients/${patient.id}`)).status, 403);
    assert.equal((await assistant.del(`/api/patients/${patient.id}`)).status, 403);
    const appt = await mustCreate(reception, 'appointments', { patientId: patient.id, providerId: doctorId, start: '2026-12-24T09:00:00Z', end: '2026-12-24T09:30:00Z' });
    assert.equal((await doctor.del(`/api/appointments/${appt.id}`)).status, 403);
    assert.equal((await reception.del(`/api/appointments/${appt.id}`)).status, 204);
    const referral = await mustCreate(reception, 'referrals', { patientId: patient.id, direction: 'incoming', provider: 'X', date: '2026-12-01' });
    assert.equal((await reception.del(`/api/referrals/${referral.id}`)).status, 403);
    assert.equal((await doctor.del(`/api/referrals/${referral.id}`)).status, 204);
    const record = await mustCreate(assistant, 'treatment-records', { patientId: patient.id, providerId: doctorId, date: '2026-11-22' });
    assert.equal((await assistant.del(`/api/treatment-records/${record.id}`)).status, 403);
    assert.equal((await admin.post('/api/treatment-records', { patientId: patient.id, providerId: doctorId, date: '2026-11-22' })).status, 403, 'admins read but do not write clinical records');
    assert.equal((await admin.del(`/api/treatment-records/${record.id}`)).status, 204);
    assert.equal((await admin.del(`/api/patients/${patient.id}`)).status, 204);
  });

  test('the audit log records writes and every read of treatment records', async () => {
    const patient = await createPatient(admin);
    const record = await mustCreate(doctor, 'treatment-records', { patientId: patient.id, providerId: doctorId, date: '2026-11-23' });
    await assistant.get(`/api/treatment-records/${record.id}`);
    await assistant.get('/api/treatment-records');
    await doctor.get('/api/sync/pull?collections=treatment-records');
    const audit = (await server.api.get('/api/audit?limit=10')).body as Json[];
    const [pull, list, get, create] = audit.filter((e) => e.collection === 'treatment-records');
    assert.equal(create.action, 'create');
    assert.equal(create.rowId, record.id);
    assert.equal(get.action, 'read');
    assert.equal(get.rowId, record.id);
    assert.equal(list.action, 'read');
    assert.match(list.detail, /list/);
    assert.equal(pull.action, 'read');
    assert.match(pull.detail, /pull/);
    assert.ok(audit.some((e) => e.action === 'create' && e.collection === 'patients' && e.rowId === patient.id));
    for (let i = 1; i < audit.length; i++) assert.ok(audit[i - 1].seq > audit[i].seq, 'newest first');
    const limited = await server.api.get('/api/audit?limit=2');
    assert.equal(limited.body.length, 2);
  });
});
