/**
 * ipcMain <-> the terminal core. Each contract channel gets one handler that checks the sending
 * frame (trustedSender.ts) and forwards to core.invoke; core events go to every open window (a
 * payload held as JSON text as its pieces, which preload/clinicBridge.ts parses).
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { invokeChannelNames, type IpcEnvelope } from '../../shared/ipc/contract';
import type { Terminal } from '../terminal';
import type { ShellLog } from './logging';
import { savePageAsPdf, savePdfChannel } from './printing';
import { isTrustedFrame } from './trustedSender';

export function windowIdOf(contents: { id: number }): string {
  return `electron:${contents.id}`;
}

function senderIsTrusted(event: IpcMainInvokeEvent, ourWindows: ReadonlySet<number>): boolean {
  const frame = event.senderFrame;
  if (frame === null) return false;
  return isTrustedFrame({
    url: frame.url,
    isTopFrame: frame.parent === null,
    fromOurWindow: ourWindows.has(event.sender.id),
  });
}

export function forwardIpc(core: Terminal, ourWindows: ReadonlySet<number>, logger: ShellLog): () => void {
  const ipcLog = logger.scope('ipc');
  for (const channel of invokeChannelNames) {
    // An envelope, or (data.list) its JSON text (Terminal.invokeForWire), which the preload parses in the window.
    ipcMain.handle(channel, async (event, request: unknown): Promise<IpcEnvelope<unknown> | string> => {
      if (!senderIsTrusted(event, ourWindows)) {
        ipcLog.warn(`refused ${channel} from ${event.senderFrame?.url ?? 'a closed frame'}`);
        return { ok: false, error: { code: 'forbidden', message: 'Only Clinic Desk windows may call the terminal' } };
      }
      // Saving the window as a PDF needs its webContents, which only this layer has.
      if (channel === savePdfChannel) return savePageAsPdf(event.sender, request, core.currentUser() !== null);
      return core.invokeForWire(channel, request, { windowId: windowIdOf(event.sender) });
    });
  }
  // A payload the core holds as JSON text (ipc/jsonText.ts) goes as its pieces, unparsed; the preload parses it.
  const stopEvents = core.onEvent(({ channel, body }) => {
    for (const window of BrowserWindow.getAllWindows()) {
      if (!window.isDestroyed() && ourWindows.has(window.webContents.id)) window.webContents.send(channel, body);
    }
  });
  return () => {
    for (const channel of invokeChannelNames) ipcMain.removeHandler(channel);
    stopEvents();
  };
}
