/**
 * Print-ready pages: a document (invoice, receipt, day sheet, referral letter) is rendered into a
 * print area beside the app, which the print style sheet shows alone on paper (styles.css,
 * `@media print`). Then the page prints: `window.print()` in a browser; in Electron the same call
 * opens the system print dialog of the window's webContents.
 */
import { useSyncExternalStore, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

let current: { title: string; body: ReactNode } | null = null;
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Put `body` on paper. The print area keeps it until the next document, so a PDF of the page shows it too. */
export function printDocument(title: string, body: ReactNode): void {
  current = { title, body };
  for (const l of listeners) l();
  // Let React paint the print area first; print() blocks until the dialog closes.
  requestAnimationFrame(() =>
    setTimeout(() => {
      const previous = document.title;
      document.title = title;
      window.print();
      document.title = previous;
    }, 0),
  );
}

/** Mounted once by the shell: the area the print style sheet puts on paper. */
export function PrintArea() {
  const doc = useSyncExternalStore(subscribe, () => current);
  if (!doc) return null;
  return createPortal(
    <div className="print-area" aria-hidden="true" data-title={doc.title}>
      {doc.body}
    </div>,
    document.body,
  );
}
