/**
 * The terminal's update flow with electron-updater's own updater (its DebUpdater, as a Linux
 * package install uses) driven under Node with a fake `app`, against the clinic server's /updates/
 * feed on 127.0.0.1. electron-updater decides by version, channel, staged rollout and minimum OS
 * version; the update agent (main/electron/updates/updateAgent.ts) turns its events into the status
 * the status bar shows. Staging ids are chosen so one terminal falls inside a 10 % rollout and one
 * outside: electron-updater places a terminal by the last 4 bytes of its `.updaterId`.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { configureRequestOptions, configureRequestUrl, HttpExecutor, type DownloadOptions } from 'builder-util-runtime';
import { DebUpdater } from 'electron-updater';
import type { AppAdapter } from 'electron-updater/out/AppAdapter';
import { createUpdateAgent, type UpdateAgent } from '../../main/electron/updates/updateAgent';
import type { UpdateChannel } from '../../main/policy/machinePolicy';
import type { UpdateStatus } from '../../shared/ipc/contract';
import { startTestServer, type TestServer } from '../support/server';

/**
 * electron-updater's HTTP under plain Node: its own HttpExecutor with Node's http in place of
 * Electron's net module (as its ElectronHttpExecutor does, minus the Electron session).
 */
class NodeHttp extends HttpExecutor<ClientRequest> {
  createRequest(options: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest {
    return httpRequest(options, callback);
  }

  download(url: URL, destination: string, options: DownloadOptions): Promise<string> {
    return options.cancellationToken.createPromise<string>((resolve, reject, onCancel) => {
      const requestOptions: RequestOptions = { headers: options.headers ?? undefined };
      configureRequestUrl(url, requestOptions);
      configureRequestOptions(requestOptions);
      this.doDownload(
        requestOptions,
        { destination, options, onCancel, callback: (error) => (error == null ? resolve(destination) : reject(error)), responseHandler: null },
        0,
      );
    });
  }
}

const INSIDE = '6f1a2b3c-4d5e-4f60-8a7b-000000000001'; // 1 / 2^32: inside any rollout
const OUTSIDE = '6f1a2b3c-4d5e-4f60-8a7b-0000fffffffe'; // ~100 %: outside a 10 % rollout

let dir: string;
let server: TestServer;
const linuxChannel = (channel: string) => `${channel}-linux${process.arch === 'x64' ? '' : `-${process.arch}`}.yml`;

async function publish(channel: string, version: string, extra: Record<string, string | number> = {}): Promise<{ file: string; sha512: string }> {
  const file = `clinic-desk_${version}_amd64.deb`;
  const bytes = randomBytes(256 * 1024);
  const sha512 = createHash('sha512').update(bytes).digest('base64');
  const updates = join(server.dataDir, 'updates');
  await writeFile(join(updates, file), bytes);
  const more = Object.entries(extra).map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v}'` : v}\n`).join('');
  await writeFile(
    join(updates, linuxChannel(channel)),
    `version: ${version}\nfiles:\n  - url: ${file}\n    sha512: ${sha512}\n    size: ${bytes.length}\npath: ${file}\nsha512: ${sha512}\nreleaseDate: '2026-12-01T08:00:00.000Z'\n${more}`,
  );
  return { file, sha512 };
}

interface Terminal {
  agent: UpdateAgent;
  cacheDir: string;
  seen: UpdateStatus['phase'][];
}

