/**
 * An edit made on this terminal is on the disk before the window hears of it: its commit syncs
 * the WAL, so a power cut right after cannot roll it back (offline, the outbox is the only copy).
 * So is a setting an admin made here, which exists nowhere else.
 * Rows written as a pulled page writes them keep SQLite's NORMAL sync (the checkpoint's), since
 * the server has them. Observed from outside: the child's fsync/fdatasync calls under strace,
 * split by phase (tests/support/cacheWrites.ts marks each phase's end with an fsync of its own).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { durably, openCache } from '../../main/cache/database';
import { testCacheKey } from '../support/cacheKey';

const strace = spawnSync('strace', ['-V']).status === 0;

test('each local edit and setting syncs the WAL when it commits; pulled rows wait for the checkpoint', { skip: strace ? false : 'strace is not installed (apt-get install strace)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-durability-'));
  const trace = join(dir, 'syncs.trace');
  const edits = 5;
  try {
    execFileSync(
      'strace',
      ['-f', '-qq', '-y', '-e', 'trace=fsync,fdatasync', '-o', trace, process.execPath, '--import', 'tsx', join(import.meta.dirname, '..', 'support', 'cacheWrites.ts'), dir, String(edits)],
      { stdio: 'pipe' },
    );
    // Lines like: 1234 fdatasync(12</tmp/.../terminal-cache.sqlite-wal>) = 0
    const lines = readFileSync(trace, 'utf8').split('\n').filter((l) => /\bf(data)?sync\(/.test(l));
    // Each marker ends a phase of cacheWrites.ts; the WAL syncs after it belong to the next one.
    const next: Record<string, string> = { opened: 'local edits', local: 'pulled rows', pulled: 'settings', settings: 'closing' };
    const walSyncs = new Map<string, number>();
    let phase = 'opening';
    for (const line of lines) {
      const marker = /phase-(\w+)>/.exec(line);
      if (marker) phase = next[marker[1]!]!;
      else if (line.includes('.sqlite-wal>')) walSyncs.set(phase, (walSyncs.get(phase) ?? 0) + 1);
    }
    const during = (p: string) => walSyncs.get(p) ?? 0;
    const shown = `\n${lines.join('\n')}`;
    assert.ok(during('local edits') >= edits, `WAL syncs during ${edits} local edits: ${during('local edits')}${shown}`);
    assert.equal(during('pulled rows'), 0, `WAL syncs while pulled rows were written${shown}`);
    assert.ok(during('settings') >= edits, `WAL syncs during ${edits} settings: ${during('settings')}${shown}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a synced write inside an outer transaction leaves the sync to that transaction instead of failing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-durability-nested-'));
  const db = openCache(dir, testCacheKey);
  try {
    db.exec('CREATE TABLE IF NOT EXISTS notes (text TEXT)');
    // SQLite refuses to change the sync level inside a transaction ("Safety level may not be changed").
    db.transaction(() => durably(db, () => db.prepare('INSERT INTO notes VALUES (?)').run('inside')))();
    durably(db, () => db.prepare('INSERT INTO notes VALUES (?)').run('alone'));
    assert.deepEqual(db.prepare('SELECT text FROM notes ORDER BY rowid').all(), [{ text: 'inside' }, { text: 'alone' }]);
    assert.equal(db.pragma('synchronous', { simple: true }), 1, 'back at NORMAL after the synced write');
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
