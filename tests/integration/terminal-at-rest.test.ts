import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startTestServer } from '../support/server';
import { startTerminal } from '../support/terminal';

/** Every file the terminal keeps in its data folder, with its bytes. */
function filesIn(dir: string): { name: string; bytes: Buffer; mode: number }[] {
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isFile())
    .map((name) => ({ name, bytes: readFileSync(join(dir, name)), mode: statSync(join(dir, name)).mode & 0o777 }));
}

test('nothing a terminal keeps on disk shows a patient name or a token without the key; files 0600 in a 0700 folder', async () => {
  const server = await startTestServer();
  try {
    const { user, password } = await server.createUser('doctor');
    // Rows the first download brings (a snapshot from this server) and one made on the terminal.
    for (let i = 0; i < 30; i++) {
      const res = await server.api.post('/api/patients', { firstName: `Quillon${i}`, lastName: 'Snapshotfield', medicalHistory: 'Secret asthma history' });
      assert.equal(res.status, 201, res.text);
    }
    const t = await startTerminal({ serverUrl: server.url, mode: 'inprocess' });
    let tokens: string[] = [];
    try {
      await t.login(user.username, password);
      await t.waitUntil(async () => (await t.call('data.list', { collection: 'patients' })).length === 30, 20_000, 'first download');
      await t.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Zebulon', lastName: 'Terminalmade' } });
      await t.waitUntil(async () => (await t.call('sync.now', {})).pending === 0, 10_000, 'pushed');
      const session = t.core!['state'].getSession()!;
      tokens = [session.accessToken!, session.refreshToken!];
      assert.ok(tokens.every((x) => typeof x === 'string' && x.length > 20));

      // While it runs (the WAL holds the latest pages) and after it closed.
      const secrets = ['Quillon', 'Snapshotfield', 'Zebulon', 'Terminalmade', 'asthma', user.username, ...tokens];
      const check = (when: string) => {
        for (const file of filesIn(t.dataDir)) {
          for (const secret of secrets) {
            for (const encoding of ['utf8', 'utf16le'] as const) {
              assert.equal(file.bytes.includes(Buffer.from(secret, encoding)), false, `${when}: ${file.name} holds "${secret.slice(0, 12)}…" readable`);
            }
          }
        }
      };
      check('running');
      await t.close();
      check('closed');
    } finally {
      await t.close().catch(() => {});
    }

    const files = filesIn(t.dataDir);
    assert.ok(files.some((f) => f.name === 'terminal-cache.sqlite' && f.bytes.length > 30 * 1024), 'the cache holds the rows');
    for (const f of files) assert.equal(f.mode, 0o600, `${f.name} is ${f.mode.toString(8)}`);
    assert.equal(statSync(t.dataDir).mode & 0o777, 0o700);
    // SQLite itself, without the key, sees no database at all.
    const plain = new Database(join(t.dataDir, 'terminal-cache.sqlite'), { fileMustExist: true });
    assert.throws(() => plain.prepare('SELECT count(*) FROM sqlite_master').get(), /not a database/);
    plain.close();
  } finally {
    await server.close();
  }
});
