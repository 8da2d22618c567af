/**
 * A panel dialog over the screen. Not modal on purpose: toasts, the sync status and the conflict
 * dialog stay reachable while a form is open. Escape closes; focus goes to the first field.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

type DialogProps = {
  title: string;
  onClose: () => void;
  children: ReactNode;
  size?: 'small' | 'medium' | 'large';
  closeLabel?: string;
};

export function Dialog({ title, onClose, children, size = 'medium', closeLabel = 'Close' }: DialogProps) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('input:not([type=hidden]):not([disabled]), select, textarea, button.primary');
    first?.focus();
    return () => previous?.focus?.();
  }, []);
  return (
    <div className="dialog-backdrop">
      <div
        ref={ref}
        className={`dialog dialog-${size}`}
        role="dialog"
        aria-labelledby={titleId}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onClose();
          } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            // Enter in a text box makes a new line; Ctrl+Enter saves from anywhere in the form.
            e.preventDefault();
            ref.current?.querySelector('form')?.requestSubmit();
          }
        }}
      >
        <header className="dialog-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="ghost" onClick={onClose}>
            {closeLabel}
          </button>
        </header>
        <div className="dialog-body">{children}</div>
      </div>
    </div>
  );
}
