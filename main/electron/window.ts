/**
 * The terminal's window: isolated, sandboxed renderer without Node, loading only app://clinic.
 * Navigation away, new windows, webviews and permission prompts are refused for every webContents.
 */
import { app, BrowserWindow, shell, type Session, type WebContents } from 'electron';
import type { ShellLog } from './logging';
import { isAppUrl, rendererEntryUrl } from './trustedSender';

export function hardenWebContents(contents: WebContents, logger: ShellLog): void {
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    logger.warn(`blocked navigation to ${url}`);
  });
  contents.on('will-redirect', (event, url) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    logger.warn(`blocked redirect to ${url}`);
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links a clinic might put in a note (a lab's website) open in the system browser, never in-app.
    if (/^https?:\/\//i.test(url)) void shell.openExternal(url);
    else logger.warn(`blocked new window for ${url}`);
    return { action: 'deny' };
  });
}

export function lockDownSession(target: Session): void {
  // No camera, microphone, notifications, geolocation...: the front desk needs none.
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
}

export function openClinicWindow(preloadPath: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Clinic Desk',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(rendererEntryUrl);
  return window;
}
