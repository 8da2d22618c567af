/**
 * The `Patient` field: a combobox that searches by name, phone or date of birth. Typing a name
 * that fits exactly one patient selects it, so a keyboard user never has to reach for the mouse.
 */
import { useId, useMemo, useState } from 'react';
import type { Patient } from '../../../shared/domain/collections';
import { useClinic } from '../app/clinicContext';
import { formatDate, patientName } from '../app/format';
import { optionText, resolvePatient, searchPatients } from '../store/patientSearch';

type Props = {
  value: string | null;
  onChange: (patientId: string | null) => void;
  label?: string;
  disabled?: boolean;
  autoFocus?: boolean;
  /** Spans the whole form grid. */
  wide?: boolean;
};

export function PatientPicker({ value, onChange, label = 'Patient', disabled, autoFocus, wide }: Props) {
  const patients = useClinic((s) => s.data.patients);
  const selected = value ? patients[value] : undefined;
  const [text, setText] = useState(selected ? patientName(selected) : '');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const id = useId();
  const listId = `${id}-list`;
  const options = useMemo(() => (open && text.trim() !== '' ? searchPatients(patients, text, 8) : []), [patients, text, open]);

  function pick(p: Patient) {
    setText(patientName(p));
    setOpen(false);
    onChange(p.id);
  }

  function type(next: string) {
    setText(next);
    setOpen(true);
    setActive(0);
    onChange(resolvePatient(patients, next)?.id ?? null);
  }

  return (
    <div className={wide ? 'field combobox field-wide' : 'field combobox'}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={options.length > 0}
        aria-controls={listId}
        aria-activedescendant={options.length > 0 ? `${listId}-${active}` : undefined}
        autoComplete="off"
        placeholder="Name, phone or date of birth"
        value={text}
        disabled={disabled}
        autoFocus={autoFocus}
        required
        onChange={(e) => type(e.target.value)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (options.length === 0) return;
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((a) => Math.min(a + 1, options.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === 'Enter') {
            const option = options[active];
            if (option) {
              e.preventDefault();
              pick(option);
            }
          } else if (e.key === 'Escape') {
            e.stopPropagation();
            setOpen(false);
          }
        }}
      />
      {options.length > 0 ? (
        <ul className="combobox-list" role="listbox" id={listId}>
          {options.map((p, i) => (
            <li
              key={p.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(p);
              }}
            >
              {optionText(p)}
              {p.phone ? <span className="muted"> · {p.phone}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
      <span className="field-hint">{selected ? `Selected: ${selected.firstName} ${selected.lastName}${selected.dateOfBirth ? `, born ${formatDate(selected.dateOfBirth)}` : ''}` : text.trim() !== '' ? 'Choose a patient from the list' : ''}</span>
    </div>
  );
}
