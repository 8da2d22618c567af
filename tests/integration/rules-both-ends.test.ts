/**
 * The table of the clinic's rules (tests/support/rule-cases.ts) against both ends: each case's
 * mutation is made on a terminal cut off from the server (so only its own decision counts: the
 * optimistic write or its refusal) and on the server over HTTP, on the same given rows. Both must
 * come to the table's outcome, with the same words.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnyRow } from '../../shared/domain/collections';
import type { RefusalKind } from '../../shared/domain/mutations/refusal';
import type { EventPayload, MutateRequest } from '../../shared/ipc/contract';
import { ruleCases, type CaseClinic, type RuleCase } from '../support/rule-cases';
import { clientFor, type ApiClient, type ApiResponse, type TestServer, startTestServer } from '../support/server';
import { startSwitchableProxy, type SwitchableProxy } from '../support/switchableProxy';
import { startTerminal, type TestTerminal } from '../support/terminal';
import { waitForLive } from './terminal-helpers';

/** What the HTTP contract answers for each kind of refusal. */
const httpStatus: Record<RefusalKind, number> = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, version_conflict: 409, needs_base_version: 428 };
const applied = { create: 201, update: 200, delete: 204, adjust: 200 } as const;

function overHttp(api: ApiClient, m: MutateRequest): Promise<ApiResponse> {
  switch (m.op) {
    case 'create':
      return api.post(`/api/${m.collection}`, m.data);
    case 'update':
      return api.patch(`/api/${m.collection}/${m.id}`, m.data, m.baseVersion);
    case 'delete':
      return api.del(`/api/${m.collection}/${m.id}`);
    case 'adjust':
      return api.post(`/api/inventory/${m.id}/adjust`, m.data);
  }
}

const fieldsOf = (details: unknown): string[] => (Array.isArray(details) ? details.map((d) => String((d as { path?: unknown }).path)) : []);

describe('the rules decide alike on the terminal and on the server', () => {
  let server: TestServer;
  let proxy: SwitchableProxy;
  const terminals: Partial<Record<RuleCase['as'], TestTerminal>> = {};
  const apis: Partial<Record<RuleCase['as'], ApiClient>> = {};
  /** Each case's given rows, as the server holds them once every case's rows are made. */
  const given = new Map<RuleCase, Record<string, AnyRow>>();
  const clinics = new Map<RuleCase, CaseClinic>();

  before(async () => {
    server = await startTestServer();
    const desk = await server.createUser('receptionist');
    const doctorA = await server.createUser('doctor');
    const doctorB = await server.createUser('doctor');
    apis.receptionist = clientFor(server.url, desk.session);
    apis.doctor = clientFor(server.url, doctorA.session);
    const patientId = ((await server.api.post('/api/patients', { firstName: 'Table', lastName: 'Case' })).body as AnyRow).id;

    for (const [i, c] of ruleCases.entries()) {
      const day = new Date(Date.UTC(2027, 2, 1) + i * 86_400_000).toISOString().slice(0, 10);
      const at = (hour: number, minute = 0) => `${day}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00Z`;
      const clinic: CaseClinic = { doctorA: doctorA.user.id, doctorB: doctorB.user.id, receptionist: desk.user.id, patientId, at };
      const rows: Record<string, AnyRow> = {};
      for (const g of c.given) {
        const res = await server.api.post(`/api/${g.collection}`, g.data(clinic, rows));
        assert.equal(res.status, 201, `${c.name}: given ${g.name}: ${res.text}`);
        rows[g.name] = res.body as AnyRow;
      }
      clinics.set(c, clinic);
      given.set(c, rows);
    }
    // Later given rows change earlier ones (a payment, its invoice): read them all again.
    for (const [c, rows] of given) {
      for (const g of c.given) rows[g.name] = (await server.api.get(`/api/${g.collection}/${rows[g.name]!.id}`)).body as AnyRow;
    }

    proxy = await startSwitchableProxy(server.url);
    for (const [role, user] of [['receptionist', desk], ['doctor', doctorA]] as const) {
      const t = await startTerminal({ serverUrl: proxy.url, mode: 'inprocess', name: role });
      terminals[role] = t;
      await t.login(user.user.username, user.password);
    }
    await waitForLive(Object.values(terminals), 30_000);
    proxy.down();
    for (const t of Object.values(terminals)) await t.waitUntil(async () => (await t.call('sync.now', {})).connection === 'offline', 10_000, 'offline');
  });

  after(async () => {
    for (const t of Object.values(terminals)) await t.close();
    await proxy?.close();
    await server?.close();
  });

  for (const c of ruleCases) {
    test(c.name, async () => {
      const rows = given.get(c)!;
      const mutation = c.mutation(clinics.get(c)!, rows);
      const terminal = terminals[c.as]!;
      const pendingBefore = (await terminal.call('sync.status', {})).pending;
      const since = terminal.events.length;
      const local = await terminal.invoke('data.mutate', mutation);
      const pendingAfter = (await terminal.call('sync.status', {})).pending;
      const remote = await overHttp(apis[c.as]!, mutation);

      if ('applied' in c.expected) {
        assert.ok(local.ok, `terminal refused: ${JSON.stringify(local)}`);
        assert.equal(remote.status, applied[mutation.op], `server: ${remote.text}`);
        assert.equal(pendingAfter, pendingBefore + 1, 'the terminal queued the change');
        // The optimistic row comes to windows once, as the local 'data.changed' (the answer names only the mutation).
        const heard = await terminal.waitForEvent((e) => e.channel === 'data.changed' && (e.payload as EventPayload<'data.changed'>).source === 'local', 5000, since);
        const change = (heard.payload as EventPayload<'data.changed'>).changes.find((ch) => ch.id === local.value.id)!;
        const terminalRow = change.op === 'delete' ? null : (change.row as AnyRow);
        const serverRow = mutation.op === 'delete' ? null : (remote.body as AnyRow);
        assert.equal(terminalRow === null, serverRow === null);
        for (const [field, value] of Object.entries(c.expected.applied)) {
          assert.deepEqual(terminalRow?.[field], value, `terminal ${field}`);
          assert.deepEqual(serverRow?.[field], value, `server ${field}`);
        }
        return;
      }
      const { refused, field } = c.expected;
      assert.ok(!local.ok, `terminal applied it: ${JSON.stringify(local)}`);
      assert.equal(local.error.code, refused === 'forbidden' ? 'forbidden' : 'bad_request');
      assert.equal(pendingAfter, pendingBefore, 'the terminal queued nothing');
      assert.equal(remote.status, httpStatus[refused], `server: ${remote.text}`);
      assert.equal(local.error.message, (remote.body as { error: string }).error, 'the same words on both ends');
      if (field) {
        assert.ok(fieldsOf(local.error.details).includes(field), `terminal details name ${field}: ${JSON.stringify(local.error.details)}`);
        assert.ok(fieldsOf((remote.body as { details?: unknown }).details).includes(field), `server details name ${field}: ${remote.text}`);
      }
    });
  }
});
