import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { createTerminal } from '../../main/terminal';
import { startHeadlessTransport, type HeadlessTerminal } from '../../main/headless/transport';
import { randomUUID } from 'node:crypto';
import { clientFor, login as signInOnServer, startTestServer } from '../support/server';

const chromiumFlags = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

test('the browser bridge: window.clinic invokes over /ipc, receives events, and reconnects after the terminal restarts', async () => {
  const server = await startTestServer();
  const dist = mkdtempSync(join(tmpdir(), 'bridge-dist-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'bridge-terminal-'));
  // A page whose only script is the bridge, bundled the way vite would (browser, ESM).
  const entry = join(dist, 'entry.ts');
  writeFileSync(
    entry,
    `import { installHeadlessBridge } from ${JSON.stringify(join(import.meta.dirname, '../../renderer/src/bridge/headless'))};
     const w = window as unknown as { ready: unknown; seen: unknown[] };
     w.seen = [];
     w.ready = installHeadlessBridge().then((b) => { b.on('data.changed', (p) => w.seen.push(p)); return true; });`,
  );
  await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', outfile: join(dist, 'assets', 'bridge.js'), logLevel: 'warning' });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>bridge</title><script type="module" src="/assets/bridge.js"></script>');

  let core = createTerminal({ dataDir, serverUrl: server.url, log: () => {} });
  core.start();
  let transport: HeadlessTerminal = await startHeadlessTransport({ core, rendererDir: dist });
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
    const { user, password } = await server.createUser('doctor');
    const page = await browser.newPage();
    await page.goto(transport.openUrl);
    await page.evaluate(() => (window as unknown as { ready: Promise<boolean> }).ready);

    const login = await page.evaluate(
      ([u, p]) => (window as unknown as { clinic: { invoke(c: string, r: unknown): Promise<unknown> } }).clinic.invoke('session.login', { username: u, password: p }),
      [user.username, password] as const,
    );
    assert.equal((login as { ok: boolean }).ok, true);
    const bad = (await page.evaluate(() => (window as unknown as { clinic: { invoke(c: string, r: unknown): Promise<unknown> } }).clinic.invoke('no.such', {}))) as { ok: boolean; error: { code: string } };
    assert.equal(bad.error.code, 'unknown_channel');

    // A change made by the core (as another window would) arrives in the page as an event.
    await core.invoke('data.mutate', { op: 'create', collection: 'patients', data: { firstName: 'Via', lastName: 'Bridge' } });
    await page.waitForFunction(() => (window as unknown as { seen: { source: string }[] }).seen.some((e) => e.source === 'local'));

    // A change from another terminal comes as the cache thread's JSON text, sent as the fragments
    // of one frame (main/headless/transport.ts): the page gets the payload parsed, as any event.
    // (After the first download, which would otherwise bring the row as data.downloaded.)
    for (let i = 0; i < 300 && !(await core.syncStatus()).initialSync.done; i++) await new Promise((r) => setTimeout(r, 50));
    const elsewhere = randomUUID();
    const pushed = await clientFor(server.url, await signInOnServer(server.url, user.username, password)).post('/api/sync/push', {
      clientId: 'another-terminal',
      mutations: [{ mutationId: randomUUID(), collection: 'patients', op: 'create', id: elsewhere, data: { firstName: 'From', lastName: 'Elsewhere' } }],
    });
    assert.equal(pushed.status, 200);
    const remote = await page.waitForFunction(
      (id) =>
        (window as unknown as { seen: { source: string; changes: { id: string; row?: { lastName?: string } }[] }[] }).seen
          .flatMap((e) => (e.source === 'remote' ? e.changes : []))
          .find((c) => c.id === id)?.row?.lastName ?? null,
      elsewhere,
    );
    assert.equal(await remote.jsonValue(), 'Elsewhere');

    // The terminal restarts on the same port: the bridge reconnects by itself.
    const port = transport.port;
    await transport.close();
    await core.close();
    core = createTerminal({ dataDir, serverUrl: server.url, log: () => {} });
    core.start();
    // A supervisor restarting it in place hands the same launch token back (the page keeps it).
    transport = await startHeadlessTransport({ core, rendererDir: dist, port, token: transport.token });
    const patients = (await page.evaluate(() =>
      (window as unknown as { clinic: { invoke(c: string, r: unknown): Promise<unknown> } }).clinic.invoke('data.list', { collection: 'patients' }),
    )) as { ok: boolean; value: { firstName: string }[] };
    assert.equal(patients.ok, true);
    assert.deepEqual(patients.value.map((p) => p.firstName).sort(), ['From', 'Via']);
  } finally {
    // Closed even when the browser never started, or the open server and terminal keep the run alive.
    await browser?.close();
    await transport.close();
    await core.close();
    await server.close();
    rmSync(dist, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});
