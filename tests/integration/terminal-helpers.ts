/** Helpers shared by the terminal integration tests (not a test file itself). */
import assert from 'node:assert/strict';
import { clientFor, type Session } from '../support/server';
import type { TestTerminal } from '../support/terminal';
import { redactRow, syncedCollections } from '../../shared/domain/access';
import type { Role } from '../../shared/domain/collections';

/** Every terminal has an empty outbox, and a last sync that ran after the latest server change. */
export async function waitForSyncIdle(terminals: TestTerminal[], timeoutMs = 20_000): Promise<void> {
  for (const t of terminals) {
    await t.waitUntil(async () => (await t.call('sync.now', {})).pending === 0, timeoutMs, 'empty outbox');
  }
  // One more round for everyone, so pulls see every push.
  for (const t of terminals) await t.call('sync.now', {});
}

/** Every terminal has its live channel and is past its first download (whose rows reach the windows as 'data.downloaded'). */
export async function waitForLive(terminals: TestTerminal[], timeoutMs = 10_000): Promise<void> {
  for (const t of terminals) {
    await t.waitUntil(
      async () => {
        const status = await t.call('sync.status', {});
        return status.connection === 'live' && status.initialSync.done;
      },
      timeoutMs,
      'live channel after the first download',
    );
  }
}

/** Table by table, each terminal's cache equals what the server serves its user over REST. */
export async function assertCachesEqualServer(server: { url: string; admin: Session }, terminals: TestTerminal[], skip: string[] = []): Promise<void> {
  for (const t of terminals) {
    const { user } = await t.call('session.current', {});
    assert.ok(user, 'terminal is signed in');
    const api = clientFor(server.url, server.admin);
    for (const collection of syncedCollections(user.role as Role)) {
      if (skip.includes(collection)) continue;
      const cached = await t.call('data.list', { collection });
      // Ask the server as this role: log in is not possible without the password, so compare
      // against the admin view with the role's hidden fields removed.
      const res = await api.get(`/api/${collection}`);
      assert.equal(res.status, 200);
      const expected: Record<string, unknown>[] = (res.body as Record<string, unknown>[]).map((r) => redactRow(user.role as Role, collection, r));
      const byId = (rows: Record<string, unknown>[]) => [...rows].sort((x, y) => String(x.id).localeCompare(String(y.id)));
      assert.deepEqual(byId(cached), byId(expected), `${t.dataDir}: ${collection} differs from the server`);
    }
  }
}
