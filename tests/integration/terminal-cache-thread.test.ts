/**
 * The main thread opens no database: two terminals in this process sign in, edit, push, pull and
 * download while the test counts every SQLite connection the terminal's code opens on the main
 * thread (main/cache/connections.ts). The same count then sees the one connection an inline
 * cache (the benchmark's mode) opens, so the check can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../support/server';
import { startTerminal } from '../support/terminal';
import { connectionsOpenedOnMainThread } from '../../main/cache/connections';
import { createTerminal } from '../../main/terminal';

test('every SQLite call of a working terminal runs off the main thread', async () => {
  const server = await startTestServer();
  const a = await startTerminal({ serverUrl: server.url, mode: 'inprocess', name: 'Desk A' });
  const b = await startTerminal({ serverUrl: server.url, mode: 'inprocess', name: 'Desk B' });
  try {
    const { user, password } = await server.createUser('receptionist');
    await a.login(user.username, password);
    const created = await a.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Off', lastName: 'Main' } });
    await a.waitUntil(async () => (await a.call('sync.now', {})).pending === 0, 10_000, 'A pushed');

    await b.login(user.username, password);
    await b.waitUntil(async () => (await b.call('data.list', { collection: 'patients' })).some((p) => p.id === created.id), 15_000, 'B downloaded the patient');
    await b.call('data.mutate', { op: 'update', collection: 'patients', id: created.id, baseVersion: 1, data: { phone: '+44 20 7946 0000' } });
    await a.waitUntil(
      async () => (await a.call('data.list', { collection: 'patients' })).some((p) => p.id === created.id && p.phone === '+44 20 7946 0000'),
      15_000,
      "A saw B's edit",
    );
    await a.call('session.logout', {});
  } finally {
    await a.close();
    await b.close();
    await server.close();
  }
  assert.equal(connectionsOpenedOnMainThread(), 0, 'the main thread opened no SQLite connection');

  // The witness counts: a cache served inline (benchmarks only) opens its connection right here.
  const dir = mkdtempSync(join(tmpdir(), 'cache-inline-'));
  const inline = createTerminal({ dataDir: dir, serverUrl: 'http://127.0.0.1:9', cacheThread: 'inline', log: () => {} });
  try {
    assert.ok(connectionsOpenedOnMainThread() > 0, 'an inline cache opens its connection on the main thread, and the count sees it');
  } finally {
    await inline.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
