/**
 * electron-updater wired to the clinic server's /updates/ feed (generic provider). The decision
 * to download is updateCheck.ts's; electron-updater downloads, verifies the sha512 and installs
 * when the app quits (autoInstallOnAppQuit). quitAndInstall is never called: no update interrupts
 * someone's work.
 */
import { app, net } from 'electron';
import { autoUpdater } from 'electron-updater';
import type { ShellLog } from './logging';
import { createUpdateChecker, type UpdateChecker } from './updateCheck';
import { metadataFileName } from './updateDecision';

export function startAutoUpdates(options: {
  serverUrl: () => Promise<string>;
  intervalMs: number | null;
  logger: ShellLog;
}): UpdateChecker {
  const updateLog = options.logger.scope('updates');
  autoUpdater.logger = updateLog;
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = true;
  autoUpdater.allowDowngrade = false;

  const checker = createUpdateChecker({
    currentVersion: app.getVersion(),
    serverUrl: options.serverUrl,
    metadataFile: metadataFileName(process.platform, process.arch),
    fetchMetadata: async (url) => {
      const response = await net.fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(15_000) });
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.text();
    },
    startDownload: async (feedUrl) => {
      autoUpdater.setFeedURL({ provider: 'generic', url: feedUrl });
      await autoUpdater.checkForUpdates();
    },
    log: updateLog,
    intervalMs: options.intervalMs ?? 4 * 60 * 60 * 1000,
  });
  autoUpdater.on('download-progress', (progress) => checker.downloadProgress(progress.percent));
  autoUpdater.on('update-downloaded', (info) => checker.downloaded(info.version));
  autoUpdater.on('error', (error) => checker.failed(error.message));

  if (!app.isPackaged) updateLog.info('update checks are off in a development build');
  else if (options.intervalMs === null) updateLog.info('update checks are off (CLINIC_UPDATE_INTERVAL_HOURS=0)');
  else checker.start();
  return checker;
}
