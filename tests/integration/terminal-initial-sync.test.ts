import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientFor, login, startTestServer } from '../support/server';
import { postgresUrlForTests } from '../support/stores';
import { startTerminal } from '../support/terminal';
import type { SyncStatus } from '../../shared/ipc/contract';

const rows = Number(process.env.INITIAL_SYNC_ROWS ?? 20_000);

/** The server in its own process, so the event-loop figures below are the terminal's alone. */
async function serverProcess() {
  const dataDir = mkdtempSync(join(tmpdir(), 'clinic-server-initial-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    cwd: join(import.meta.dirname, '..', '..'),
    // Its own SQLite store in dataDir, even where DATABASE_URL names a PostgreSQL database:
    // a shared database would keep this run's users and 20,000 patients for the next run.
    env: { ...process.env, CLINIC_ADMIN_PASSWORD: 'initial-sync-admin', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]!.replace(/\/$/, ''));
    });
    void exited.then(() => reject(new Error(`server exited: ${out}`)));
  });
  const admin = await login(url, 'admin', 'initial-sync-admin');
  return {
    url,
    api: clientFor(url, admin),
    async close() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type ServerProcess = Pick<Awaited<ReturnType<typeof serverProcess>>, 'url' | 'api'>;

async function seedPatients(server: ServerProcess, count: number): Promise<void> {
  const seedStart = performance.now();
  for (let i = 0; i < count; i += 500) {
    const mutations = Array.from({ length: Math.min(500, count - i) }, (_, k) => ({
      mutationId: randomUUID(),
      collection: 'patients',
      op: 'create',
      id: randomUUID(),
      data: { firstName: `Bulk${i + k}`, lastName: 'Patient', notes: 'seeded for the initial sync test', medicalHistory: 'none' },
    }));
    const res = await server.api.post('/api/sync/push', { clientId: 'seed', mutations });
    assert.equal(res.status, 200, res.text);
  }
  console.log(`seeded ${count} patients in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
}

async function createDoctor(server: ServerProcess, username: string, password: string): Promise<{ username: string }> {
  const created = await server.api.post('/api/users', { username, displayName: 'Dr Bulk', role: 'doctor', password });
  assert.equal(created.status, 201, created.text);
  return created.body as { username: string };
}

/** Distinct patient ids the windows were told of: 'data.downloaded' batches and 'data.changed' upserts. */
function patientsAnnounced(events: { channel: string; payload: unknown }[]): number {
  const ids = new Set<string>();
  for (const e of events) {
    if (e.channel === 'data.downloaded') {
      const batch = e.payload as { collection: string; rowsJson: string };
      if (batch.collection === 'patients') for (const row of JSON.parse(batch.rowsJson) as { id: string }[]) ids.add(row.id);
    } else if (e.channel === 'data.changed') {
      for (const c of (e.payload as { changes: { collection: string; id: string; op: string }[] }).changes) {
        if (c.collection === 'patients' && c.op === 'upsert') ids.add(c.id);
      }
    }
  }
  return ids.size;
}

test(`initial sync of ${rows} rows comes as a snapshot, reports progress and does not stall the event loop`, async () => {
  const server = await serverProcess();
  try {
    await seedPatients(server, rows);
    const password = 'doctor-password-1';
    const user = await createDoctor(server, 'dr.bulk', password);
    const log: string[] = [];
    const t = await startTerminal({ serverUrl: server.url, mode: 'inprocess', log: (line) => log.push(line) });
    try {
      // An independent probe beside the core's own histogram: the longest gap between 5 ms ticks.
      let last = performance.now();
      let worstGap = 0;
      const ticker = setInterval(() => {
        const now = performance.now();
        worstGap = Math.max(worstGap, now - last - 5);
        last = now;
      }, 5);
      t.core!.resetStats();
      const started = performance.now();
      await t.login(user.username, password);
      await t.waitForEvent((e) => e.channel === 'sync.status' && (e.payload as SyncStatus).initialSync.done, 120_000);
      const elapsed = performance.now() - started;
      clearInterval(ticker);
      const stats = t.core!.stats();

      const progress = t.events
        .filter((e) => e.channel === 'sync.status')
        .map((e) => (e.payload as SyncStatus).initialSync)
        .filter((s) => s.received > 0);
      assert.ok(progress.length >= 2, `progress reported as the rows are copied (${progress.length} reports)`);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.received >= progress[i - 1]!.received, 'progress only grows');
      assert.ok(progress.at(-1)!.received >= rows);
      assert.equal((await t.call('data.list', { collection: 'patients' })).length, rows);
      assert.equal(patientsAnnounced(t.events), rows, 'the windows heard of every row before the sync said done');
      assert.ok(log.some((l) => /first download: \d+ rows cached/.test(l)), `written by the download thread:\n${log.join('\n')}`);
      const fromSnapshot = log.map((l) => /snapshot part of (\d+) rows copied/.exec(l)).reduce((sum, m) => sum + (m ? Number(m[1]) : 0), 0);
      assert.equal(fromSnapshot, rows + 2, `every row from the server's snapshot (the patients, the admin and the doctor):\n${log.join('\n')}`);

      console.log(
        `initial sync of ${rows} rows: ${(elapsed / 1000).toFixed(2)} s, ${progress.length} pages; ` +
          `event-loop delay p50 ${stats.eventLoopDelayMs.p50} ms, p99 ${stats.eventLoopDelayMs.p99} ms, max ${stats.eventLoopDelayMs.max} ms; ` +
          `worst 5 ms-tick gap ${worstGap.toFixed(1)} ms; ${(stats.wire.bytesReceived / 1e6).toFixed(1)} MB received`,
      );
    } finally {
      await t.close();
    }
  } finally {
    await server.close();
  }
});

