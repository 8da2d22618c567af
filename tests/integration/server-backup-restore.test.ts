/**
 * `npm run server -- backup <file>` while the server runs, more changes, `restore <file>` with the
 * server stopped: the server is back at the backup's state, and a terminal that had synced the
 * later changes is told (410) to download again and converges to the restored state. New changes
 * after the restore get numbers past the old head, so they reach every terminal.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server';
import { runServerCli } from '../support/serverBuild';
import { storesUnderTest, testStorage } from '../support/stores';
import { startTerminal, type TestTerminal } from '../support/terminal';
import { assertCachesEqualServer, waitForLive, waitForSyncIdle } from './terminal-helpers';

for (const kind of storesUnderTest()) {
  test(`backup, change, restore (${kind}): a terminal converges to the restored state`, { timeout: 120_000 }, async () => {
    const storage = await testStorage(kind);
    const backups = await mkdtemp(join(tmpdir(), 'clinic-backup-test-'));
    const cliEnv = kind === 'postgres' ? { DATABASE_URL: storage.options.databaseUrl! } : { CLINIC_DATA_DIR: storage.options.dataDir!, DATABASE_URL: '' };
    let server: TestServer | null = await startTestServer({ ...storage.options, adminPassword: 'admin-pass-backup' });
    let terminal: TestTerminal | null = null;
    try {
      const { user, password } = await server.createUser('doctor');
      const kept = await server.api.post('/api/patients', { firstName: 'Kept', lastName: 'Before' });
      assert.equal(kept.status, 201);
      terminal = await startTerminal({ serverUrl: server.url, mode: 'inprocess', name: 'desk' });
      await terminal.login(user.username, password);
      await waitForLive([terminal]);

      // Online backup, through the command an admin runs.
      const file = join(backups, kind === 'postgres' ? 'clinic.dump' : 'clinic.db');
      const backup = await runServerCli(['backup', file], cliEnv);
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(backup.stdout, /backup written to .* change log up to \d+/);
      assert.equal((await runServerCli(['backup', file], cliEnv)).code, 2, 'a backup never overwrites a file');

      // Changes after the backup, synced by the terminal.
      const later = await terminal.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Lost', lastName: 'After' } });
      const keptRow = (await server.api.get(`/api/patients/${kept.body.id}`)).body;
      const patched = await server.api.patch(`/api/patients/${kept.body.id}`, { phone: '+1 212 555 0199' }, keptRow.version);
      assert.equal(patched.status, 200);
      await waitForSyncIdle([terminal]);
      const before = await terminal.call('data.list', { collection: 'patients' });
      assert.ok(before.some((p) => p.id === later.id));
      assert.ok(before.some((p) => p.id === kept.body.id && p.phone === '+1 212 555 0199'));
      const port = server.port;
      if (kind === 'sqlite') {
        const refused = await runServerCli(['restore', file], cliEnv);
        assert.equal(refused.code, 2, 'no restore under a running server');
        assert.match(refused.stderr, /is in use: stop the clinic server/);
      }

      // Restore, with the server stopped, then start it again on the same address.
      await server.close();
      server = null;
      const restore = await runServerCli(['restore', file], cliEnv);
      assert.equal(restore.code, 0, restore.stderr);
      assert.match(restore.stdout, /new changes continue after \d+/);
      server = await startTestServer({ ...storage.options, adminPassword: 'admin-pass-backup', port });

      const serverPatients = (await server.api.get('/api/patients')).body as { id: string; phone?: string }[];
      assert.equal(serverPatients.some((p) => p.id === later.id), false, 'the server is back at the backup');
      assert.notEqual(serverPatients.find((p) => p.id === kept.body.id)?.phone, '+1 212 555 0199');

      // The terminal's cursor points into the log the restore took away: it downloads again.
      await terminal.waitUntil(
        async () => !(await terminal!.call('data.list', { collection: 'patients' })).some((p) => p.id === later.id),
        30_000,
        'the terminal drops the change the restore took away',
      );
      await waitForLive([terminal], 30_000);
      await assertCachesEqualServer(server, [terminal]);

      // A change after the restore reaches the terminal (its number is past every old cursor).
      const fresh = await server.api.post('/api/patients', { firstName: 'After', lastName: 'Restore' });
      await terminal.waitUntil(
        async () => (await terminal!.call('data.list', { collection: 'patients' })).some((p) => p.id === fresh.body.id),
        15_000,
        'a change made after the restore',
      );
      await assertCachesEqualServer(server, [terminal]);
    } finally {
      await terminal?.close();
      await server?.close();
      await storage.cleanup();
      await rm(backups, { recursive: true, force: true });
    }
  });
}
