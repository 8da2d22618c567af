/**
 * The shape every clinic form shares: why it was not saved on top (announced), the fields, then
 * the submit button with an optional hint. Submitting never reloads the window; `onSubmit` says
 * what saving means.
 */
import { useState, type ReactNode } from 'react';
import { Dialog } from './Dialog';
import { FormError } from './FormError';

type SubmitRowProps = {
  label?: string;
  busy?: boolean;
  /** The hint beside the button (what Enter does, what the balance is). */
  note?: ReactNode;
  /** The button is the form's main action (most are; a settings apply is not). */
  primary?: boolean;
  /** Spans the whole form grid. */
  wide?: boolean;
};

export function SubmitRow({ label = 'Save', busy, note, primary = true, wide = true }: SubmitRowProps) {
  return (
    <div className={wide ? 'form-actions field-wide' : 'form-actions'}>
      <button type="submit" className={primary ? 'primary' : undefined} disabled={busy}>
        {label}
      </button>
      {note ? <span className="muted">{note}</span> : null}
    </div>
  );
}

type SubmitFormProps = SubmitRowProps & {
  error: string | null | undefined;
  onSubmit: () => unknown;
  children: ReactNode;
  /** The form's layout class; the usual two-column grid unless told. */
  className?: string;
};

export function SubmitForm({ error, onSubmit, children, className = 'form-grid', ...submit }: SubmitFormProps) {
  return (
    <form
      className={className || undefined}
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit();
      }}
    >
      <FormError error={error} />
      {children}
      <SubmitRow {...submit} />
    </form>
  );
}

type FormDialogProps = SubmitFormProps & {
  title: string;
  onClose: () => void;
  size?: 'small' | 'medium' | 'large';
  closeLabel?: string;
};

/** A form in a dialog: Escape or the close button (Cancel unless told) leaves it unsaved. */
export function FormDialog({ title, onClose, size, closeLabel = 'Cancel', ...form }: FormDialogProps) {
  return (
    <Dialog title={title} onClose={onClose} size={size} closeLabel={closeLabel}>
      <SubmitForm {...form} />
    </Dialog>
  );
}

/**
 * What saving a form came to: why it was not saved, for the desk to read (a sentence naming the
 * field, or the terminal's refused answer); a successful answer or nothing means it was saved.
 */
export type SaveResult = string | { ok: true } | { ok: false; error: string } | undefined | void;

type SaveDialogProps = Omit<FormDialogProps, 'error' | 'onSubmit'> & {
  /** Checks the fields and saves; what it returns stays on top of the form, or the dialog closes. */
  onSave: () => Promise<SaveResult>;
};

/** A FormDialog that keeps its own error: most dialog forms only check, save, and close. */
export function SaveDialog({ onSave, onClose, ...dialog }: SaveDialogProps) {
  const [error, setError] = useState<string | null>(null);
  return (
    <FormDialog
      {...dialog}
      onClose={onClose}
      error={error}
      onSubmit={async () => {
        const result = await onSave();
        const why = typeof result === 'string' ? result : result && !result.ok ? result.error : null;
        if (why !== null) setError(why);
        else onClose();
      }}
    />
  );
}
