/**
 * Saving a print-ready page as a PDF: the window's own webContents renders its print view
 * (`@media print`, renderer/src/print) with printToPDF, and the user picks where the file goes.
 * Printing on paper needs nothing here: the page's window.print() opens this webContents' print
 * dialog.
 */
import { writeFile } from 'node:fs/promises';
import { BrowserWindow, dialog, type WebContents } from 'electron';
import { invokeChannels, type IpcEnvelope } from '../../shared/ipc/contract';

export const savePdfChannel = 'print.savePdf';

export async function savePageAsPdf(contents: WebContents, request: unknown, signedIn: boolean): Promise<IpcEnvelope<{ savedTo: string | null }>> {
  if (!signedIn) return { ok: false, error: { code: 'forbidden', message: 'Sign in first' } };
  const parsed = invokeChannels[savePdfChannel].request.safeParse(request);
  if (!parsed.success) return { ok: false, error: { code: 'bad_request', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
  const fileName = parsed.data.fileName.toLowerCase().endsWith('.pdf') ? parsed.data.fileName : `${parsed.data.fileName}.pdf`;
  const pdf = await contents.printToPDF({ pageSize: 'A4', printBackground: true });
  const window = BrowserWindow.fromWebContents(contents);
  const options = { defaultPath: fileName, filters: [{ name: 'PDF', extensions: ['pdf'] }] };
  const choice = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
  if (choice.canceled || !choice.filePath) return { ok: true, value: { savedTo: null } };
  await writeFile(choice.filePath, pdf, { mode: 0o600 });
  return { ok: true, value: { savedTo: choice.filePath } };
}