let terminals = 0;
async function terminal(options: { version: string; stagingId: string; channel?: UpdateChannel; autoUpdate?: boolean; serverUrl?: string; notifyOnly?: boolean }): Promise<Terminal> {
  terminals += 1;
  const home = join(dir, `terminal-${terminals}`);
  await mkdir(join(home, 'userData'), { recursive: true });
  await writeFile(join(home, 'userData', '.updaterId'), options.stagingId);
  await writeFile(join(home, 'app-update.yml'), 'provider: generic\nurl: http://127.0.0.1:9/\nupdaterCacheDirName: clinic-desk-updater\n');
  const app: AppAdapter = {
    version: options.version,
    name: 'Clinic Desk',
    isPackaged: true,
    appUpdateConfigPath: join(home, 'app-update.yml'),
    userDataPath: join(home, 'userData'),
    baseCachePath: join(home, 'cache'),
    whenReady: async () => undefined,
    relaunch: () => undefined,
    quit: () => undefined,
    onQuit: () => undefined,
  };
  const updater = new DebUpdater(null, app);
  (updater as unknown as { httpExecutor: HttpExecutor<ClientRequest> }).httpExecutor = new NodeHttp();
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const agent = createUpdateAgent({
    updater,
    currentVersion: options.version,
    serverUrl: async () => options.serverUrl ?? server.url,
    channel: options.channel ?? 'latest',
    autoUpdate: options.autoUpdate ?? true,
    notifyOnly: options.notifyOnly ?? false,
    intervalMs: null,
    log: quiet,
  });
  const seen: UpdateStatus['phase'][] = [];
  agent.onStatus((s) => seen.push(s.phase));
  return { agent, cacheDir: join(home, 'cache', 'clinic-desk-updater'), seen };
}

