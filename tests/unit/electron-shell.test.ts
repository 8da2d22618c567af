/**
 * The Electron shell's logic that does not need Electron: the preload bridge over a fake
 * ipcRenderer, which frames may talk to main, the app:// renderer files and their CSP, log rotation.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClinicBridge, type RendererIpc } from '../../preload/clinicBridge';
import { eventChannelNames, invokeChannelNames, type ClinicBridge } from '../../shared/ipc/contract';
import { archiveLogFile } from '../../main/electron/logArchive';
import { contentSecurityPolicy, rendererFileFor, rendererResponse } from '../../main/electron/rendererFiles';
import { isTrustedFrame } from '../../main/electron/trustedSender';

type Listener = (event: unknown, payload: unknown) => void;
function fakeIpc() {
  const invoked: Array<[string, unknown]> = [];
  const listeners = new Map<string, Set<Listener>>();
  const ipc: RendererIpc = {
    invoke: async (channel, request) => {
      invoked.push([channel, request]);
      return { ok: true, value: { echoed: channel } };
    },
    on: (channel, listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)?.add(listener);
    },
    removeListener: (channel, listener) => {
      listeners.get(channel)?.delete(listener);
    },
  };
  const emit = (channel: string, payload: unknown) => {
    for (const l of listeners.get(channel) ?? []) l({ sender: 'ipc-event' }, payload);
  };
  return { ipc, invoked, listeners, emit };
}

describe('preload bridge', () => {
  test('every contract invoke channel reaches ipcRenderer.invoke with its request', async () => {
    const { ipc, invoked } = fakeIpc();
    const bridge = createClinicBridge(ipc);
    for (const channel of invokeChannelNames) {
      const answer = await bridge.invoke(channel, {} as never);
      assert.deepEqual(answer, { ok: true, value: { echoed: channel } });
    }
    assert.deepEqual(invoked.map(([c]) => c), invokeChannelNames);
    await bridge.invoke('session.login', { username: 'anna', password: 'pw' });
    assert.deepEqual(invoked.at(-1), ['session.login', { username: 'anna', password: 'pw' }]);
  });

  test('an answer main sends as JSON text (data.list: the cache thread\'s text, spliced in) reaches the page parsed', async () => {
    const rows = [{ id: 'p1', version: 2, firstName: 'Ana' }];
    const { ipc } = fakeIpc();
    ipc.invoke = async () => `{"ok":true,"value":${JSON.stringify(rows)}}`;
    const answer = await createClinicBridge(ipc).invoke('data.list', { collection: 'patients' });
    assert.deepEqual(answer, { ok: true, value: rows });
  });

  test('an event payload main sends as JSON text in pieces (a pulled page\'s data.changed) reaches the page parsed', () => {
    const { ipc, emit } = fakeIpc();
    const payload = { source: 'remote', changes: [{ collection: 'patients', id: 'p1', op: 'upsert', row: { id: 'p1', version: 3, firstName: 'Ana' } }] };
    const text = JSON.stringify(payload);
    const got: unknown[] = [];
    createClinicBridge(ipc).on('data.changed', (p) => got.push(p));
    emit('data.changed', { jsonPieces: [text.slice(0, 20), text.slice(20, 45), text.slice(45)] });
    emit('data.changed', payload);
    assert.deepEqual(got, [payload, payload]);
  });

  test('a channel outside the contract never reaches main', async () => {
    const { ipc, invoked, listeners } = fakeIpc();
    const bridge = createClinicBridge(ipc) as unknown as { invoke(c: string, r: unknown): Promise<unknown>; on: ClinicBridge['on'] };
    const answer = await bridge.invoke('fs.readFile', { path: '/etc/passwd' });
    assert.deepEqual(answer, { ok: false, error: { code: 'unknown_channel', message: '"fs.readFile" is not a Clinic Desk channel' } });
    assert.equal(invoked.length, 0);
    const off = (bridge.on as (c: string, l: () => void) => () => void)('ELECTRON_BROWSER_WINDOW_CLOSE', () => undefined);
    assert.equal(listeners.size, 0);
    off();
  });

  test('on() passes payloads only (not the IPC event) and its return value unsubscribes', () => {
    const { ipc, listeners, emit } = fakeIpc();
    const bridge = createClinicBridge(ipc);
    for (const channel of eventChannelNames) {
      const got: unknown[] = [];
      const off = bridge.on(channel, (payload) => got.push(payload));
      emit(channel, { n: 1 });
      off();
      emit(channel, { n: 2 });
      assert.deepEqual(got, [{ n: 1 }], channel);
      assert.equal(listeners.get(channel)?.size, 0, channel);
    }
  });
});

describe('trusted frames', () => {
  test('only the top frame of our own window on app://clinic', () => {
    const ok = { url: 'app://clinic/index.html', isTopFrame: true, fromOurWindow: true };
    assert.equal(isTrustedFrame(ok), true);
    assert.equal(isTrustedFrame({ ...ok, url: 'app://clinic/patients?id=4' }), true);
    assert.equal(isTrustedFrame({ ...ok, isTopFrame: false }), false);
    assert.equal(isTrustedFrame({ ...ok, fromOurWindow: false }), false);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://evil/index.html', 'app://clinic.evil/x', '', 'about:blank', 'devtools://devtools/']) {
      assert.equal(isTrustedFrame({ ...ok, url }), false, url);
    }
  });
});

describe('renderer files over app://', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'clinic-renderer-'));
    await mkdir(join(root, 'dist', 'assets'), { recursive: true });
    await writeFile(join(root, 'dist', 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(root, 'dist', 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(root, 'secret.txt'), 'outside');
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('files inside renderer/dist, with a CSP header on each answer', async () => {
    const dist = join(root, 'dist');
    const page = await rendererResponse(dist, 'app://clinic/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['content-security-policy'], contentSecurityPolicy);
    const script = await rendererResponse(dist, 'app://clinic/assets/app.js');
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(String(script.body), 'console.log(1)');
    const route = await rendererResponse(dist, 'app://clinic/patients');
    assert.equal(String(route.body), '<!doctype html><div id="root"></div>', 'client-side routes get index.html');
    assert.equal((await rendererResponse(dist, 'app://clinic/assets/missing.js')).status, 404);
  });

  test('nothing outside renderer/dist, nothing from another host', async () => {
    const dist = join(root, 'dist');
    for (const url of ['app://clinic/../secret.txt', 'app://clinic/%2e%2e/secret.txt', 'app://clinic/assets/..%2f..%2fsecret.txt', 'app://other/index.html', 'app://clinic/%00']) {
      const answer = await rendererResponse(dist, url);
      assert.equal(answer.status, 404, url);
      assert.notEqual(String(answer.body), 'outside', url);
    }
    assert.equal(rendererFileFor(dist, 'app://clinic/assets/..%2f..%2fsecret.txt'), null);
  });

  test('the CSP forbids remote code, plugins, framing and inline scripts', () => {
    assert.match(contentSecurityPolicy, /default-src 'none'/);
    assert.match(contentSecurityPolicy, /script-src 'self'(;|$)/);
    assert.match(contentSecurityPolicy, /object-src 'none'/);
    assert.match(contentSecurityPolicy, /frame-ancestors 'none'/);
    assert.doesNotMatch(contentSecurityPolicy, /unsafe-eval|https?:|\*/);
  });
});

describe('log rotation', () => {
  test('main.log -> main.1.log -> main.2.log ..., the oldest beyond `keep` deleted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clinic-logs-'));
    try {
      const log = join(dir, 'main.log');
      for (let i = 1; i <= 4; i += 1) {
        await writeFile(log, `generation ${i}`);
        archiveLogFile(log, 3);
      }
      assert.equal(existsSync(log), false);
      assert.equal(await readFile(join(dir, 'main.1.log'), 'utf8'), 'generation 4');
      assert.equal(await readFile(join(dir, 'main.2.log'), 'utf8'), 'generation 3');
      assert.equal(await readFile(join(dir, 'main.3.log'), 'utf8'), 'generation 2');
      assert.equal(existsSync(join(dir, 'main.4.log')), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