/**
 * A doctor's first download of `count` seeded patients into an in-process terminal, to the end;
 * returns the terminal's support log after checking that every patient was cached and announced.
 */
async function firstDownloadOf(server: ServerProcess, count: number, username: string, terminal: { downloadWorker?: string; snapshotFetchWorker?: string } = {}): Promise<string[]> {
  await seedPatients(server, count);
  const password = `${username}-password`;
  const user = await createDoctor(server, username, password);
  const log: string[] = [];
  const t = await startTerminal({ serverUrl: server.url, mode: 'inprocess', ...terminal, log: (line) => log.push(line) });
  try {
    await t.login(user.username, password);
    await t.waitForEvent((e) => e.channel === 'sync.status' && (e.payload as SyncStatus).initialSync.done, 60_000);
    assert.equal((await t.call('data.list', { collection: 'patients' })).length, count);
    assert.equal(patientsAnnounced(t.events), count);
    return log;
  } finally {
    await t.close();
  }
}

test('without its download thread, a first download is written on the main thread and is just as complete', async () => {
  const server = await serverProcess();
  try {
    const log = await firstDownloadOf(server, 3000, 'dr.fallback', { downloadWorker: join(tmpdir(), `no-such-download-worker-${randomUUID()}.cjs`) });
    assert.ok(log.some((l) => l.includes('the first download thread cannot run')), log.join('\n'));
    assert.ok(!log.some((l) => /first download: \d+ rows cached/.test(l)), 'no thread reported a download');
  } finally {
    await server.close();
  }
});

test('without the snapshot thread, the first download walks the change log on the download thread, says why, and is just as complete', async () => {
  const server = await serverProcess();
  try {
    const log = await firstDownloadOf(server, 3000, 'dr.nosnapshot', { snapshotFetchWorker: join(tmpdir(), `no-such-snapshot-worker-${randomUUID()}.cjs`) });
    assert.ok(log.some((l) => l.includes('the snapshot thread cannot run')), log.join('\n'));
    assert.ok(!log.some((l) => /snapshot part of/.test(l)), 'no snapshot part came in');
    assert.ok(log.some((l) => /first download: \d+ rows cached/.test(l)), `written by the download thread:\n${log.join('\n')}`);
  } finally {
    await server.close();
  }
});

test(
  'against a server without snapshots (PostgreSQL), the download thread walks the change log instead',
  { skip: postgresUrlForTests() ? false : 'DATABASE_URL is not set' },
  async () => {
    const server = await startTestServer({ store: 'postgres' });
    try {
      const log = await firstDownloadOf(server, 2500, 'dr.walk');
      assert.ok(log.some((l) => l.includes('the server offers no snapshot')), log.join('\n'));
      assert.ok(log.some((l) => /first download: \d+ rows cached/.test(l)), `written by the download thread:\n${log.join('\n')}`);
    } finally {
      await server.close();
    }
  },
);
