/** A labelled form control: the label text is the control's accessible name. */
import { useId, type ReactNode } from 'react';

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

export function TextField({ label, value, onChange, type = 'text', required, autoFocus, wide, hint, maxLength, min, autoComplete, placeholder }: TextFieldProps) {
  return (
    <Field label={label} wide={wide} hint={hint}>
      {(id) => (
        <input
          id={id}
          type={type}
          value={value}
          required={required}
          autoFocus={autoFocus}
          maxLength={maxLength}
          min={min}
          placeholder={placeholder}
          autoComplete={autoComplete ?? 'off'}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
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
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
