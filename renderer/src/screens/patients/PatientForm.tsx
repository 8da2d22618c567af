/**
 * Registering and editing a patient. New patients get a dialog; an existing patient's details are
 * an inline form on their page. Both warn (without blocking) when name and birth date match a
 * patient on file.
 */
import { useEffect, useRef, useState } from 'react';
import { isClinicalRole } from '../../../../shared/domain/access';
import { sexes, type Patient } from '../../../../shared/domain/collections';
import { dateOfBirthProblem, phoneProblem } from '../../../../shared/domain/plausibility';
import { clinicLocale, datePattern, dayKey, formatDate, parseDate } from '../../app/format';
import { useActions, useClinic } from '../../app/clinicContext';
import { Dialog } from '../../forms/Dialog';
import { SelectField, TextArea, TextField } from '../../forms/Field';
import { SubmitForm } from '../../forms/SubmitForm';
import { namesakeOnFile } from '../../store/patientSearch';

type Draft = {
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  sex: Patient['sex'];
  phone: string;
  email: string;
  address: string;
  insuranceProvider: string;
  insuranceNumber: string;
  allergies: string;
  notes: string;
  medicalHistory: string;
};

function draftOf(p?: Patient): Draft {
  return {
    firstName: p?.firstName ?? '',
    lastName: p?.lastName ?? '',
    // As the clinic writes dates (11.04.1969), whatever the browser's language.
    dateOfBirth: formatDate(p?.dateOfBirth ?? ''),
    sex: p?.sex ?? 'unknown',
    phone: p?.phone ?? '',
    email: p?.email ?? '',
    address: p?.address ?? '',
    insuranceProvider: p?.insuranceProvider ?? '',
    insuranceNumber: p?.insuranceNumber ?? '',
    allergies: p?.allergies ?? '',
    notes: p?.notes ?? '',
    medicalHistory: p?.medicalHistory ?? '',
  };
}

const sexOptions = sexes.map((s) => ({ value: s, label: s.charAt(0).toUpperCase() + s.slice(1) }));

/**
 * patient: the row being edited; newId: for a new patient, the id it will be saved under (chosen
 * when the form opens, so the form can tell the saved patient from a namesake on file).
 */