async function settled(t: Terminal, phases: UpdateStatus['phase'][], timeoutMs = 20_000): Promise<UpdateStatus> {
  const until = Date.now() + timeoutMs;
  while (!phases.includes(t.agent.status().phase)) {
    if (Date.now() > until) assert.fail(`update status stayed ${t.agent.status().phase} (${t.agent.status().message}); seen ${t.seen.join(' -> ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return t.agent.status();
}

/** The downloaded installer in the updater's cache, checked against the published digest. */
async function downloaded(t: Terminal, published: { file: string; sha512: string }): Promise<void> {
  const pending = join(t.cacheDir, 'pending');
  const files = await readdir(pending);
  assert.ok(files.includes(published.file), `${published.file} in ${files.join(', ')}`);
  assert.equal(createHash('sha512').update(await readFile(join(pending, published.file))).digest('base64'), published.sha512);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinic-updates-flow-'));
  // The feed is the clinic server's own /updates/ route, serving <data-dir>/updates.
  server = await startTestServer();
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

test('a 10 % staged rollout: outside settles to up to date (again and again), inside downloads; widening reaches the rest', { timeout: 60_000 }, async () => {
  const release = await publish('latest', '0.2.0', { stagingPercentage: 10 });
  const outside = await terminal({ version: '0.1.0', stagingId: OUTSIDE });
  const inside = await terminal({ version: '0.1.0', stagingId: INSIDE });

  const held = await outside.agent.checkNow();
  assert.equal(held.phase, 'up-to-date');
  assert.equal(held.availableVersion, '0.2.0');
  assert.match(held.message ?? '', /rolled out to 10% of terminals/);
  assert.equal(held.percent, null, 'no download hangs at 0 %');
  assert.deepEqual(outside.seen, ['checking', 'up-to-date']);
  // The next check runs again and settles the same way (the old code fetched nothing until a restart).
  assert.equal((await outside.agent.checkNow()).phase, 'up-to-date');
  assert.deepEqual(outside.seen, ['checking', 'up-to-date', 'checking', 'up-to-date']);
  assert.equal(existsSync(join(outside.cacheDir, 'pending', release.file)), false, 'nothing downloaded outside the rollout');

  await inside.agent.checkNow();
  const ready = await settled(inside, ['ready', 'error']);
  assert.equal(ready.phase, 'ready', ready.message ?? '');
  assert.equal(ready.availableVersion, '0.2.0');
  assert.match(ready.message ?? '', /installs when Clinic Desk is next closed/);
  assert.equal(inside.seen[0], 'checking');
  assert.ok(inside.seen.includes('downloading'));
  await downloaded(inside, release);
  // Ready waits for the quit: another check does not start over.
  assert.equal((await inside.agent.checkNow()).phase, 'ready');

  // The admin widens the rollout to everyone: the terminal outside downloads at its next check.
  const widened = await publish('latest', '0.2.0', { stagingPercentage: 100 });
  await outside.agent.checkNow();
  assert.equal((await settled(outside, ['ready', 'error'])).phase, 'ready');
  await downloaded(outside, widened);
});

test('channels: a beta terminal takes the beta, a latest terminal stays on latest; no downgrades', { timeout: 60_000 }, async () => {
  await publish('latest', '0.2.0');
  const beta = await publish('beta', '0.3.0-beta.1');
  const onBeta = await terminal({ version: '0.2.0', stagingId: INSIDE, channel: 'beta' });
  const onLatest = await terminal({ version: '0.2.0', stagingId: INSIDE, channel: 'latest' });

  await onBeta.agent.checkNow();
  const ready = await settled(onBeta, ['ready', 'error']);
  assert.equal(ready.phase, 'ready', ready.message ?? '');
  assert.equal(ready.availableVersion, '0.3.0-beta.1');
  await downloaded(onBeta, beta);

  const latest = await onLatest.agent.checkNow();
  assert.equal(latest.phase, 'up-to-date');
  assert.equal(latest.availableVersion, '0.2.0');
  assert.equal(latest.message, null);

  // A terminal that already runs the beta and is moved back to latest keeps it until latest passes it.
  const movedBack = await terminal({ version: '0.3.0-beta.1', stagingId: INSIDE, channel: 'latest' });
  assert.equal((await movedBack.agent.checkNow()).phase, 'up-to-date');
  assert.equal(existsSync(join(movedBack.cacheDir, 'pending')), false);
});

test('minimum OS version: a release that needs a newer system is not offered, and says why', async () => {
  await publish('latest', '0.4.0', { minimumSystemVersion: '999.0.0' });
  const old = await terminal({ version: '0.2.0', stagingId: INSIDE });
  const status = await old.agent.checkNow();
  assert.equal(status.phase, 'up-to-date');
  assert.match(status.message ?? '', /needs a newer operating system \(999\.0\.0 or later\)/);
});

test('policy off: no check, no download, and the status says IT installs updates', async () => {
  await publish('latest', '0.5.0');
  const managed = await terminal({ version: '0.1.0', stagingId: INSIDE, autoUpdate: false });
  managed.agent.start();
  const status = await managed.agent.checkNow();
  assert.equal(status.phase, 'unavailable');
  assert.match(status.message ?? '', /turned off by the machine policy/);
  assert.deepEqual(managed.seen, [], 'electron-updater was never asked');
  managed.agent.stop();
});

test('a deb install says a newer version is available and leaves installing to IT (no download, no sudo prompt)', async () => {
  const release = await publish('latest', '0.6.0');
  const deb = await terminal({ version: '0.1.0', stagingId: INSIDE, notifyOnly: true });
  const status = await deb.agent.checkNow();
  assert.equal(status.phase, 'available');
  assert.equal(status.availableVersion, '0.6.0');
  assert.match(status.message ?? '', /updated by your IT department's package tools/);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(existsSync(join(deb.cacheDir, 'pending', release.file)), false, 'nothing downloaded');
  assert.equal(deb.agent.status().phase, 'available');
});

test('an unreachable feed is an error the status bar can show, and the next check runs again', async () => {
  // Port 9 (discard) on loopback: nothing listens there.
  const lost = await terminal({ version: '0.1.0', stagingId: INSIDE, serverUrl: 'http://127.0.0.1:9' });
  const first = await lost.agent.checkNow();
  assert.equal(first.phase, 'error');
  assert.match(first.message ?? '', /^Update (failed|check failed): .*ECONNREFUSED/);
  const again = await lost.agent.checkNow();
  assert.equal(again.phase, 'error');
  assert.deepEqual(lost.seen.filter((p) => p === 'checking').length, 2, 'a second check ran instead of hanging');
});
