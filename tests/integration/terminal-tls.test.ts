/**
 * TLS between terminals and the server: a terminal with the server's certificate fingerprint
 * pinned signs in, pushes, pulls and hears live pokes over https/wss; a terminal pinned to another
 * certificate sends nothing and says why; an unpinned terminal trusts the certificate only on an
 * admin's first sign-in. And `npm run server` off loopback speaks https unless --insecure-http.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { clientFor, startTestServer, type Json, type TestServer } from '../support/server';
import { startTerminal } from '../support/terminal';

const otherFingerprint = Array.from({ length: 32 }, (_, i) => ((i * 37) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');

describe('terminals over TLS with a pinned certificate', () => {
  let server: TestServer;
  let fingerprint: string;
  before(async () => {
    server = await startTestServer({ tls: true });
    assert.match(server.url, /^https:\/\//);
    fingerprint = server.server.tls!.fingerprint;
  });
  after(() => server.close());

  test('the admin API shows the fingerprint the server printed', async () => {
    const info = await server.api.get('/api/server');
    assert.deepEqual(info.body, { transport: 'https', certificateFingerprint: fingerprint, certificateSource: 'generated' });
    const { session } = await server.createUser('doctor');
    assert.equal((await clientFor(server.url, session).get('/api/server')).status, 403);
  });

  test('a pinned terminal syncs over https and hears live pokes over wss', async () => {
    const { user, password } = await server.createUser('receptionist');
    const log: string[] = [];
    const t = await startTerminal({ serverUrl: server.url, serverFingerprint: fingerprint.replace(/:/g, '').toLowerCase(), mode: 'inprocess', log: (l) => log.push(l) });
    try {
      await t.login(user.username, password);
      // The first download's snapshot comes in on its own thread, held to the same pinned certificate.
      await t.waitUntil(async () => (await t.call('sync.status', {})).initialSync.done, 10_000, 'first download over https');
      assert.ok(log.some((l) => /first download: snapshot part of [\d.]+ MB came in/.test(l)), `the snapshot came over https:\n${log.join('\n')}`);
      assert.ok(!log.some((l) => /snapshot thread cannot run/.test(l)), log.join('\n'));
      await t.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Over', lastName: 'Tls' } });
      await t.waitUntil(async () => (await t.call('sync.now', {})).pending === 0, 10_000, 'pushed over https');
      const names = ((await server.api.get('/api/patients')).body as Json[]).map((p) => p.firstName);
      assert.ok(names.includes('Over'));
      await t.waitUntil(async () => (await t.call('sync.status', {})).connection === 'live', 10_000, 'live channel up over wss');
      const made = await server.api.post('/api/patients', { firstName: 'Poked', lastName: 'Live' });
      await t.waitUntil(async () => (await t.call('data.list', { collection: 'patients' })).some((p) => p.id === made.body.id), 5_000, 'the poke over wss brought the row');
      assert.equal((await t.call('settings.get', {})).serverFingerprint, fingerprint);
    } finally {
      await t.close();
    }
  });

  test('a terminal pinned to the clinic server refuses an impostor with another certificate, sends it nothing and says why', async () => {
    // Another server on the network with its own (self-signed) certificate and the same admin password.
    const impostor = await startTestServer({ tls: true });
    const t = await startTerminal({ serverUrl: impostor.url, serverFingerprint: fingerprint, mode: 'inprocess' });
    const logins = async () => ((await impostor.api.get('/api/audit?limit=200')).body as Json[]).filter((e) => e.action === 'login').length;
    const before = await logins();
    try {
      const answer = await t.invoke('session.login', { username: 'admin', password: impostor.adminPassword });
      assert.equal(answer.ok, false);
      const message = (answer as { error: { message: string } }).error.message;
      assert.match(message, new RegExp(`presented a certificate with SHA-256 fingerprint ${impostor.server.tls!.fingerprint}, but this terminal trusts only ${fingerprint}`));
      assert.match(message, /Refusing to connect/);
      assert.equal(await logins(), before, 'the password never reached the impostor');
      assert.equal((await t.call('settings.get', {})).serverFingerprint, fingerprint, 'the pin stays');
    } finally {
      await t.close();
      await impostor.close();
    }
  });

  test('a terminal pinned to a fingerprint no server has is refused the same way', async () => {
    const { user, password } = await server.createUser('doctor');
    const t = await startTerminal({ serverUrl: server.url, serverFingerprint: otherFingerprint, mode: 'inprocess' });
    try {
      const answer = await t.invoke('session.login', { username: user.username, password });
      assert.equal(answer.ok, false);
      assert.match((answer as { error: { message: string } }).error.message, /trusts only/);
    } finally {
      await t.close();
    }
  });

  test('unpinned: trust on first use by an admin only', async () => {
    const { user, password } = await server.createUser('assistant');
    const t = await startTerminal({ serverUrl: server.url, mode: 'inprocess' });
    try {
      const refused = await t.invoke('session.login', { username: user.username, password });
      assert.equal(refused.ok, false);
      assert.match((refused as { error: { message: string } }).error.message, /does not trust the clinic server's certificate yet: an admin must sign in/);
      assert.equal((await t.call('settings.get', {})).serverFingerprint, undefined, 'nothing pinned yet');

      await t.login('admin', server.adminPassword);
      assert.equal((await t.call('settings.get', {})).serverFingerprint, fingerprint, "the admin's sign-in pinned the certificate");
      const info = await t.call('admin.serverInfo', {});
      assert.equal(info.certificateFingerprint, fingerprint);
      await t.call('session.logout', {});
      await t.login(user.username, password);
    } finally {
      await t.close();
    }
  });
});

/** Runs `npm run server` until it prints its listening line; returns what it printed. */
async function startLines(args: string[]): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'clinic-tls-cli-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...args], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { ...process.env, CLINIC_ADMIN_PASSWORD: 'cli-test-password' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line within 60 s: ${out}`)), 60_000);
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (/listening on/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
    await rm(dataDir, { recursive: true, force: true });
  }
  return out;
}

test('npm run server off loopback: https with a printed fingerprint; plain http only with --insecure-http, said at start', async () => {
  const secure = await startLines(['--host', '0.0.0.0']);
  assert.match(secure, /listening on https:\/\//);
  assert.match(secure, /certificate SHA-256 fingerprint \(terminals pin it\): ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  const plain = await startLines(['--host', '0.0.0.0', '--insecure-http']);
  assert.match(plain, /listening on http:\/\//);
  assert.match(plain, /--insecure-http: plain http .*UNENCRYPTED/);
  const loopback = await startLines([]);
  assert.match(loopback, /listening on http:\/\/127\.0\.0\.1:/);
});
