import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startTestServer } from '../support/server';
import { startTerminal } from '../support/terminal';
import { createTerminalCore } from '../../main/core';
import { startHeadlessTransport } from '../../main/headless/transport';

test('bad IPC messages over the headless transport get clear errors and change nothing', async () => {
  const server = await startTestServer();
  const t = await startTerminal({ serverUrl: server.url, mode: 'child' });
  try {
    const { user, password } = await server.createUser('doctor');
    await t.login(user.username, password);
    await t.call('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Keep', lastName: 'Me' } });
    await t.waitUntil(async () => (await t.call('sync.now', {})).pending === 0, 10_000, 'pushed');
    const before = JSON.stringify(await t.call('data.list', { collection: 'patients' }));

    const cases: [string, unknown, string, RegExp][] = [
      ['data.nuke', {}, 'unknown_channel', /Unknown channel/],
      ['data.mutate', { op: 'create', collection: 'patients' }, 'bad_request', /data/],
      ['data.mutate', { op: 'create', collection: 'patients', data: { firstName: '', lastName: 'X' } }, 'bad_request', /firstName/],
      ['data.mutate', { op: 'explode', collection: 'patients', id: 'x' }, 'bad_request', /Invalid data.mutate request/],
      ['data.mutate', { op: 'update', collection: 'patients', id: 'not-a-uuid', baseVersion: 1, data: { phone: '+49 30 1088411' } }, 'bad_request', /id/],
      ['data.list', { collection: 'patients', extra: 1 }, 'bad_request', /extra|Unrecognized/i],
      ['settings.set', { serverUrl: 'javascript:alert(1)', terminalName: 'x' }, 'bad_request', /serverUrl/],
      ['data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Huge', lastName: 'X', notes: 'n'.repeat(400_000) } }, 'too_large', /limit/],
    ];
    for (const [channel, request, code, message] of cases) {
      const r = await t.invokeRaw(channel, request);
      assert.equal(r.ok, false, `${channel} ${JSON.stringify(request).slice(0, 80)} was accepted`);
      if (!r.ok) {
        assert.equal(r.error.code, code, `${channel}: ${r.error.message}`);
        assert.match(r.error.message, message);
      }
    }
    assert.equal(JSON.stringify(await t.call('data.list', { collection: 'patients' })), before, 'nothing changed');
    assert.equal((await t.call('sync.status', {})).pending, 0);
  } finally {
    await t.close();
    await server.close();
  }
});

test('the headless transport accepts only same-origin loopback WebSockets and serves the renderer with content types', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'headless-'));
  const dist = mkdtempSync(join(tmpdir(), 'headless-dist-'));
  const core = createTerminalCore({ dataDir, log: () => {} });
  const transport = await startHeadlessTransport({ core, rendererDir: join(dist, 'missing') });
  try {
    const page = await fetch(transport.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /npm run build:renderer/);

    const refused = async (origin?: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${transport.port}/ipc`, origin ? { origin } : {});
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => {});
      });
    assert.equal(await refused('http://evil.example'), 403);
    assert.equal(await refused(), 403);
    assert.equal(await refused(`http://127.0.0.1:${transport.port}`), 101);
  } finally {
    await transport.close();
  }

  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Clinic Desk</title>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dist, 'assets', 'app.css'), 'body{}');
  const built = await startHeadlessTransport({ core, rendererDir: dist });
  try {
    const js = await fetch(`${built.url}assets/app.js`);
    assert.match(js.headers.get('content-type') ?? '', /text\/javascript/);
    const css = await fetch(`${built.url}assets/app.css`);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    const route = await fetch(`${built.url}patients/123`);
    assert.match(await route.text(), /Clinic Desk/, 'client-side routes get the app');
    assert.equal((await fetch(`${built.url}assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${built.url}..%2f..%2fetc%2fpasswd`)).status, 404);
  } finally {
    await built.close();
    await core.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(dist, { recursive: true, force: true });
  }
});
