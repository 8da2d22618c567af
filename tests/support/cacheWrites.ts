/**
 * Run by tests/unit/local-edit-durability.test.ts under strace: local edits, then rows written as
 * a pulled page writes them, then settings, on one cache in `argv[2]`. An fsync of a file named
 * after each phase marks where it ends, so the trace can be split by phase.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { PublicUser } from '../../shared/domain/collections';
import { openCache } from '../../main/cache/database';
import { Outbox } from '../../main/cache/outbox';
import { RowCache } from '../../main/cache/rows';
import { TerminalState } from '../../main/cache/state';
import { writeLocalMutation } from '../../main/mutations/local';
import { testCacheKey } from './cacheKey';

const dir = process.argv[2]!;
const edits = Number(process.argv[3]);

function mark(phase: string): void {
  const fd = openSync(join(dir, `phase-${phase}`), 'w');
  fsyncSync(fd);
  closeSync(fd);
}

const db = openCache(dir, testCacheKey);
const rows = new RowCache(db, () => 'receptionist');
const outbox = new Outbox(db);
const user = { id: '7d1f3c9e-5b2a-4c8d-9e0f-1a2b3c4d5e6f', username: 'front', displayName: 'Front', role: 'receptionist' } as PublicUser;
mark('opened');
const made: string[] = [];
for (let i = 0; i < edits; i++) {
  const { change } = writeLocalMutation(db, rows, outbox, user, { op: 'create', collection: 'patients', data: { firstName: 'Walk', lastName: `In ${i}` } });
  made.push(change.id);
}
mark('local');
made.forEach((id, i) => db.transaction(() => rows.put('patients', { ...rows.get('patients', id)!, version: 2 + i }))());
mark('pulled');
const state = new TerminalState(db);
for (let i = 0; i < edits; i++) state.setSetting('terminalName', `Front desk ${i}`);
mark('settings');
db.close();
