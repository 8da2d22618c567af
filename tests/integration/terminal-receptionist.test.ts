import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCacheKey, openEncrypted } from '../../main/cache/encryption';
import { keyFileKeystore } from '../../main/keystore/keyFile';
import { randomUUID } from 'node:crypto';
import { clientFor, startTestServer } from '../support/server';
import { startTerminal } from '../support/terminal';

/**
 * Every byte of the terminal's cache as the key holder sees it: the cache is encrypted at rest
 * (tests/integration/terminal-at-rest.test.ts), so a copy of it (with its WAL) is decrypted page
 * by page in place (rekey to no key keeps free pages where they are), then read whole.
 */
function rawBytes(dir: string): Buffer {
  const key = keyFileKeystore(dir).read('cache-key');
  assert.ok(isCacheKey(key));
  const copy = mkdtempSync(join(tmpdir(), 'cache-copy-'));
  try {
    for (const f of readdirSync(dir).filter((f) => f.startsWith('terminal-cache.sqlite'))) copyFileSync(join(dir, f), join(copy, f));
    const db = openEncrypted(join(copy, 'terminal-cache.sqlite'), key, { fileMustExist: true });
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
    db.pragma("rekey = ''");
    db.close();
    return Buffer.concat(readdirSync(copy).map((f) => readFileSync(join(copy, f))));
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

test('a receptionist’s terminal never stores clinical data, even after a doctor used it', async () => {
  const server = await startTestServer();
  try {
    const history = `SECRET-HISTORY-${randomUUID()}`;
    const laterHistory = `SECRET-LATER-${randomUUID()}`;
    const diagnosis = `SECRET-DIAGNOSIS-${randomUUID()}`;
    const doctor = await server.createUser('doctor');
    const receptionist = await server.createUser('receptionist');
    const patient = (await server.api.post('/api/patients', { firstName: 'Clara', lastName: 'Private', medicalHistory: history })).body as { id: string };
    const rec = await clientFor(server.url, doctor.session).post('/api/treatment-records', { patientId: patient.id, providerId: doctor.user.id, date: '2026-11-25', diagnosis });
    assert.equal(rec.status, 201);

    // Positive control: a doctor's cache does hold the clinical strings, so the byte search works.
    const t = await startTerminal({ serverUrl: server.url, mode: 'inprocess' });
    await t.login(doctor.user.username, doctor.password);
    await t.waitUntil(async () => (await t.call('data.list', { collection: 'treatment-records' })).length === 1, 10_000, 'doctor synced');
    await t.close();
    assert.ok(rawBytes(t.dataDir).includes(history), 'control: the doctor’s cache holds medicalHistory');

    // The same terminal, now the front desk.
    const r = await startTerminal({ serverUrl: server.url, dataDir: t.dataDir, mode: 'inprocess' });
    await r.call('session.logout', {});
    await r.login(receptionist.user.username, receptionist.password);
    await r.waitUntil(async () => (await r.call('data.list', { collection: 'patients' })).some((p) => p.id === patient.id), 10_000, 'receptionist synced');
    const seen = (await r.call('data.list', { collection: 'patients' })).find((p) => p.id === patient.id)!;
    assert.equal('medicalHistory' in seen, false);
    const records = await r.invoke('data.list', { collection: 'treatment-records' });
    assert.equal(records.ok ? 'ok' : records.error.code, 'forbidden');

    // A doctor elsewhere writes more history; the receptionist terminal gets the change, not the field.
    const current = (await server.api.get(`/api/patients/${patient.id}`)).body as { version: number };
    await server.api.patch(`/api/patients/${patient.id}`, { medicalHistory: laterHistory, phone: '+1 212 555 0199' }, current.version);
    await r.waitUntil(async () => (await r.call('data.list', { collection: 'patients' })).some((p) => p.phone === '+1 212 555 0199'), 10_000, 'update pulled');
    // The receptionist edits the patient too (their optimistic row and outbox entry must stay clean).
    const row = (await r.call('data.list', { collection: 'patients' })).find((p) => p.id === patient.id)!;
    await r.call('data.mutate', { op: 'update', collection: 'patients', id: patient.id, baseVersion: row.version as number, data: { address: '1 Main St' } });
    await r.waitUntil(async () => (await r.call('sync.now', {})).pending === 0, 10_000, 'pushed');
    await r.close();

    const bytes = rawBytes(r.dataDir);
    for (const secret of [history, laterHistory, diagnosis]) {
      assert.equal(bytes.includes(secret), false, `the receptionist's cache files contain ${secret.slice(0, 20)}`);
    }
    assert.ok(bytes.includes('1 Main St'), 'control: the receptionist’s own data is in the file');
  } finally {
    await server.close();
  }
});

test('a user whose role is changed to receptionist finds no clinical data left after signing in again', async () => {
  const server = await startTestServer();
  try {
    const history = `SECRET-DEMOTED-${randomUUID()}`;
    const person = await server.createUser('doctor');
    await server.api.post('/api/patients', { firstName: 'Dora', lastName: 'Demoted', medicalHistory: history });
    const t = await startTerminal({ serverUrl: server.url, mode: 'inprocess' });
    await t.login(person.user.username, person.password);
    await t.waitUntil(async () => (await t.call('data.list', { collection: 'patients' })).some((p) => p.medicalHistory === history), 10_000, 'doctor synced');
    await t.call('session.logout', {});

    const changed = await server.api.patch(`/api/users/${person.user.id}`, { role: 'receptionist' }, person.user.version);
    assert.equal(changed.status, 200, changed.text);
    await t.login(person.user.username, person.password);
    await t.waitUntil(async () => (await t.call('data.list', { collection: 'patients' })).length === 1, 10_000, 'synced as receptionist');
    assert.equal('medicalHistory' in (await t.call('data.list', { collection: 'patients' }))[0]!, false);
    await t.close();
    assert.equal(rawBytes(t.dataDir).includes(history), false, 'the cache file no longer holds the medical history');
  } finally {
    await server.close();
  }
});
