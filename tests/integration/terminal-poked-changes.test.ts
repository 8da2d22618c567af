/**
 * Pokes that carry the changes: a terminal applies them without pulling, a terminal that asked
 * for plain pokes pulls, and a poke that does not continue a terminal's cursor (its own pull got
 * there first) is dropped, never applied on top.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { ChangePulls } from '../../server/sync/changePulls';
import { createPatient } from '../support/clinic-fixtures';
import { startTestServer } from '../support/server';
import { signedInTerminals, startTerminal, type TestTerminal } from '../support/terminal';
import { assertCachesEqualServer, waitForLive, waitForSyncIdle } from './terminal-helpers';

test('changes in pokes reach the cache and the windows without a pull; plain pokes still pull', async () => {
  const server = await startTestServer();
  const terminals: TestTerminal[] = [];
  try {
    const [writer, poked, pulling] = await signedInTerminals(server.url, await server.createUser('doctor'), ['writer', 'poked', { name: 'pulling', pokedChanges: false }], terminals);
    await waitForLive(terminals);
    await waitForSyncIdle(terminals);
    for (const t of terminals) t.core!.resetStats();

    const edits = 5;
    let receivingCalls = 0;
    for (let i = 0; i < edits; i++) {
      const since = [poked.events.length, pulling.events.length];
      const callsBefore = poked.core!.stats().cacheCalls;
      const { id } = await writer.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: `Poked${i}`, lastName: 'Test', medicalHistory: `history ${i}` } });
      for (const [j, reader] of [poked, pulling].entries()) {
        const seen = await reader.waitForEvent(
          (e) => e.channel === 'data.changed' && (e.payload as { changes: { id: string }[] }).changes.some((c) => c.id === id),
          10_000,
          since[j],
        );
        assert.equal((seen.payload as { source: string }).source, 'remote');
      }
      // The run goes on for a moment after the event (its status): let it end before counting.
      await new Promise((resolve) => setTimeout(resolve, 150));
      receivingCalls += poked.core!.stats().cacheCalls - callsBefore;
      const cached = (await poked.call('data.list', { collection: 'patients' })).find((p) => p.id === id);
      assert.equal(cached?.medicalHistory, `history ${i}`);
    }
    assert.equal(poked.core!.stats().wire.requests, 0, 'every change came inside its poke: no pull');
    // The run's start reads the cursor and the push batch, applies the poked page and counts, in one message (CacheService.runStart).
    assert.equal(receivingCalls, edits, `one cache message per received edit (${receivingCalls} for ${edits})`);
    assert.equal(writer.core!.stats().wire.requests, edits, 'the writer pushes each edit; the poke of its own commit brings the cursor, no pull');
    assert.ok(pulling.core!.stats().wire.requests >= edits, `plain pokes: a pull per change (${pulling.core!.stats().wire.requests} requests)`);

    // The poked terminal edits too: its own pull after the push moves its cursor past the poke
    // that follows, which it must drop rather than apply again.
    const [first] = await poked.call('data.list', { collection: 'patients' });
    const { id } = await poked.call('data.mutate', { op: 'update', collection: 'patients', id: first!.id as string, baseVersion: first!.version as number, data: { phone: '+1 212 555 0101' } });
    await writer.waitUntil(async () => (await writer.call('data.list', { collection: 'patients' })).some((p) => p.id === id && p.phone === '+1 212 555 0101'), 10_000, 'the edit on the writer');

    await waitForSyncIdle(terminals);
    await assertCachesEqualServer(server, terminals);
    for (const t of terminals) {
      const list = await t.call('data.list', { collection: 'patients' });
      assert.equal(new Set(list.map((p) => p.id)).size, list.length, `${t.dataDir}: no row twice`);
    }
  } finally {
    for (const t of terminals) await t.close();
    await server.close();
  }
});

test('a push whose poke never comes (a socket dead without a word) is followed by a pull', async () => {
  const server = await startTestServer();
  let terminal: TestTerminal | undefined;
  const store = server.server.store as unknown as { events: EventEmitter };
  const emit = store.events.emit.bind(store.events);
  try {
    const { user, password } = await server.createUser('receptionist');
    terminal = await startTerminal({ serverUrl: server.url, mode: 'inprocess', name: 'unheard' });
    await terminal.login(user.username, password);
    await waitForLive([terminal]);
    const patient = await createPatient(server.api, { firstName: 'Known' });
    await terminal.waitUntil(async () => (await terminal!.call('data.list', { collection: 'patients' })).some((p) => p.id === patient.id), 10_000, 'the patient');
    await waitForSyncIdle([terminal]);

    // Commits stop reaching the live channel: no poke comes, plain or with changes.
    store.events.emit = ((event: string, ...args: unknown[]) => (event === 'committed' ? false : emit(event, ...args))) as typeof store.events.emit;
    const elsewhere = await createPatient(server.api, { firstName: 'Unpoked' });
    const pushedAt = performance.now();
    await terminal.call('data.mutate', { op: 'update', collection: 'patients', id: patient.id, baseVersion: patient.version, data: { phone: '+1 212 555 0102' } });
    await terminal.waitUntil(async () => (await terminal!.call('data.list', { collection: 'patients' })).some((p) => p.id === elsewhere.id), 10_000, 'the change made elsewhere, by a pull');
    const waited = performance.now() - pushedAt;
    assert.ok(waited >= 1500, `the engine waited for the poke first (${waited.toFixed(0)} ms)`);
  } finally {
    store.events.emit = emit;
    await terminal?.close();
    await server.close();
  }
});

test('a poked page the cache refuses is dropped, and the retry pulls the change instead of meeting the page again', async () => {
  const server = await startTestServer();
  let terminal: TestTerminal | undefined;
  const read = ChangePulls.prototype.read;
  let corrupted = 0;
  try {
    const { user, password } = await server.createUser('receptionist');
    terminal = await startTerminal({ serverUrl: server.url, mode: 'inprocess', name: 'refusing' });
    await terminal.login(user.username, password);
    await waitForLive([terminal]);
    await waitForSyncIdle([terminal]);
    const requestsBefore = terminal.core!.stats().wire.requests;

    // The next read for a poke (the hub's, the only reader while the terminal waits) carries the
    // patient without its fields: the cache thread's check of a pulled change refuses it.
    ChangePulls.prototype.read = async function (this: ChangePulls, ...args: Parameters<ChangePulls['read']>) {
      const answer = await read.apply(this, args);
      if (corrupted > 0) return answer;
      corrupted++;
      const page = JSON.parse(answer.body) as { changes: { row?: Record<string, unknown> }[] };
      for (const change of page.changes) if (change.row) change.row = { id: change.row.id };
      return { ...answer, body: JSON.stringify(page) };
    };
    const patient = await createPatient(server.api, { firstName: 'Refused', lastName: 'Poke' });
    await terminal.waitUntil(
      async () => (await terminal!.call('data.list', { collection: 'patients' })).some((p) => p.id === patient.id && p.firstName === 'Refused'),
      10_000,
      'the patient, whole, by a pull after the refused poke',
    );
    assert.equal(corrupted, 1, 'the poke carried the broken change');
    assert.ok(terminal.core!.stats().wire.requests > requestsBefore, 'the change came by a pull');
    await waitForSyncIdle([terminal]);
    await assertCachesEqualServer(server, [terminal]);
  } finally {
    ChangePulls.prototype.read = read;
    await terminal?.close();
    await server.close();
  }
});
