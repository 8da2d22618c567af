/**
 * electron-log for main and the renderer, one rotating file per process kind:
 *   Windows  %APPDATA%\Clinic Desk\logs\main.log
 *   macOS    ~/Library/Logs/Clinic Desk/main.log
 *   Linux    ~/.config/Clinic Desk/logs/main.log
 * Renderer console output is captured by main (console-message), so the preload stays a pure bridge.
 */
import type { WebContents } from 'electron';
import log from 'electron-log/main';
import { archiveLogFile, logMaxBytes } from './logArchive';

export type ShellLog = typeof log;

export function setUpLogging(): ShellLog {
  log.transports.file.level = 'info';
  log.transports.file.maxSize = logMaxBytes;
  log.transports.file.archiveLogFn = (file) => archiveLogFile(file.path);
  log.transports.console.level = 'warn';
  // Uncaught errors and crashes go to the file instead of a dialog at the front desk.
  log.errorHandler.startCatching({ showDialog: false });
  log.eventLogger.startLogging({ level: 'warn' });
  return log;
}

const consoleLevels = { debug: 'debug', info: 'info', warning: 'warn', error: 'error' } as const;

export function captureRendererConsole(contents: WebContents, logger: ShellLog): void {
  const renderer = logger.scope('renderer');
  contents.on('console-message', (event) => {
    const level = consoleLevels[event.level] ?? 'info';
    // Debug chatter stays out of the file; warnings and errors are what support needs.
    if (level === 'debug') return;
    renderer[level](`${event.message} (${event.sourceId}:${event.lineNumber})`);
  });
}
