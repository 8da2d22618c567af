/** A labelled form control: the label text is the control's accessible name. */
import { useEffect, useId, useState, type ReactNode } from 'react';
import { datePattern, formatDate, parseDate } from '../app/format';
import { Options } from './Options';

type FieldProps = {
  label: string;
  hint?: string;
  wide?: boolean;
  children: (id: string) => ReactNode;
};

export function Field({ label, hint, wide, children }: FieldProps) {
  const id = useId();
  return (
    <div className={wide ? 'field field-wide' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint ? <span className="field-hint">{hint}</span> : null}
    </div>
  );
}

type TextFieldProps = {
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'date' | 'datetime-local' | 'tel' | 'email' | 'number' | 'password' | 'url';
  required?: boolean;
  autoFocus?: boolean;
  wide?: boolean;
  hint?: string;
  maxLength?: number;
  min?: number;
  autoComplete?: string;
  placeholder?: string;
};

/** The rest of the props (value, required, maxLength…) are the input's own attributes, passed as given. */
export function TextField({ label, onChange, type = 'text', wide, hint, autoComplete = 'off', ...input }: TextFieldProps) {
  return (
    <Field label={label} wide={wide} hint={hint}>
      {(id) => <input id={id} type={type} autoComplete={autoComplete} {...input} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

export function TextArea({ label, value, onChange, rows = 3 }: { label: string; value: string; onChange: (v: string) => void; rows?: number }) {
  return (
    <Field label={label} wide>
      {(id) => <textarea id={id} value={value} rows={rows} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

export function SelectField<T extends string>({
  label,
  value,
  onChange,
  options,
  required,
}: {
  label: string;
  value: T;
  onChange: (v: T) => void;
  options: readonly { value: T; label: string }[];
  required?: boolean;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} required={required} onChange={(e) => onChange(e.target.value as T)}>
          <Options options={options} />
        </select>
      )}
    </Field>
  );
}

/**
 * A calendar date typed in the clinic's format (11.04.1969), never the browser's: a text box, so
 * the screen and the input agree. Reports YYYY-MM-DD, or '' while the text is not a date yet.
 */
export function DateField({ label, value, onChange, required }: { label: string; value: string; onChange: (isoDay: string) => void; required?: boolean }) {
  const [text, setText] = useState(() => formatDate(value));
  useEffect(() => {
    // Follow a new value from outside (another row), not our own echo.
    if ((parseDate(text) ?? '') !== value) setText(formatDate(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return (
    <TextField
      label={label}
      value={text}
      required={required}
      placeholder={datePattern()}
      maxLength={10}
      onChange={(t) => {
        setText(t);
        onChange(parseDate(t) ?? '');
      }}
    />
  );
}
