import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get as httpGet } from 'node:http';
import WebSocket from 'ws';
import { createTerminal } from '../../main/terminal';
import { startHeadlessTransport } from '../../main/headless/transport';
import { withServerAndTerminal } from '../support/serverWithTerminals';

test('bad IPC messages over the headless transport get clear errors and change nothing', () =>
  withServerAndTerminal({ mode: 'child' }, async ({ server, t }) => {
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
      // A doctor may not redirect the terminal at all (an admin's malformed address: tests/unit/core-ipc.test.ts).
      ['settings.set', { serverUrl: 'javascript:alert(1)', terminalName: 'x' }, 'forbidden', /A doctor may not use settings\.set/],
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
  }),
);

test('the headless transport accepts only loopback WebSockets with its Host, its Origin and its launch token, and serves the renderer with content types', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'headless-'));
  const dist = mkdtempSync(join(tmpdir(), 'headless-dist-'));
  const core = createTerminal({ dataDir, log: () => {} });
  const transport = await startHeadlessTransport({ core, rendererDir: join(dist, 'missing') });
  try {
    assert.match(transport.openUrl, new RegExp(`^http://127\\.0\\.0\\.1:${transport.port}/#token=[A-Za-z0-9_-]{40,}$`), 'the printed address carries the token in its fragment');
    const page = await fetch(transport.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, 'the CSP is a response header');
    assert.match(await page.text(), /npm run build:renderer/);

    const ours = `127.0.0.1:${transport.port}`;
    const attempt = async (o: { origin?: string; host?: string; token?: string | null }) =>
      new Promise<number>((resolve) => {
        const protocols = o.token === null ? ['clinic-ipc'] : ['clinic-ipc', `clinic-token.${o.token ?? transport.token}`];
        const ws = new WebSocket(`ws://127.0.0.1:${transport.port}/ipc`, protocols, {
          ...(o.origin ? { origin: o.origin } : {}),
          headers: { host: o.host ?? ours },
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => {});
      });
    assert.equal(await attempt({ origin: 'http://evil.example' }), 403, 'another origin');
    assert.equal(await attempt({}), 403, 'no origin');
    // A forged Origin naming the terminal, from a page whose host name resolves to 127.0.0.1 (DNS rebinding) or any local program:
    assert.equal(await attempt({ origin: `http://${ours}`, host: `evil.example:${transport.port}` }), 403, 'a foreign Host');
    assert.equal(await attempt({ origin: `http://${ours}`, host: '127.0.0.1:1' }), 403, 'another port in Host');
    assert.equal(await attempt({ origin: `http://${ours}`, token: null }), 401, 'a forged Origin without the token');
    assert.equal(await attempt({ origin: `http://${ours}`, token: 'x'.repeat(43) }), 401, 'a wrong token');
    assert.equal(await attempt({ origin: `http://${ours}` }), 101, 'the real page');
    assert.equal(await attempt({ origin: `http://localhost:${transport.port}`, host: `localhost:${transport.port}` }), 101, 'localhost works too');
    // fetch() will not send another Host: a plain request does.
    const foreignHost = await new Promise<number>((resolve, reject) =>
      httpGet({ host: '127.0.0.1', port: transport.port, path: '/', headers: { host: `evil.example:${transport.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject),
    );
    assert.equal(foreignHost, 421, 'pages are not served under a foreign host name');
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
