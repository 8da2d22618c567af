/**
 * The Electron side of updates, kept thin: electron-updater's own autoUpdater (NSIS on Windows,
 * Squirrel.Mac on macOS, AppImage or deb on Linux) handed to the update agent with the machine
 * policy's channel and on/off, and every state change passed to the core, which tells the windows
 * (the status bar) through the 'app.updateStatus' event.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { app } from 'electron';
import { autoUpdater } from 'electron-updater';
import type { MachinePolicy } from '../../policy/machinePolicy';
import type { ShellLog } from '../logging';
import { createUpdateAgent, updateIntervalMs, type UpdateAgent } from './updateAgent';

/** How electron-builder packaged this copy: 'deb', 'rpm', ... on Linux packages; null otherwise. */
function linuxPackageType(): string | null {
  const marker = join(process.resourcesPath ?? '', 'package-type');
  return process.platform === 'linux' && existsSync(marker) ? readFileSync(marker, 'utf8').trim() : null;
}

export function startUpdates(options: { serverUrl: () => Promise<string>; policy: MachinePolicy; logger: ShellLog; report: (agent: UpdateAgent) => void }): UpdateAgent {
  const log = options.logger.scope('updates');
  const intervalMs = updateIntervalMs(process.env);
  const packaged = app.isPackaged;
  // deb/rpm installs ask for an administrator's password to install; staff have none, so those
  // copies only say what is published and IT's package tools install it (docs/admin.md).
  const packageType = linuxPackageType();
  const agent = createUpdateAgent({
    updater: autoUpdater,
    currentVersion: app.getVersion(),
    serverUrl: options.serverUrl,
    channel: options.policy.updateChannel ?? 'latest',
    autoUpdate: packaged && options.policy.autoUpdate !== false && intervalMs !== null,
    notifyOnly: packageType !== null && packageType !== 'appimage',
    intervalMs,
    log,
  });
  options.report(agent);
  if (!packaged) log.info('update checks are off in a development build');
  else if (options.policy.autoUpdate === false) log.info('update checks are off: the machine policy turns automatic updates off');
  else if (intervalMs === null) log.info('update checks are off (CLINIC_UPDATE_INTERVAL_HOURS=0)');
  else log.info(`update channel ${options.policy.updateChannel ?? 'latest'}, checking every ${intervalMs / 3_600_000} h`);
  agent.start();
  return agent;
}
