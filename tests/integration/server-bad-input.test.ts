/**
 * A table of bad requests: each is answered 4xx (never 500) with a body naming the problem, and
 * nothing is written (live row counts and the change-log head are unchanged). Plus auth abuse:
 * missing, forged and expired tokens, and login throttling.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { signingKeyFile } from '../../server/auth/signingKey';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { clientFor, request, serverPerSuite, setUpPerSuite, type Json } from '../support/server';
import { createIssuedInvoice, createItem, createPatient, patientBody, writtenState } from '../support/clinic-fixtures';
import { storesUnderTest } from '../support/stores';

for (const store of storesUnderTest()) describe(store, () => {
  const { server, api } = serverPerSuite({ store });
  const clinic = setUpPerSuite(async () => {
    const patient = await createPatient(api);
    const item = await createItem(api, { quantity: 5 });
    const invoice = await createIssuedInvoice(api, patient.id);
    return { patient, item, invoice };
  });
  /** Admin tokens the server must refuse: one past its expiry, one signed with another key. */
  const tokens = setUpPerSuite(async () => {
    // The signing key lives in the data dir's key file, never in the database.
    assert.equal(await server.server.store.getSetting('jwt_secret'), null);
    const secret = Buffer.from((await readFile(signingKeyFile(server.dataDir), 'utf8')).trim(), 'base64url');
    const claims = { role: 'admin' };
    const expired = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(server.admin.user.id).setIssuer('clinic-desk')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(secret);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(server.admin.user.id).setIssuer('clinic-desk')
      .setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode('not-the-server-secret-not-the-server-secret'));
    return { expired, forged };
  });

  interface BadCase {
    name: string;
    method: string;
    path: () => string;
    body?: () => unknown;
    rawBody?: () => string;
    headers?: Record<string, string>;
    token?: () => string | undefined;
    status: number;
    /** A field the answer's details must name. */
    names?: string;
  }

  const huge = () => JSON.stringify(patientBody({ notes: 'x'.repeat(1_100_000) }));

  const cases: BadCase[] = [
    { name: 'malformed JSON', method: 'POST', path: () => '/api/patients', rawBody: () => '{"firstName": "A",', status: 400 },
    { name: 'JSON that is not an object', method: 'POST', path: () => '/api/patients', rawBody: () => '[1,2]', status: 400 },
    { name: 'wrong type', method: 'POST', path: () => '/api/patients', body: () => patientBody({ firstName: 42 }), status: 400, names: 'firstName' },
    { name: 'missing required field', method: 'POST', path: () => '/api/patients', body: () => ({ firstName: 'A' }), status: 400, names: 'lastName' },
    { name: 'unknown field', method: 'POST', path: () => '/api/patients', body: () => patientBody({ shoeSize: 44 }), status: 400, names: 'shoeSize' },
    { name: 'impossible date 2026-02-30', method: 'POST', path: () => '/api/patients', body: () => patientBody({ dateOfBirth: '2026-02-30' }), status: 400, names: 'dateOfBirth' },
    { name: 'time without offset', method: 'POST', path: () => '/api/appointments', body: () => ({ patientId: clinic.patient.id, providerId: server.admin.user.id, start: '2026-12-01T09:00:00', end: '2026-12-01T09:30:00Z' }), status: 400, names: 'start' },
    { name: 'enum out of range', method: 'POST', path: () => '/api/patients', body: () => patientBody({ sex: 'robot' }), status: 400, names: 'sex' },
    { name: 'negative cents in invoice lines', method: 'POST', path: () => '/api/invoices', body: () => ({ patientId: clinic.patient.id, lines: [{ description: 'X', quantity: 1, unitPriceCents: -100 }] }), status: 400, names: 'lines.0.unitPriceCents' },
    { name: 'negative payment', method: 'POST', path: () => '/api/payments', body: () => ({ invoiceId: clinic.invoice.id, amountCents: -5, receivedAt: '2026-12-01T09:00:00Z' }), status: 400, names: 'amountCents' },
    { name: 'fractional cents', method: 'POST', path: () => '/api/payments', body: () => ({ invoiceId: clinic.invoice.id, amountCents: 10.5, receivedAt: '2026-12-01T09:00:00Z' }), status: 400, names: 'amountCents' },
    { name: 'negative stock', method: 'POST', path: () => '/api/inventory', body: () => ({ name: 'X', quantity: -1 }), status: 400, names: 'quantity' },
    { name: 'unknown field in adjust', method: 'POST', path: () => `/api/inventory/${clinic.item.id}/adjust`, body: () => ({ delta: -1, by: 'me' }), status: 400, names: 'by' },
    { name: 'string delta', method: 'POST', path: () => `/api/inventory/${clinic.item.id}/adjust`, body: () => ({ delta: '-1' }), status: 400, names: 'delta' },
    { name: 'huge body (> 1 MiB)', method: 'POST', path: () => '/api/patients', rawBody: huge, status: 400 },
    { name: 'too long text', method: 'POST', path: () => '/api/patients', body: () => patientBody({ notes: 'x'.repeat(20_001) }), status: 400, names: 'notes' },
    { name: 'empty update', method: 'PATCH', path: () => `/api/patients/${clinic.patient.id}`, body: () => ({}), headers: { 'if-match': '1' }, status: 400 },
    { name: 'update with unknown field', method: 'PATCH', path: () => `/api/patients/${clinic.patient.id}`, body: () => ({ phone: '+49 30 1088411', version: 9 }), headers: { 'if-match': '1' }, status: 400, names: 'version' },
    { name: 'update with wrong type', method: 'PATCH', path: () => `/api/patients/${clinic.patient.id}`, body: () => ({ dateOfBirth: 19850101 }), headers: { 'if-match': '1' }, status: 400, names: 'dateOfBirth' },
    { name: 'id that is not a UUID', method: 'GET', path: () => '/api/patients/not-a-uuid', status: 400, names: 'id' },
    { name: 'client id that is not a UUID', method: 'POST', path: () => '/api/patients', body: () => patientBody({ id: 'abc' }), status: 400, names: 'id' },
    { name: 'unknown query parameter', method: 'GET', path: () => '/api/patients?secret=1', status: 400 },
    { name: 'not JSON content type', method: 'POST', path: () => '/api/patients', rawBody: () => 'firstName=A', headers: { 'content-type': 'text/plain' }, status: 400 },
    { name: 'push with a bad mutation id', method: 'POST', path: () => '/api/sync/push', body: () => ({ clientId: 't', mutations: [{ mutationId: 'x', collection: 'patients', op: 'create', id: randomUUID(), data: patientBody() }] }), status: 400, names: 'mutations.0.mutationId' },
    { name: 'push of an unknown collection', method: 'POST', path: () => '/api/sync/push', body: () => ({ clientId: 't', mutations: [{ mutationId: randomUUID(), collection: 'pets', op: 'create', id: randomUUID(), data: {} }] }), status: 400, names: 'mutations.0.collection' },
    { name: 'push with unknown field', method: 'POST', path: () => '/api/sync/push', body: () => ({ clientId: 't', mutations: [], extra: 1 }), status: 400, names: 'extra' },
    { name: 'user with short password', method: 'POST', path: () => '/api/users', body: () => ({ username: 'shorty', displayName: 'S', role: 'doctor', password: 'short' }), status: 400, names: 'password' },
    { name: 'user with unknown role', method: 'POST', path: () => '/api/users', body: () => ({ username: 'rolly', displayName: 'R', role: 'janitor', password: 'long-password' }), status: 400, names: 'role' },
    { name: 'missing token', method: 'POST', path: () => '/api/patients', body: () => patientBody(), token: () => undefined, status: 401 },
    { name: 'forged token', method: 'POST', path: () => '/api/patients', body: () => patientBody(), token: () => tokens.forged, status: 401 },
    { name: 'expired token', method: 'POST', path: () => '/api/patients', body: () => patientBody(), token: () => tokens.expired, status: 401 },
    { name: 'garbage token', method: 'POST', path: () => '/api/patients', body: () => patientBody(), token: () => 'abc.def.ghi', status: 401 },
    { name: 'login with unknown field', method: 'POST', path: () => '/api/auth/login', body: () => ({ username: 'admin', password: 'x', remember: true }), token: () => undefined, status: 400, names: 'remember' },
    { name: 'NUL character in text', method: 'POST', path: () => '/api/patients', body: () => patientBody({ lastName: 'Love\u0000lace' }), status: 400, names: 'lastName' },
    { name: 'NUL character in a pushed mutation', method: 'POST', path: () => '/api/sync/push', body: () => ({ clientId: 't', mutations: [{ mutationId: randomUUID(), collection: 'patients', op: 'create', id: randomUUID(), data: patientBody({ notes: '\u0000' }) }] }), status: 400, names: 'mutations.0.data.notes' },
    { name: 'NUL character in a login name', method: 'POST', path: () => '/api/auth/login', body: () => ({ username: 'ad\u0000min', password: 'x' }), token: () => undefined, status: 400, names: 'username' },
    { name: 'refresh with a made-up token', method: 'POST', path: () => '/api/auth/refresh', body: () => ({ refreshToken: 'made-up' }), token: () => undefined, status: 401 },
  ];

  test('bad inputs: 4xx naming the problem, nothing written', async () => {
    const before = await writtenState(api);
    const rows: string[] = [];
    for (const c of cases) {
      const token = c.token ? c.token() : server.admin.accessToken;
      const res = await request(server.url, c.method, c.path(), { token, body: c.body?.(), rawBody: c.rawBody?.(), headers: c.headers });
      rows.push(`${String(res.status).padEnd(4)} ${c.name}: ${res.body?.error ?? res.text}`.slice(0, 160));
      assert.equal(res.status, c.status, `${c.name}: ${res.text.slice(0, 300)}`);
      assert.equal(typeof res.body?.error, 'string', `${c.name} has an error message`);
      if (c.names) {
        const paths = (res.body.details ?? []).map((d: { path: string }) => d.path).join(' | ');
        assert.ok(paths.includes(c.names), `${c.name}: details ${paths} name ${c.names}`);
      }
    }
    console.log(rows.join('\n'));
    assert.deepEqual(await writtenState(api), before);
  });

  test('the huge-body answer names the size limit', async () => {
    const res = await request(server.url, 'POST', '/api/patients', { token: server.admin.accessToken, rawBody: huge() });
    assert.equal(res.status, 400);
    assert.match(res.body.error, /1 MiB|1048576/);
  });

  test('login throttling: 429 after repeated failures for one username, other users unaffected', async () => {
    const victim = await server.createUser('receptionist');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await request(server.url, 'POST', '/api/auth/login', { body: { username: victim.user.username, password: 'wrong-guess' } })).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    const right = await request(server.url, 'POST', '/api/auth/login', { body: { username: victim.user.username, password: victim.password } });
    assert.equal(right.status, 429, 'locked even with the right password');
    assert.ok(Number(right.headers.get('retry-after')) > 0);
    const other = await request(server.url, 'POST', '/api/auth/login', { body: { username: 'admin', password: server.adminPassword } });
    assert.equal(other.status, 200);
  });

  test('a refused push mutation writes no row and no change', async () => {
    const before = await writtenState(api);
    const res = await clientFor(server.url, server.admin).post('/api/sync/push', {
      clientId: 't',
      mutations: [
        { mutationId: randomUUID(), collection: 'patients', op: 'create', id: randomUUID(), data: patientBody({ dateOfBirth: '2026-02-30' }) },
        { mutationId: randomUUID(), collection: 'inventory', op: 'adjust', id: clinic.item.id, data: { delta: -50 } },
        { mutationId: randomUUID(), collection: 'patients', op: 'update', id: clinic.patient.id, data: { phone: '+49 30 1088411' } },
      ],
    });
    assert.deepEqual(res.body.results.map((r: Json) => [r.status, r.code]), [['rejected', 400], ['rejected', 409], ['rejected', 428]]);
    assert.deepEqual(await writtenState(api), before);
  });
});
