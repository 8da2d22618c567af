/** `--demo`: a realistic, deterministic demo clinic, quickly; and `npm run server` itself. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findClash } from '../../shared/domain/rules';
import { demoStaff, DEMO_PASSWORD } from '../../server/demo/clinic';
import { clientFor, login, startTestServer, type Json } from '../support/server';
import { storesUnderTest } from '../support/stores';

async function snapshot(url: string, token: string) {
  const api = clientFor(url, { accessToken: token });
  const out: Record<string, Json[]> = {};
  for (const c of ['users', 'patients', 'appointments', 'treatment-records', 'invoices', 'payments', 'inventory', 'referrals']) {
    out[c] = (await api.get(`/api/${c}`)).body;
  }
  return out;
}

for (const store of storesUnderTest()) test(`--demo fills an empty store deterministically and quickly (${store})`, async () => {
  const a = await startTestServer({ store, demo: true });
  const b = await startTestServer({ store, demo: true });
  try {
    const demo = a.server.demo!;
    console.log(`demo seed: ${demo.millis} ms and ${b.server.demo!.millis} ms; ${JSON.stringify(demo.counts)}`);
    assert.ok(demo.millis < 10_000, 'well under the 10 s budget');
    const first = await snapshot(a.url, a.admin.accessToken);
    const second = await snapshot(b.url, b.admin.accessToken);
    // The admin is created at first start, so only its timestamp differs.
    for (const snap of [first, second]) for (const u of snap.users!) if (u.username === 'admin') delete u.updatedAt;
    assert.deepEqual(first, second, 'two demo clinics are identical');

    assert.equal(first.patients!.length, 2000);
    assert.equal(first.inventory!.length, 150);
    assert.ok(first.inventory!.some((i) => i.lowStock) && first.inventory!.some((i) => !i.lowStock));
    assert.ok(first.referrals!.length > 0 && first['treatment-records']!.length > 0 && first.payments!.length > 0);
    const roles = first.users!.map((u) => u.role).sort();
    assert.deepEqual(roles, ['admin', 'assistant', 'assistant', 'doctor', 'doctor', 'doctor', 'receptionist', 'receptionist']);
    for (const name of new Set(first.patients!.map((p) => p.lastName)).values()) assert.match(name, /^\p{L}/u);
    // No double bookings, by provider or room.
    const appts = first.appointments!;
    assert.ok(appts.length > 200);
    for (const x of appts) assert.equal(findClash(x, appts), undefined);
    // Invoices are consistent with their payments.
    for (const inv of first.invoices!) {
      const paid = first.payments!.filter((p) => p.invoiceId === inv.id).reduce((s, p) => s + p.amountCents, 0);
      assert.equal(inv.paidCents, paid);
    }
    // Demo staff log in with the documented password and can pull the demo.
    const doctor = await login(a.url, demoStaff[0]!.username, DEMO_PASSWORD);
    const page = await clientFor(a.url, doctor).get('/api/sync/pull?limit=1000');
    assert.equal(page.body.changes.length, 1000);
    assert.equal(page.body.hasMore, true);
  } finally {
    await a.close();
    await b.close();
  }
});

test('npm run server -- --demo prints its address and answers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'clinic-cli-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', '--demo', '--port', '0', '--data-dir', dir, '--log-level', 'warn'], {
    cwd: join(import.meta.dirname, '..', '..'),
    // The embedded store, even when the suite runs with DATABASE_URL set.
    env: { ...process.env, CLINIC_ADMIN_PASSWORD: 'cli-admin-password', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address printed: ${out}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    assert.match(out, /demo clinic seeded in \d+ ms/);
    assert.match(out, new RegExp(DEMO_PASSWORD));
    const health = await fetch(`${url}/api/health`);
    assert.equal(health.status, 200);
    const session = await login(url, 'admin', 'cli-admin-password');
    assert.equal(session.user.role, 'admin');
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, 'graceful shutdown exits 0');
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('a DATABASE_URL the server cannot use stops it with a clear message', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', '--port', '0'], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/clinic_desk_no_such_database' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 2);
  assert.match(err, /clinic server: could not start: .*(clinic_desk_no_such_database|ECONNREFUSED)/);
});
