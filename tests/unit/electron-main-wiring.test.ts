/**
 * The bundled Electron entry (dist-electron/main.cjs, as packaged) run under Node against a fake
 * `electron` module: Electron's window cannot open here, but the wiring can be checked: single
 * instance, hardened windows, app:// with its CSP, IPC forwarding with the frame check, core events
 * to windows, preconfiguration at first start, and a shutdown that closes the core before quitting.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { invokeChannelNames } from '../../shared/ipc/contract';
import { contentSecurityPolicy } from '../../main/electron/rendererFiles';
import { startTestServer, type TestServer } from '../support/server';

const root = join(import.meta.dirname, '..', '..');
type Handler = (event: unknown, request: unknown) => Promise<unknown>;

class FakeWebContents extends EventEmitter {
  sent: Array<[string, unknown]> = [];
  openHandler: ((details: { url: string }) => { action: string }) | null = null;
  constructor(readonly id: number) {
    super();
  }
  send(channel: string, payload: unknown) {
    this.sent.push([channel, payload]);
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.openHandler = handler;
  }
  pdfOptions: unknown[] = [];
  async printToPDF(options: unknown) {
    this.pdfOptions.push(options);
    return Buffer.from('%PDF-1.7 print view');
  }
}

function fakeElectron(paths: { userData: string; appPath: string }) {
  let nextId = 1;
  const windows: FakeWindow[] = [];
  const logLines: string[] = [];
  const app = Object.assign(new EventEmitter(), {
    name: 'clinic-desk',
    // Packaged, so the update check runs (against the test server's /updates/).
    isPackaged: true,
    quitRequests: 0,
    quitted: false,
    setName(name: string) {
      app.name = name;
    },
    getName: () => app.name,
    getVersion: () => '0.1.0',
    getAppPath: () => paths.appPath,
    getPath: (name: string) => (name === 'userData' ? paths.userData : tmpdir()),
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    quit() {
      app.quitRequests += 1;
      let prevented = false;
      app.emit('before-quit', { preventDefault: () => (prevented = true) });
      if (!prevented) app.quitted = true;
    },
    exit(code: number) {
      throw new Error(`app.exit(${code})`);
    },
  });
  class FakeWindow extends EventEmitter {
    webContents = new FakeWebContents(nextId++);
    url = '';
    focused = 0;
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      super();
      windows.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    loadURL(url: string) {
      this.url = url;
      return Promise.resolve();
    }
    isDestroyed = () => false;
    isMinimized = () => false;
    restore() {}
    show() {}
    focus() {
      this.focused += 1;
    }
    static getAllWindows = () => [...windows];
    static fromWebContents = (contents: unknown) => windows.find((w) => w.webContents === contents) ?? null;
  }
  const ipcHandlers = new Map<string, Handler>();
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    ipcMain: {
      handle: (channel: string, handler: Handler) => ipcHandlers.set(channel, handler),
      removeHandler: (channel: string) => ipcHandlers.delete(channel),
    },
    protocol: {
      privileged: [] as unknown[],
      handlers: new Map<string, (request: Request) => Promise<Response>>(),
      registerSchemesAsPrivileged(schemes: unknown[]) {
        this.privileged.push(...schemes);
      },
      handle(scheme: string, handler: (request: Request) => Promise<Response>) {
        this.handlers.set(scheme, handler);
      },
    },
    session: {
      defaultSession: {
        permissionRequest: null as null | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
        setPermissionRequestHandler(handler: (wc: unknown, permission: string, cb: (ok: boolean) => void) => void) {
          this.permissionRequest = handler;
        },
        setPermissionCheckHandler() {},
      },
    },
    shell: { opened: [] as string[], openExternal: async (url: string) => void electron.shell.opened.push(url) },
    dialog: {
      saveTo: '' as string,
      asked: [] as unknown[],
      async showSaveDialog(...args: unknown[]) {
        electron.dialog.asked.push(args.at(-1));
        return electron.dialog.saveTo ? { canceled: false, filePath: electron.dialog.saveTo } : { canceled: true };
      },
    },
    net: { fetch: (url: string, init?: RequestInit) => fetch(url, init) },
    // The OS keystore, faked: sealed bytes that do not show the secret.
    safeStorage: {
      isEncryptionAvailable: () => true,
      getSelectedStorageBackend: () => 'gnome_libsecret',
      encryptString: (plain: string) => Buffer.from(Buffer.from(plain, 'utf8').map((b) => b ^ 0x5a)),
      decryptString: (sealed: Buffer) => Buffer.from(sealed.map((b) => b ^ 0x5a)).toString('utf8'),
    },
  };
  const logger = (scope: string) => ({
    info: (...a: unknown[]) => logLines.push(`info [${scope}] ${a.join(' ')}`),
    warn: (...a: unknown[]) => logLines.push(`warn [${scope}] ${a.join(' ')}`),
    error: (...a: unknown[]) => logLines.push(`error [${scope}] ${a.join(' ')}`),
    debug: () => undefined,
  });
  const electronLog = {
    ...logger(''),
    scope: (name: string) => logger(name),
    transports: { file: { level: '', maxSize: 0, archiveLogFn: null as unknown }, console: { level: '' } },
    errorHandler: { startCatching: () => undefined },
    eventLogger: { startLogging: () => undefined },
  };
  const feeds: unknown[] = [];
  // electron-updater's autoUpdater as far as the shell uses it: settings, the feed, a check that
  // finds 0.2.0 and starts its download (tests/integration/electron-updates.test.ts drives the real one).
  const autoUpdater: EventEmitter & { allowDowngrade?: boolean; autoInstallOnAppQuit?: boolean } = Object.assign(new EventEmitter(), {
    setFeedURL: (feed: unknown) => void feeds.push(feed),
    checkForUpdates: async () => {
      autoUpdater.emit('checking-for-update');
      autoUpdater.emit('update-available', { version: '0.2.0', files: [], path: '', sha512: '', releaseDate: '' });
      return { isUpdateAvailable: true };
    },
  });
  const electronUpdater = { autoUpdater };
  return { electron, electronLog, electronUpdater, windows, ipcHandlers, logLines, app, feeds };
}

let dir: string;
let server: TestServer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinic-electron-main-'));
  server = await startTestServer();
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-electron.ts'], { cwd: root, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('main.cjs wires Electron to the terminal core', async () => {
  const userData = join(dir, 'userData');
  const appPath = join(dir, 'app');
  await mkdir(join(appPath, 'renderer', 'dist'), { recursive: true });
  await writeFile(join(appPath, 'renderer', 'dist', 'index.html'), '<!doctype html><title>Clinic Desk</title>');
  // The core's threads (WAL checkpoints, first download) as packaged: beside main.cjs, with node_modules in the app.
  await mkdir(join(appPath, 'dist-electron'), { recursive: true });
  for (const worker of ['cache-worker.cjs', 'checkpoint-worker.cjs', 'download-worker.cjs', 'snapshot-fetch-worker.cjs']) {
    await copyFile(join(root, 'dist-electron', worker), join(appPath, 'dist-electron', worker));
  }
  await symlink(join(root, 'node_modules'), join(appPath, 'node_modules'));
  // An AppImage with its clinic-desk.json beside it, naming the clinic server.
  await mkdir(join(dir, 'apps'));
  await writeFile(join(dir, 'apps', 'clinic-desk.json'), JSON.stringify({ serverUrl: server.url, terminalName: 'Front desk 7' }));
  const previousAppImage = process.env.APPIMAGE;
  process.env.APPIMAGE = join(dir, 'apps', 'Clinic-Desk.AppImage');

  const fake = fakeElectron({ userData, appPath });
  const moduleWithLoad = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const realLoad = moduleWithLoad._load;
  moduleWithLoad._load = function load(request, parent, isMain) {
    if (request === 'electron') return fake.electron;
    if (request === 'electron-log/main') return fake.electronLog;
    if (request === 'electron-updater') return fake.electronUpdater;
    return realLoad.call(this, request, parent, isMain);
  };
  try {
    createRequire(import.meta.url)(join(root, 'dist-electron', 'main.cjs'));
    const [window] = await until('the window', () => fake.windows.length > 0 && fake.windows);
    assert.ok(window);
    assert.equal(fake.app.name, 'Clinic Desk');
    assert.equal(fake.electron.protocol.privileged.length, 1);

    // The window: isolated, sandboxed, no Node, the preload from dist-electron, loading app://clinic.
    const prefs = window.options.webPreferences;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.preload, join(appPath, 'dist-electron', 'preload.cjs'));
    assert.equal(window.url, 'app://clinic/index.html');

    // app:// answers with the CSP header.
    const serve = fake.electron.protocol.handlers.get('app');
    assert.ok(serve);
    const page = await serve(new Request('app://clinic/index.html'));
    assert.equal(page.headers.get('content-security-policy'), contentSecurityPolicy);
    assert.match(await page.text(), /Clinic Desk/);

    // Navigation away and new windows are refused; web links go to the system browser.
    let prevented = false;
    window.webContents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://evil.example/');
    assert.equal(prevented, true);
    prevented = false;
    window.webContents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'app://clinic/patients');
    assert.equal(prevented, false);
    assert.deepEqual(window.webContents.openHandler?.({ url: 'https://lab.example/results' }), { action: 'deny' });
    assert.deepEqual(fake.electron.shell.opened, ['https://lab.example/results']);
    assert.deepEqual(window.webContents.openHandler?.({ url: 'file:///etc/passwd' }), { action: 'deny' });
    let granted: boolean | null = null;
    fake.electron.session.defaultSession.permissionRequest?.({}, 'media', (ok) => (granted = ok));
    assert.equal(granted, false);

    // One ipcMain handler per contract channel; the trusted frame reaches the core.
    assert.deepEqual([...fake.ipcHandlers.keys()].sort(), [...invokeChannelNames].sort());
    const trusted = { sender: window.webContents, senderFrame: { url: 'app://clinic/index.html', parent: null } };
    const settingsGet = fake.ipcHandlers.get('settings.get');
    assert.ok(settingsGet);
    const settings = await until('preconfigured settings', async () => settingsGet(trusted, {})).then((p) => p);
    assert.deepEqual(settings, { ok: true, value: { serverUrl: server.url, terminalName: 'Front desk 7', offlineSignInDays: 7 } });
    const marker = JSON.parse(await readFile(join(userData, 'preconfiguration-applied.json'), 'utf8')) as { from: string };
    assert.equal(marker.from, join(dir, 'apps', 'clinic-desk.json'));
    assert.ok(existsSync(join(userData, 'terminal-cache.sqlite')), 'the cache lives in userData');
    // The preconfiguration redirected the terminal; over IPC, signed out, nobody may.
    const bad = await fake.ipcHandlers.get('settings.set')?.(trusted, { serverUrl: 'http://elsewhere.example', terminalName: 'x' });
    assert.match((bad as { ok: boolean; error: { message: string } }).error.message, /^Sign in first/);
    assert.ok(existsSync(join(userData, 'keystore.json')), 'the cache key is kept by the OS keystore');
    assert.ok(!existsSync(join(userData, 'terminal.key')), 'no key file under Electron');

    // Frames that are not ours are refused before the core sees them.
    for (const event of [
      { sender: window.webContents, senderFrame: { url: 'https://evil.example/', parent: null } },
      { sender: window.webContents, senderFrame: { url: 'app://clinic/index.html', parent: {} } },
      { sender: new FakeWebContents(999), senderFrame: { url: 'app://clinic/index.html', parent: null } },
      { sender: window.webContents, senderFrame: null },
    ]) {
      const answer = (await settingsGet(event, {})) as { ok: boolean; error?: { code: string } };
      assert.equal(answer.error?.code, 'forbidden');
    }
    assert.ok(fake.logLines.some((l) => l.startsWith('warn [ipc] refused settings.get from https://evil.example/')));

    // Signing in through the window reaches the server; the core's events reach the window.
    const signedIn = (await fake.ipcHandlers.get('session.login')?.(trusted, { username: 'admin', password: server.adminPassword })) as {
      ok: boolean;
      value?: { user: { username: string } };
    };
    assert.equal(signedIn.value?.user.username, 'admin');

    // Export PDF: the window's own print view through printToPDF, to the file the user chose.
    const savePdf = fake.ipcHandlers.get('print.savePdf');
    assert.ok(savePdf);
    fake.electron.dialog.saveTo = join(dir, 'Invoice INV-000001.pdf');
    const saved = (await savePdf(trusted, { fileName: 'Invoice INV-000001' })) as { ok: boolean; value?: { savedTo: string | null } };
    assert.deepEqual(saved, { ok: true, value: { savedTo: join(dir, 'Invoice INV-000001.pdf') } });
    assert.equal(await readFile(join(dir, 'Invoice INV-000001.pdf'), 'utf8'), '%PDF-1.7 print view');
    assert.deepEqual(window.webContents.pdfOptions, [{ pageSize: 'A4', printBackground: true }]);
    assert.deepEqual((fake.electron.dialog.asked[0] as { defaultPath: string }).defaultPath, 'Invoice INV-000001.pdf');
    fake.electron.dialog.saveTo = '';
    assert.deepEqual(await savePdf(trusted, { fileName: 'Day sheet' }), { ok: true, value: { savedTo: null } }, 'cancelled');
    assert.equal(((await savePdf(trusted, { fileName: '../etc/x' })) as { error: { code: string } }).error.code, 'bad_request');
    assert.equal(((await savePdf({ ...trusted, senderFrame: { url: 'https://evil.example/', parent: null } }, { fileName: 'x' })) as { error: { code: string } }).error.code, 'forbidden');
    await until('a session.changed event in the window', () => window.webContents.sent.some(([c]) => c === 'session.changed'));

    // electron-updater was pointed at the configured server's feed on the default channel, with
    // no silent downgrades; its events become the status the windows hear.
    await until('the update check', () => fake.feeds.length > 0);
    assert.deepEqual(fake.feeds, [{ provider: 'generic', url: `${server.url}/updates/`, channel: 'latest' }]);
    assert.equal(fake.electronUpdater.autoUpdater.allowDowngrade, false);
    assert.equal(fake.electronUpdater.autoUpdater.autoInstallOnAppQuit, true);
    await until('downloading in the status bar', () =>
      window.webContents.sent.some(([c, p]) => c === 'app.updateStatus' && (p as { phase: string }).phase === 'downloading'),
    );
    fake.electronUpdater.autoUpdater.emit('update-downloaded', { version: '0.2.0' });
    assert.ok(fake.logLines.some((l) => /\[updates\] status ready: Version 0\.2\.0 installs when Clinic Desk is next closed/.test(l)));
    // The admin screen reads the same status through IPC.
    const update = (await fake.ipcHandlers.get('app.updateStatus')?.(trusted, {})) as {
      ok: boolean;
      value?: { phase: string; availableVersion: string | null };
    };
    assert.equal(update.value?.phase, 'ready');
    assert.equal(update.value?.availableVersion, '0.2.0');

    // The bundled WAL checkpoint thread started.
    await until('the checkpoint thread', () => fake.logLines.includes('info [core] WAL checkpoints run on their own thread'));
    assert.ok(!fake.logLines.some((l) => l.includes('checkpoint thread')), fake.logLines.join('\n'));
    // The sign-in's first download ran on the bundled download thread, not on the main thread.
    await until('the first download', () => fake.logLines.some((l) => /^info \[core\] first download: \d+ rows cached/.test(l)));
    assert.ok(!fake.logLines.some((l) => l.includes('download thread')), fake.logLines.join('\n'));

    // A second start focuses the existing window.
    fake.app.emit('second-instance');
    assert.equal(window.focused, 1);

    // Quit: held until the core closed, then quits for real; the IPC handlers are gone.
    fake.app.quit();
    assert.equal(fake.app.quitted, false, 'the first quit waits for the core');
    await until('the real quit', () => fake.app.quitted);
    assert.equal(fake.app.quitRequests, 2);
    assert.equal(fake.ipcHandlers.size, 0);
    assert.ok(fake.logLines.includes('info [] terminal core closed; quitting'), fake.logLines.join('\n'));
  } finally {
    moduleWithLoad._load = realLoad;
    if (previousAppImage === undefined) delete process.env.APPIMAGE;
    else process.env.APPIMAGE = previousAppImage;
  }
});
