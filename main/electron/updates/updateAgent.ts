/**
 * The terminal's software updates, done by electron-updater itself: it reads the channel file
 * (latest*.yml or beta*.yml) from the clinic server's /updates/ feed, decides by version, staged
 * rollout (`stagingPercentage`) and minimum OS version (`minimumSystemVersion`), downloads in the
 * background, checks the sha512 and installs when the app quits. This module only configures it
 * from the machine policy, starts checks, and turns its events into one status for the status
 * bar and the admin screen. No Electron import: tests drive it with electron-updater's own updater
 * classes under Node.
 */
import type { AppUpdater, ProgressInfo, UpdateInfo } from 'electron-updater';
import semver from 'semver';
import type { UpdateStatus } from '../../../shared/ipc/contract';
import type { UpdateChannel } from '../../policy/machinePolicy';

export type UpdateLog = { info(message: string): void; warn(message: string): void; error(message: string): void };

export interface UpdateAgentOptions {
  updater: AppUpdater;
  currentVersion: string;
  /** Read before every check, since the admin (or the policy) may change the server address. */
  serverUrl: () => Promise<string>;
  channel: UpdateChannel;
  /** Off: this terminal never checks or downloads by itself (IT pushes installers). */
  autoUpdate: boolean;
  /**
   * Check and say what is published, but leave installing to IT: a deb install would ask for an
   * administrator's password when the app quits, which staff do not have.
   */
  notifyOnly?: boolean;
  /** null: no periodic checks. */
  intervalMs: number | null;
  log: UpdateLog;
  now?: () => Date;
}

export interface UpdateAgent {
  status(): UpdateStatus;
  onStatus(listener: (status: UpdateStatus) => void): () => void;
  checkNow(): Promise<UpdateStatus>;
  start(): void;
  stop(): void;
}

/** Default: every 4 hours; CLINIC_UPDATE_INTERVAL_HOURS changes it (minimum 0.25; 0 turns checks off). */
export function updateIntervalMs(env: Record<string, string | undefined>): number | null {
  const raw = env.CLINIC_UPDATE_INTERVAL_HOURS;
  if (raw === undefined || raw.trim() === '') return 4 * 60 * 60 * 1000;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0) return 4 * 60 * 60 * 1000;
  if (hours === 0) return null;
  return Math.max(hours, 0.25) * 60 * 60 * 1000;
}

/** `<serverUrl>/updates/` whatever trailing slashes the admin typed. */
export function updatesFeedUrl(serverUrl: string): string {
  return `${serverUrl.replace(/\/+$/, '')}/updates/`;
}

export function createUpdateAgent(options: UpdateAgentOptions): UpdateAgent {
  const { updater, log } = options;
  const now = options.now ?? (() => new Date());
  const listeners = new Set<(status: UpdateStatus) => void>();
  let current: UpdateStatus = {
    phase: options.autoUpdate ? 'idle' : 'unavailable',
    currentVersion: options.currentVersion,
    availableVersion: null,
    percent: null,
    message: options.autoUpdate ? null : 'Automatic updates are turned off by the machine policy; your IT department installs new versions.',
    checkedAt: null,
  };
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<UpdateStatus> | null = null;

  function set(patch: Partial<UpdateStatus>): UpdateStatus {
    current = { ...current, ...patch };
    for (const listener of listeners) listener(current);
    return current;
  }

  updater.logger = log;
  updater.autoDownload = !options.notifyOnly;
  updater.autoInstallOnAppQuit = !options.notifyOnly;
  // Setting the channel allows downgrades (electron-updater's rule); a terminal never goes back
  // silently, so a move from beta to latest waits until latest passes the beta version.
  updater.channel = options.channel;
  updater.allowPrerelease = options.channel === 'beta';
  updater.allowDowngrade = false;

  updater.on('checking-for-update', () => set({ phase: 'checking', message: null }));
  updater.on('update-not-available', (info: UpdateInfo) => {
    const held = heldBack(info);
    if (held) log.info(`update ${info.version}: ${held}`);
    set({ phase: 'up-to-date', checkedAt: now().toISOString(), availableVersion: info.version, percent: null, message: held });
  });
  updater.on('update-available', (info: UpdateInfo) => {
    if (options.notifyOnly) {
      set({
        phase: 'available',
        checkedAt: now().toISOString(),
        availableVersion: info.version,
        percent: null,
        message: `Version ${info.version} is published; this installation is updated by your IT department's package tools.`,
      });
      return;
    }
    log.info(`update ${info.version} available (running ${options.currentVersion}), downloading in the background`);
    set({ phase: 'downloading', checkedAt: now().toISOString(), availableVersion: info.version, percent: 0, message: null });
  });
  updater.on('download-progress', (progress: ProgressInfo) => {
    if (current.phase === 'downloading') set({ percent: Math.max(0, Math.min(100, Math.round(progress.percent))) });
  });
  updater.on('update-downloaded', (info: UpdateInfo) => {
    log.info(`update ${info.version} downloaded and verified; it installs when Clinic Desk is next closed`);
    set({ phase: 'ready', availableVersion: info.version, percent: 100, message: `Version ${info.version} installs when Clinic Desk is next closed.` });
  });
  updater.on('error', (error: Error) => {
    const reason = error?.message?.split('\n')[0] ?? String(error);
    set({ phase: 'error', percent: null, checkedAt: now().toISOString(), message: `Update failed: ${reason}` });
  });

  /** Why a newer published version is not for this terminal yet (electron-updater decided so). */
  function heldBack(info: UpdateInfo): string | null {
    const current = semver.valid(options.currentVersion);
    if (!current || !semver.valid(info.version) || !semver.gt(info.version, current)) return null;
    if (info.minimumSystemVersion) return `Version ${info.version} needs a newer operating system (${info.minimumSystemVersion} or later).`;
    if (info.stagingPercentage !== undefined) {
      return `Version ${info.version} is being rolled out to ${info.stagingPercentage}% of terminals; this one gets it when the rollout widens.`;
    }
    return `Version ${info.version} is not offered to this terminal.`;
  }

  async function runCheck(): Promise<UpdateStatus> {
    // Once a download runs or waits to install, another check would only restart it.
    if (current.phase === 'downloading' || current.phase === 'ready') return current;
    const url = updatesFeedUrl(await options.serverUrl());
    updater.setFeedURL({ provider: 'generic', url, channel: options.channel });
    try {
      const result = await updater.checkForUpdates();
      if (result === null) return set({ phase: 'unavailable', message: 'Updates are checked only in an installed build.' });
    } catch (error) {
      // The 'error' event has set the status already; log where it came from.
      log.warn(`update check against ${url} failed: ${(error as Error).message.split('\n')[0]}`);
      if (current.phase !== 'error') set({ phase: 'error', checkedAt: now().toISOString(), message: `Update check failed: ${(error as Error).message.split('\n')[0]}` });
    }
    return current;
  }

  function checkNow(): Promise<UpdateStatus> {
    if (!options.autoUpdate) return Promise.resolve(current);
    inFlight ??= runCheck().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  return {
    status: () => current,
    onStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    checkNow,
    start() {
      if (!options.autoUpdate || timer !== null) return;
      void checkNow();
      if (options.intervalMs === null) return;
      timer = setInterval(() => void checkNow(), options.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
