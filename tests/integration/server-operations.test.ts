/**
 * What a clinic's IT runs the server with: readiness that follows the store, Prometheus metrics,
 * and one demo seeding when two instances start at once.
 */
import assert from 'node:assert/strict';
import { rename } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { startClinicServer } from '../../server/app';
import { request, startTestServer } from '../support/server';
import { createTestSchema, postgresUrlForTests, storesUnderTest, testStorage } from '../support/stores';
import { startTerminal } from '../support/terminal';
import { waitForLive, waitForSyncIdle } from './terminal-helpers';

async function readiness(url: string): Promise<number> {
  return (await request(url, 'GET', '/health/ready')).status;
}

async function waitForStatus(url: string, status: number, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await readiness(url);
    if (got === status) return;
    if (Date.now() > until) assert.fail(`/health/ready stayed ${got}, expected ${status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('sqlite: /health/ready fails while the store file is gone, /health/live and /api/health do not', async () => {
  const server = await startTestServer();
  try {
    assert.equal(await readiness(server.url), 200);
    const file = join(server.dataDir, 'clinic.db');
    await rename(file, `${file}.away`);
    const down = await request(server.url, 'GET', '/health/ready');
    assert.equal(down.status, 503);
    assert.equal(down.body.status, 'unavailable');
    assert.match(down.body.error, /clinic\.db is gone/);
    assert.equal((await request(server.url, 'GET', '/health/live')).status, 200);
    assert.deepEqual((await request(server.url, 'GET', '/api/health')).body, { status: 'ok' });
    await rename(`${file}.away`, file);
    assert.equal(await readiness(server.url), 200);
  } finally {
    await server.close();
  }
});

/** A TCP hop between the server and PostgreSQL that the test can cut, as a network failure would. */
async function cuttableProxy(target: URL): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server;
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const port = await listen(0);
  const cut = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  };
  return { port, cut, restore: async () => void (await listen(port)), close: cut };
}

test('postgres: /health/ready fails while PostgreSQL cannot be reached, and recovers', { skip: postgresUrlForTests() === null && 'needs DATABASE_URL' }, async () => {
  const schema = await createTestSchema(postgresUrlForTests()!);
  const direct = new URL(schema.url);
  const proxy = await cuttableProxy(direct);
  const viaProxy = new URL(schema.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const server = await startTestServer({ databaseUrl: viaProxy.toString() });
  try {
    assert.equal(await readiness(server.url), 200);
    await proxy.cut();
    const down = await request(server.url, 'GET', '/health/ready');
    assert.equal(down.status, 503, 'ready fails while the store is down');
    assert.equal((await request(server.url, 'GET', '/health/live')).status, 200, 'the process itself is alive');
    await proxy.restore();
    await waitForStatus(server.url, 200);
  } finally {
    await server.close().catch(() => undefined);
    await proxy.close();
    await schema.drop();
  }
});

/** `name{labels} value` lines of the Prometheus text format. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

test('/metrics serves connected terminals, pushes, pulls, commit latency, change-log head and live backlog', async () => {
  const server = await startTestServer();
  const terminal = await startTerminal({ serverUrl: server.url, mode: 'inprocess', name: 'metrics' });
  try {
    const { user, password } = await server.createUser('receptionist');
    await terminal.login(user.username, password);
    await waitForLive([terminal]);
    await terminal.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Metric', lastName: 'Patient' } });
    await waitForSyncIdle([terminal]);

    const res = await request(server.url, 'GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const m = samples(res.text);
    for (const name of ['clinic_sync_pushes_total', 'clinic_sync_pulls_total', 'clinic_commit_duration_seconds', 'clinic_change_log_head', 'clinic_live_terminals', 'clinic_live_backlog_pokes', 'clinic_live_backlog_bytes']) {
      assert.match(res.text, new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'), `${name} is served`);
    }
    assert.equal(m.get('clinic_live_terminals'), 1);
    assert.ok(m.get('clinic_sync_pushes_total{outcome="ok"}')! >= 1);
    assert.ok(m.get('clinic_sync_pulls_total{outcome="ok"}')! >= 1);
    assert.ok(m.get('clinic_commit_duration_seconds_count')! >= 2, 'the user and the patient were written');
    assert.equal(m.get('clinic_change_log_head'), Number(await server.server.store.headCursor()));
    assert.equal(m.get('clinic_live_backlog_pokes'), 0);
    assert.ok(m.has('clinic_process_resident_memory_bytes') || m.has('clinic_nodejs_heap_size_used_bytes'), 'process metrics too');
  } finally {
    await terminal.close();
    await server.close();
  }
});

test('/metrics asks for the token when one is set', async () => {
  const storage = await testStorage('sqlite');
  const server = await startClinicServer({ port: 0, ...storage.options, logLevel: 'silent', metricsToken: 'scrape-secret', adminPassword: 'x-admin-pass' });
  try {
    assert.equal((await request(server.url, 'GET', '/metrics')).status, 401);
    assert.equal((await request(server.url, 'GET', '/metrics', { headers: { authorization: 'Bearer wrong-secret!' } })).status, 401);
    const ok = await request(server.url, 'GET', '/metrics', { headers: { authorization: 'Bearer scrape-secret' } });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /clinic_change_log_head/);
  } finally {
    await server.close();
    await storage.cleanup();
  }
});

for (const kind of storesUnderTest()) {
  test(`two --demo instances started at once on one ${kind} store seed the demo once`, { timeout: 120_000 }, async () => {
    const storage = await testStorage(kind);
    try {
      const start = () => startClinicServer({ port: 0, ...storage.options, demo: true, logLevel: 'silent', adminPassword: 'demo-admin-pass' });
      const servers = await Promise.all([start(), start()]);
      try {
        assert.equal(servers.filter((s) => s.demo !== null).length, 1, 'exactly one instance seeded');
        const seeded = servers.find((s) => s.demo !== null)!.demo!;
        for (const [collection, count] of Object.entries(seeded.counts)) {
          // users: the demo staff plus the admin that first start creates.
          const expected = collection === 'users' ? count! + 1 : count;
          assert.equal(await servers[0]!.store.countRows(collection as never), expected, `${collection} seeded once`);
        }
      } finally {
        await Promise.all(servers.map((s) => s.close()));
      }
    } finally {
      await storage.cleanup();
    }
  });
}
