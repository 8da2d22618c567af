import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientFor, login } from '../support/server';
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

test(`initial sync of ${rows} rows comes in pages, reports progress and does not stall the event loop`, async () => {
  const server = await serverProcess();
  try {
    const seedStart = performance.now();
    for (let i = 0; i < rows; i += 500) {
      const mutations = Array.from({ length: Math.min(500, rows - i) }, (_, k) => ({
        mutationId: randomUUID(),
        collection: 'patients',
        op: 'create',
        id: randomUUID(),
        data: { firstName: `Bulk${i + k}`, lastName: 'Patient', notes: 'seeded for the initial sync test', medicalHistory: 'none' },
      }));
      const res = await server.api.post('/api/sync/push', { clientId: 'seed', mutations });
      assert.equal(res.status, 200, res.text);
    }
    console.log(`seeded ${rows} patients in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    const password = 'doctor-password-1';
    const created = await server.api.post('/api/users', { username: 'dr.bulk', displayName: 'Dr Bulk', role: 'doctor', password });
    assert.equal(created.status, 201, created.text);
    const user = created.body as { username: string };
    const t = await startTerminal({ serverUrl: server.url, mode: 'inprocess' });
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
      assert.ok(progress.length >= Math.ceil(rows / 2000), `progress reported per page (${progress.length} reports)`);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.received >= progress[i - 1]!.received, 'progress only grows');
      assert.ok(progress.at(-1)!.received >= rows);
      assert.equal((await t.call('data.list', { collection: 'patients' })).length, rows);

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