function usePatientEditor(patient: Patient | undefined, onSaved: (id: string) => void, newId?: string) {
  const { create, update } = useActions();
  const role = useClinic((s) => s.user?.role ?? 'receptionist');
  const ownId = patient?.id ?? newId;
  const [draft, setDraft] = useState<Draft>(() => draftOf(patient));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const clinical = isClinicalRole(role);
  /** The form as last filled from the row, and that row: what an edit started from. */
  const baseline = useRef(draftOf(patient));
  const baseRow = useRef<Patient | undefined>(patient);
  const dirty = JSON.stringify(draft) !== JSON.stringify(baseline.current);
  const [changedElsewhere, setChangedElsewhere] = useState(false);

  // Another desk saved this patient: take its values unless the user is mid-edit (then say so,
  // and keep the edit's starting version so a clash on the same field becomes a conflict).
  useEffect(() => {
    if (!patient) return;
    const fresh = draftOf(patient);
    if (!dirty || JSON.stringify(fresh) === JSON.stringify(draft)) {
      setDraft(fresh);
      baseline.current = fresh;
      baseRow.current = patient;
      setChangedElsewhere(false);
    } else if (JSON.stringify(fresh) !== JSON.stringify(baseline.current)) {
      setChangedElsewhere(true);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [patient]);

  // A namesake other than this very patient: a new patient just saved is on file under its own id
  // and must not warn about itself. Selected from the store, so a change to any other patient
  // (every save, here and elsewhere) does not render the form again; a found row keeps its identity.
  const entered = { firstName: draft.firstName, lastName: draft.lastName, dateOfBirth: parseDate(draft.dateOfBirth) };
  const duplicate = useClinic((s) => namesakeOnFile(s.data.patients, entered, ownId));

  // Editing a field clears a message about what was typed: it may be fixed now, and Save checks again.
  const set = <K extends keyof Draft>(key: K) => (value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setError(null);
  };

  /** The same rules as the terminal and the server (shared/domain), each message naming its field's label. */
  function problems(): string[] {
    const found: string[] = [];
    if (!draft.firstName.trim()) found.push('First name is required');
    if (!draft.lastName.trim()) found.push('Last name is required');
    const dobText = draft.dateOfBirth.trim();
    const dob = dobText === '' ? null : parseDate(dobText);
    if (dobText !== '' && !dob) found.push(`Date of birth: enter a date as ${datePattern()}`);
    // Like the server, only what this edit changes: an old record's other values do not block it.
    const changed = (k: keyof Draft) => !patient || draft[k] !== baseline.current[k];
    const dobProblem = changed('dateOfBirth') ? dateOfBirthProblem(dob, dayKey(new Date())) : null;
    if (dobProblem) found.push(dobProblem);
    const phone = changed('phone') ? phoneProblem(draft.phone, clinicLocale().locale) : null;
    if (phone) found.push(phone);
    return found;
  }

  async function save() {
    const found = problems();
    if (found.length > 0) {
      setError(`${found.join('. ')}.`);
      return;
    }
    setBusy(true);
    setError(null);
    const { medicalHistory, dateOfBirth, ...rest } = draft;
    const fields: Record<string, unknown> = {
      ...rest,
      firstName: rest.firstName.trim(),
      lastName: rest.lastName.trim(),
      phone: rest.phone.trim(),
      dateOfBirth: dateOfBirth.trim() === '' ? null : parseDate(dateOfBirth),
      ...(clinical ? { medicalHistory } : {}),
    };
    const answer = patient
      ? await update('patients', patient.id, fields, baseRow.current, { inForm: true })
      : await create('patients', newId ? { ...fields, id: newId } : fields, { inForm: true });
    setBusy(false);
    if (!answer.ok) {
      setError(answer.error);
      return;
    }
    baseline.current = draft;
    setChangedElsewhere(false);
    onSaved(answer.value.id);
  }

  return { draft, set, save, error, busy, clinical, duplicate, dirty, changedElsewhere };
}

type Editor = ReturnType<typeof usePatientEditor>;

function PatientFields({ editor, saveHint }: { editor: Editor; saveHint: string }) {
  const { draft, set, error, busy, clinical, duplicate, changedElsewhere } = editor;
  return (
    <SubmitForm error={error} busy={busy} note={saveHint} onSubmit={editor.save}>
      {changedElsewhere ? (
        <div className="form-warning field-wide" aria-live="polite">
          This patient was just changed on another terminal. Saving sends only the fields you changed.
        </div>
      ) : null}
      <TextField label="First name" value={draft.firstName} onChange={set('firstName')} required maxLength={100} />
      <TextField label="Last name" value={draft.lastName} onChange={set('lastName')} required maxLength={100} />
      <TextField label="Date of birth" value={draft.dateOfBirth} onChange={set('dateOfBirth')} placeholder={datePattern()} maxLength={10} />
      <SelectField label="Sex" value={draft.sex} onChange={set('sex')} options={sexOptions} />
      <TextField label="Phone" type="tel" value={draft.phone} onChange={set('phone')} maxLength={40} />
      <TextField label="Email" type="email" value={draft.email} onChange={set('email')} maxLength={200} />
      <TextField label="Address" value={draft.address} onChange={set('address')} wide maxLength={400} />
      <TextField label="Insurance provider" value={draft.insuranceProvider} onChange={set('insuranceProvider')} maxLength={200} />
      <TextField label="Insurance number" value={draft.insuranceNumber} onChange={set('insuranceNumber')} maxLength={100} />
      <TextArea label="Allergies" value={draft.allergies} onChange={set('allergies')} rows={2} />
      <TextArea label="Notes" value={draft.notes} onChange={set('notes')} rows={2} />
      {clinical ? <TextArea label="Medical history" value={draft.medicalHistory} onChange={set('medicalHistory')} rows={4} /> : null}
      {duplicate ? (
        <div className="form-warning field-wide" aria-live="polite">
          Possible duplicate: a patient {duplicate.firstName} {duplicate.lastName}, born {formatDate(duplicate.dateOfBirth)}
          {duplicate.phone ? `, phone ${duplicate.phone}` : ''}, is already registered. Check before saving a second record.
        </div>
      ) : null}
    </SubmitForm>
  );
}

/**
 * New patient, in a dialog. newId: the id the patient is saved under; the register closes the
 * dialog as soon as that patient is on file (the same render that shows its row).
 */
export function PatientForm({ newId, onClose, onSaved }: { newId: string; onClose: () => void; onSaved?: (id: string) => void }) {
  const editor = usePatientEditor(
    undefined,
    (id) => {
      onSaved?.(id);
      onClose();
    },
    newId,
  );
  return (
    <Dialog title="New patient" onClose={onClose} size="large" closeLabel="Cancel">
      <PatientFields editor={editor} saveHint="Enter saves · Esc cancels" />
    </Dialog>
  );
}

/** An existing patient's details, edited in place on their page. */
export function PatientDetailsForm({ patient }: { patient: Patient }) {
  const editor = usePatientEditor(patient, () => {});
  return <PatientFields editor={editor} saveHint={editor.dirty ? 'Unsaved changes · Enter saves' : 'Up to date'} />;
}
