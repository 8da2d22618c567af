import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server';
import { startTerminal } from '../support/terminal';

async function auditCount(server: TestServer, mutationId: string): Promise<number> {
  const audit = (await server.api.get('/api/audit?limit=5000')).body as { detail: string | null }[];
  return audit.filter((e) => e.detail?.includes(`(sync ${mutationId})`)).length;
}

async function stock(server: TestServer, id: string): Promise<number> {
  return ((await server.api.get(`/api/inventory/${id}`)).body as { quantity: number }).quantity;
}

for (const crashAt of ['after-outbox-commit', 'before-push-answer'] as const) {
  test(`a terminal killed (SIGKILL) ${crashAt.replace(/-/g, ' ')} replays its outbox on restart; nothing applies twice`, async () => {
    const server = await startTestServer();
    try {
      const { user, password } = await server.createUser('assistant');
      const created = await server.api.post('/api/inventory', { name: 'Masks', quantity: 10, reorderLevel: 2 });
      assert.equal(created.status, 201);
      const itemId = (created.body as { id: string }).id;

      const a = await startTerminal({ serverUrl: server.url, mode: 'child', env: { CLINIC_TERMINAL_CRASH_AT: crashAt } });
      await a.login(user.username, password);
      await a.waitUntil(async () => (await a.call('data.list', { collection: 'inventory' })).some((r) => r.id === itemId), 15_000, 'item pulled');

      const answer = await a.invoke('data.mutate', { op: 'adjust', collection: 'inventory', id: itemId, data: { delta: -3 } });
      const code = await a.exited;
      assert.notEqual(code, 0, 'the terminal died at the crash point');
      // after-outbox-commit: killed before answering the window; before-push-answer: the window got its answer.
      const mutationId = answer.ok ? answer.value.mutationId : null;
      if (crashAt === 'before-push-answer') {
        assert.ok(mutationId);
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(await stock(server, itemId), 7, 'the server applied the push before the terminal died');
      } else {
        assert.equal(await stock(server, itemId), 10, 'nothing reached the server before the crash');
      }

      const again = await startTerminal({ serverUrl: server.url, dataDir: a.dataDir, mode: 'child' });
      try {
        // The session survives the restart (refresh token in the cache); the outbox replays by itself.
        const current = await again.call('session.current', {});
        assert.equal(current.user?.id, user.id);
        await again.waitUntil(async () => (await again.call('sync.status', {})).pending === 0, 20_000, 'outbox replayed');
        assert.equal(await stock(server, itemId), 7, 'taken exactly once');
        await again.waitUntil(async () => (await again.call('data.list', { collection: 'inventory' })).find((r) => r.id === itemId)?.quantity === 7, 10_000, 'cache shows 7');
        if (mutationId) assert.equal(await auditCount(server, mutationId), 1);
        const audit = (await server.api.get('/api/audit?limit=5000')).body as { action: string; rowId: string | null }[];
        assert.equal(audit.filter((e) => e.action === 'adjust' && e.rowId === itemId).length, 1, 'one adjust in the audit log');
      } finally {
        await again.close();
      }
    } finally {
      await server.close();
    }
  });
}
