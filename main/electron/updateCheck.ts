/**
 * The terminal's update routine, free of Electron: check at start and every few hours, start the
 * background download only for a genuinely newer build, and keep one readable status for the logs
 * and the admin screen. The installer runs when the app quits (electron-updater's
 * autoInstallOnAppQuit), never in the middle of someone's work.
 */
import type { UpdatePhase, UpdateStatus } from '../../shared/ipc/contract';
import { decideUpdate, updatesFeedUrl } from './updateDecision';

export type { UpdatePhase, UpdateStatus };

export type UpdateLog = { info(message: string): void; warn(message: string): void; error(message: string): void };

export type UpdateCheckerOptions = {
  currentVersion: string;
  /** Read before every check, since the admin may change the server URL in settings. */
  serverUrl: () => Promise<string>;
  /** latest.yml, latest-linux.yml or latest-mac.yml (metadataFileName). */
  metadataFile: string;
  /** The metadata text, or null when the server has none (nothing published yet). */
  fetchMetadata: (url: string) => Promise<string | null>;
  /** Starts electron-updater's check + background download; its events call the reporters below. */
  startDownload: (feedUrl: string) => Promise<void>;
  log: UpdateLog;
  intervalMs: number;
  now?: () => Date;
};

export type UpdateChecker = {
  status(): UpdateStatus;
  onStatus(listener: (status: UpdateStatus) => void): () => void;
  checkNow(): Promise<UpdateStatus>;
  start(): void;
  stop(): void;
  /** Reporters for electron-updater's download events. */
  downloadProgress(percent: number): void;
  downloaded(version: string): void;
  failed(message: string): void;
};

/** Default: every 4 hours; the admin can set CLINIC_UPDATE_INTERVAL_HOURS (0 turns checks off). */
export function updateIntervalMs(env: Record<string, string | undefined>): number | null {
  const raw = env.CLINIC_UPDATE_INTERVAL_HOURS;
  if (raw === undefined || raw.trim() === '') return 4 * 60 * 60 * 1000;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0) return 4 * 60 * 60 * 1000;
  if (hours === 0) return null;
  return Math.max(hours, 0.25) * 60 * 60 * 1000;
}

export function createUpdateChecker(options: UpdateCheckerOptions): UpdateChecker {
  const now = options.now ?? (() => new Date());
  const listeners = new Set<(status: UpdateStatus) => void>();
  let current: UpdateStatus = {
    phase: 'idle',
    currentVersion: options.currentVersion,
    availableVersion: null,
    percent: null,
    message: null,
    checkedAt: null,
  };
  let inFlight: Promise<UpdateStatus> | null = null;
  let timer: NodeJS.Timeout | null = null;

  function set(patch: Partial<UpdateStatus>): UpdateStatus {
    current = { ...current, ...patch };
    for (const listener of listeners) listener(current);
    return current;
  }

  async function runCheck(): Promise<UpdateStatus> {
    // Once a download is running or done, another check would only restart it.
    if (current.phase === 'downloading' || current.phase === 'ready') return current;
    set({ phase: 'checking', message: null });
    const feedUrl = updatesFeedUrl(await options.serverUrl());
    const url = `${feedUrl}${options.metadataFile}`;
    let text: string | null;
    try {
      text = await options.fetchMetadata(url);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      options.log.warn(`update check: could not read ${url}: ${reason}`);
      return set({ phase: 'error', checkedAt: now().toISOString(), message: `Could not reach the update feed (${reason}).` });
    }
    const checkedAt = now().toISOString();
    if (text === null) {
      options.log.info(`update check: no update published at ${url}`);
      return set({ phase: 'up-to-date', checkedAt, availableVersion: null, message: 'No update is published on the server.' });
    }
    const decision = decideUpdate(options.currentVersion, text);
    switch (decision.kind) {
      case 'broken':
        options.log.error(`update check: ${url} is broken, nothing downloaded: ${decision.reason}`);
        return set({ phase: 'error', checkedAt, availableVersion: null, message: `The update file on the server is broken: ${decision.reason}.` });
      case 'same':
        options.log.info(`update check: ${options.currentVersion} is the newest version`);
        return set({ phase: 'up-to-date', checkedAt, availableVersion: decision.version, message: null });
      case 'older':
        options.log.warn(`update check: the server offers ${decision.version}, older than ${options.currentVersion}; not downgrading`);
        return set({
          phase: 'up-to-date',
          checkedAt,
          availableVersion: decision.version,
          message: `The server offers an older version (${decision.version}); this terminal keeps ${options.currentVersion}.`,
        });
      case 'newer':
        options.log.info(`update check: ${decision.version} available (running ${options.currentVersion}), downloading in the background`);
        set({ phase: 'downloading', checkedAt, availableVersion: decision.version, percent: 0, message: null });
        try {
          await options.startDownload(feedUrl);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          options.log.error(`update download of ${decision.version} failed: ${reason}`);
          return set({ phase: 'error', percent: null, message: `Downloading ${decision.version} failed (${reason}).` });
        }
        return current;
    }
  }

  function checkNow(): Promise<UpdateStatus> {
    inFlight ??= runCheck()
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        options.log.error(`update check failed: ${reason}`);
        return set({ phase: 'error', message: `Update check failed (${reason}).` });
      })
      .finally(() => {
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
      if (timer !== null) return;
      void checkNow();
      timer = setInterval(() => void checkNow(), options.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
    downloadProgress(percent) {
      if (current.phase === 'downloading') set({ percent: Math.max(0, Math.min(100, Math.round(percent))) });
    },
    downloaded(version) {
      options.log.info(`update ${version} downloaded; it installs when the app is next closed`);
      set({ phase: 'ready', availableVersion: version, percent: 100, message: `Version ${version} installs when Clinic Desk is next closed.` });
    },
    failed(message) {
      options.log.error(`update failed: ${message}`);
      set({ phase: 'error', percent: null, message: `Update failed (${message}).` });
    },
  };
}
