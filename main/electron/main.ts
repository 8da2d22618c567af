/**
 * Clinic Desk's Electron entry (bundled to dist-electron/main.cjs). It only wires Electron to the
 * terminal core (main/core.ts): one instance per machine, secured windows, IPC forwarding, logs,
 * install-time settings, background updates, and a clean shutdown that closes the cache.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { app, BrowserWindow, session } from 'electron';
import type { TerminalSettings } from '../../shared/ipc/contract';
import { createTerminal, type Terminal } from '../terminal';
import { readMachinePolicy, type MachinePolicy } from '../policy/machinePolicy';
import { forwardIpc, windowIdOf } from './ipcForwarding';
import { captureRendererConsole, setUpLogging, type ShellLog } from './logging';
import { registerAppScheme, serveRenderer } from './rendererProtocol';
import { osKeystore } from './safeStorageKeystore';
import { applyInstallPreconfiguration } from './startupSettings';
import { startUpdates } from './updates/startUpdates';
import { hardenWebContents, lockDownSession, openClinicWindow } from './window';

// package.json's name is "clinic-desk"; the data and log folders are named after the product.
app.setName('Clinic Desk');
const log = setUpLogging();
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // A second start (double-click on the shortcut) focuses the running window instead.
  app.quit();
} else {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log));
  app
    .whenReady()
    .then(() => run(log))
    .catch((error: unknown) => {
      log.error('Clinic Desk could not start', error);
      app.exit(1);
    });
}

async function run(logger: ShellLog): Promise<void> {
  const userData = app.getPath('userData');
  logger.info(`Clinic Desk ${app.getVersion()} starting; data in ${userData}`);
  const policy = await readPolicy(logger);
  const core = createTerminal({
    policy,
    dataDir: userData,
    log: (line) => logger.scope('core').info(line),
    cacheWorker: join(app.getAppPath(), 'dist-electron', 'cache-worker.cjs'),
    checkpointWorker: join(app.getAppPath(), 'dist-electron', 'checkpoint-worker.cjs'),
    downloadWorker: join(app.getAppPath(), 'dist-electron', 'download-worker.cjs'),
    snapshotFetchWorker: join(app.getAppPath(), 'dist-electron', 'snapshot-fetch-worker.cjs'),
    // The cache key and the refresh token live with the OS keystore (safeStorage).
    keystore: osKeystore(userData),
  });
  try {
    await applyInstallPreconfiguration(core, userData, logger);
  } catch (error) {
    // A preconfiguration that cannot be saved must not keep the front desk from working.
    logger.error('the install-time preconfiguration could not be applied', error);
  }
  core.start();

  lockDownSession(session.defaultSession);
  serveRenderer(join(app.getAppPath(), 'renderer', 'dist'));
  const preloadPath = join(app.getAppPath(), 'dist-electron', 'preload.cjs');

  const ourWindows = new Set<number>();
  const stopIpc = forwardIpc(core, ourWindows, logger);
  const open = (): BrowserWindow => {
    const window = openClinicWindow(preloadPath);
    const contentsId = window.webContents.id;
    ourWindows.add(contentsId);
    const unregister = core.registerWindow(windowIdOf(window.webContents));
    captureRendererConsole(window.webContents, logger);
    window.webContents.on('render-process-gone', (_event, details) => logger.error(`window renderer gone: ${details.reason}`));
    window.on('closed', () => {
      ourWindows.delete(contentsId);
      unregister();
    });
    return window;
  };
  open();

  app.on('second-instance', () => {
    const existing = BrowserWindow.getAllWindows().find((w) => !w.isDestroyed());
    if (!existing) return void open();
    if (existing.isMinimized()) existing.restore();
    existing.show();
    existing.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  // Quit with the last window on every platform, so the cache is closed cleanly.
  app.on('window-all-closed', () => app.quit());

  const updates = startUpdates({
    serverUrl: () => currentServerUrl(core),
    policy,
    logger,
    report: (agent) => {
      core.reportUpdateStatus(agent.status());
      agent.onStatus((status) => {
        core.reportUpdateStatus(status);
        logger.scope('updates').info(`status ${status.phase}${status.message ? `: ${status.message}` : ''}`);
      });
    },
  });

  handleShutdown(core, () => {
    updates.stop();
    stopIpc();
  }, logger);
}

/** The machine policy IT set (policy/machinePolicy.ts); a broken source is logged, never fatal. */
async function readPolicy(logger: ShellLog): Promise<MachinePolicy> {
  const policyLog = logger.scope('policy');
  try {
    const reading = await readMachinePolicy({ platform: process.platform, env: process.env, appId: 'org.clinicdesk.terminal', userName: userInfo().username });
    for (const [key, source] of Object.entries(reading.sources)) policyLog.info(`${key} is set by ${source}`);
    for (const problem of reading.problems) policyLog.error(problem);
    return reading.policy;
  } catch (error) {
    policyLog.error('the machine policy could not be read', error);
    return {};
  }
}

async function currentServerUrl(core: Terminal): Promise<string> {
  const answer = await core.invoke('settings.get', {});
  if (!answer.ok) throw new Error(`cannot read the terminal settings: ${answer.error.message}`);
  return (answer.value as TerminalSettings).serverUrl;
}

function handleShutdown(core: Terminal, stopShell: () => void, logger: ShellLog): void {
  let closed = false;
  let closing = false;
  app.on('before-quit', (event) => {
    if (closed) return;
    // Hold the quit until the core has finished the transaction in flight and closed the cache.
    event.preventDefault();
    if (closing) return;
    closing = true;
    logger.info('shutting down: closing the terminal core');
    stopShell();
    core
      .close()
      .catch((error: unknown) => logger.error('the terminal core did not close cleanly', error))
      .finally(() => {
        closed = true;
        logger.info('terminal core closed; quitting');
        app.quit();
      });
  });
}
