/** The route table (shared/http/routes.ts) is what the server serves, and its roles are what it enforces. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { allRoutes, mayCallRoute, pathOf } from '../../shared/http/routes';
import { request, startTestServer } from '../support/server';

test('every route of the table is served: signed out, a guarded route answers 401, never 404', async () => {
  const server = await startTestServer();
  try {
    for (const route of allRoutes.filter((r) => r.roles !== 'anyone')) {
      const res = await request(server.url, route.method, pathOf(route, { id: randomUUID() }));
      assert.equal(res.status, 401, `${route.method} ${route.path}`);
    }
  } finally {
    await server.close();
  }
});

test('a role outside the roles of a route gets 403 before its input is even read', async () => {
  const server = await startTestServer();
  try {
    const receptionist = await server.createUser('receptionist');
    const refused = allRoutes.filter((r) => !mayCallRoute(r, 'receptionist'));
    assert.ok(refused.length > 0, 'the table refuses the front desk something');
    for (const route of refused) {
      const res = await request(server.url, route.method, pathOf(route, { id: randomUUID() }), { token: receptionist.session.accessToken, ...(route.method === 'GET' ? {} : { body: {} }) });
      assert.equal(res.status, 403, `${route.method} ${route.path}`);
    }
  } finally {
    await server.close();
  }
});
