import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyFileKeystore } from '../../main/keystore/keyFile';
import type { Keystore, SecretName } from '../../main/keystore/keystore';
import { openCache, rowTable } from '../../main/cache/database';
import { TerminalState } from '../../main/cache/state';
import { createTerminal } from '../../main/terminal';
import { testCacheKey } from '../support/cacheKey';

const mode = (file: string) => statSync(file).mode & 0o777;

test('the key-file keystore: a 0600 key file seals the secrets; nothing readable in its files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keystore-'));
  try {
    const store = keyFileKeystore(dir);
    assert.equal(store.protectsAtRest, true);
    assert.equal(store.read('refresh-token'), null);
    store.write('refresh-token', 'refresh-SECRET-value');
    assert.equal(mode(join(dir, 'terminal.key')), 0o600);
    assert.equal(mode(join(dir, 'keystore.json')), 0o600);
    assert.doesNotMatch(readFileSync(join(dir, 'keystore.json'), 'utf8'), /SECRET/);
    // Another instance (a restart) reads it back with the same key file.
    assert.equal(keyFileKeystore(dir).read('refresh-token'), 'refresh-SECRET-value');
    store.remove('refresh-token');
    assert.equal(keyFileKeystore(dir).read('refresh-token'), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** What Electron's safeStorage reports on Linux without a keyring: the "sealing" protects nothing. */
class PlainTextFallback implements Keystore {
  readonly description = 'safeStorage plain-text fallback (no keyring)';
  readonly protectsAtRest = false;
  readonly written = new Map<SecretName, string>();
  read(name: SecretName) {
    return this.written.get(name) ?? null;
  }
  write(name: SecretName, value: string) {
    this.written.set(name, value);
  }
  remove(name: SecretName) {
    this.written.delete(name);
  }
}

test('with the plain-text fallback no refresh token is kept at rest, the log says so, and a restart asks for a sign-in', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keystore-'));
  const keystore = new PlainTextFallback();
  const log: string[] = [];
  const user = { id: randomUUID(), username: 'desk', displayName: 'Desk', role: 'receptionist' as const };
  try {
    const core = createTerminal({ dataDir: dir, serverUrl: 'http://127.0.0.1:9', keystore, log: (l) => log.push(l) });
    assert.ok(log.some((l) => /plain text \(Linux without a keyring\): no refresh token is kept at rest/.test(l)), log.join('\n'));
    core['state'].setSession({ user, signedIn: true, accessToken: 'access', refreshToken: 'refresh-token-value' });
    assert.equal(core['state'].getSession()?.refreshToken, 'refresh-token-value', 'kept in memory while running');
    assert.equal(keystore.read('refresh-token'), null, 'not written to the keystore');
    assert.ok(keystore.read('cache-key'), 'the cache key is kept (the cache must reopen)');
    await core.close();

    const again = createTerminal({ dataDir: dir, serverUrl: 'http://127.0.0.1:9', keystore, log: (l) => log.push(l) });
    assert.equal(again.currentUser(), null, 'signed out after a restart');
    assert.ok(log.some((l) => /no refresh token was kept, so they sign in again/.test(l)));
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cache from before encryption is encrypted in place, its rows and outbox kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keystore-'));
  try {
    const plain = openCache(dir, null);
    const id = randomUUID();
    plain.prepare(`INSERT INTO ${rowTable('patients')} (id, version, data) VALUES (?, 1, ?)`).run(id, JSON.stringify({ id, firstName: 'Pre', lastName: 'Encryptionera' }));
    new TerminalState(plain).setSetting('terminalName', 'Old desk');
    plain.close();
    assert.ok(readFileSync(join(dir, 'terminal-cache.sqlite')).includes('Encryptionera'), 'readable before');

    const lines: string[] = [];
    const db = openCache(dir, testCacheKey, (l) => lines.push(l));
    assert.equal((db.prepare(`SELECT count(*) AS n FROM ${rowTable('patients')}`).get() as { n: number }).n, 1);
    assert.equal(new TerminalState(db).getSetting('terminalName'), 'Old desk');
    db.close();
    assert.ok(lines.some((l) => /now \(SQLCipher format/.test(l)));
    assert.equal(readFileSync(join(dir, 'terminal-cache.sqlite')).includes('Encryptionera'), false, 'unreadable after');
    assert.equal(mode(join(dir, 'terminal-cache.sqlite')), 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
