/**
 * Print-ready pages: a document (invoice, receipt, day sheet, referral letter) is rendered into a
 * print area beside the app, which the print style sheet shows alone on paper (styles.css,
 * `@media print`). Then the page prints: `window.print()` in a browser; in Electron the same call
 * opens the system print dialog of the window's webContents.
 */
import { useEffect, useSyncExternalStore, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

let current: { title: string; body: ReactNode } | null = null;
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function show(title: string, body: ReactNode): Promise<void> {
  current = { title, body };
  for (const l of listeners) l();
  // Let React paint the print area first.
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function printPage(title: string): void {
  const previous = document.title;
  document.title = title;
  window.print(); // blocks until the dialog closes
  document.title = previous;
}

/** Put `body` on paper. The print area keeps it until the next document, so a PDF of the page shows it too. */
export function printDocument(title: string, body: ReactNode): void {
  void show(title, body).then(() => printPage(title));
}

type SavePdf = (fileName: string) => Promise<{ ok: true; value: { savedTo: string | null } } | { ok: false; error: string; code: string }>;

/**
 * Save `body` as a PDF file: the desktop app writes its window's print view where the user says
 * (`print.savePdf`); a browser terminal cannot, so it opens the print dialog, whose printers
 * include "Save as PDF". Resolves with where the file went, or null.
 */
export async function saveDocumentAsPdf(savePdf: SavePdf, title: string, body: ReactNode): Promise<string | null> {
  await show(title, body);
  const answer = await savePdf(title.replace(/[/\\:*?"<>|]+/g, '-'));
  if (answer.ok) return answer.value.savedTo;
  if (answer.code === 'unsupported') printPage(title);
  else throw new Error(answer.error);
  return null;
}

/** Mounted once by the shell: the area the print style sheet puts on paper. */
export function PrintArea() {
  const doc = useSyncExternalStore(subscribe, () => current);
  // Another screen: the browser's own Print (Ctrl+P) prints that screen, not the last document.
  useEffect(() => {
    const clear = () => {
      current = null;
      for (const l of listeners) l();
    };
    window.addEventListener('hashchange', clear);
    return () => window.removeEventListener('hashchange', clear);
  }, []);
  if (!doc) return null;
  return createPortal(
    <div className="print-area" aria-hidden="true" data-title={doc.title}>
      {doc.body}
    </div>,
    document.body,
  );
}
