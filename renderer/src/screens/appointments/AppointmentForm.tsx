/**
 * New appointment / Change appointment. Checks for a double booking locally (findClash) before
 * anything is sent; the server checks again and its refusal arrives as a toast.
 */
import { useMemo, useState } from 'react';
import type { Appointment } from '../../../../shared/domain/collections';
import { findClash } from '../../../../shared/domain/rules';
import { useActions, useClinic } from '../../app/clinicContext';
import { fromLocalInput, timeOf, toLocalInput } from '../../app/format';
import { Dialog } from '../../forms/Dialog';
import { SelectField, TextArea, TextField } from '../../forms/Field';
import { PatientPicker } from '../../forms/PatientPicker';
import { useDoctors } from './useDoctors';
import { FormError } from '../../forms/FormError';

type Props = {
  appointment?: Appointment;
  patientId?: string;
  providerId?: string;
  start?: string;
  onClose: () => void;
  onSaved?: (a: { id: string; start: string }) => void;
};

const minutes = (n: number) => n * 60_000;

function defaultStart(): string {
  const d = new Date(Date.now() + minutes(60));
  d.setMinutes(0, 0, 0);
  return d.toISOString();
}

export function AppointmentForm({ appointment, patientId, providerId, start, onClose, onSaved }: Props) {
  const { create, update } = useActions();
  const doctors = useDoctors();
  const appointments = useClinic((s) => s.data.appointments);
  const patients = useClinic((s) => s.data.patients);
  const users = useClinic((s) => s.data.users);
  const initialStart = appointment?.start ?? start ?? defaultStart();
  const initialEnd = appointment?.end ?? new Date(Date.parse(initialStart) + minutes(30)).toISOString();
  const [patient, setPatient] = useState<string | null>(appointment?.patientId ?? patientId ?? null);
  const [provider, setProvider] = useState(appointment?.providerId ?? providerId ?? doctors[0]?.id ?? '');
  const [startText, setStartText] = useState(toLocalInput(initialStart));
  const [endText, setEndText] = useState(toLocalInput(initialEnd));
  const [room, setRoom] = useState(appointment?.room ?? '');
  const [reason, setReason] = useState(appointment?.reason ?? '');
  const [notes, setNotes] = useState(appointment?.notes ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const providerOptions = useMemo(() => {
    const options = doctors.map((d) => ({ value: d.id, label: d.displayName }));
    if (provider && !options.some((o) => o.value === provider)) {
      options.push({ value: provider, label: users[provider]?.displayName ?? 'Former provider' });
    }
    return provider ? options : [{ value: '', label: 'Choose a doctor' }, ...options];
  }, [doctors, provider, users]);

  const [endTouched, setEndTouched] = useState(false);

  /** Moving the start keeps the length of the visit, unless the end was typed and still fits. */
  function changeStart(next: string) {
    const oldStart = fromLocalInput(startText);
    const oldEnd = fromLocalInput(endText);
    const newStart = fromLocalInput(next);
    setStartText(next);
    if (endTouched && newStart && oldEnd && Date.parse(oldEnd) > Date.parse(newStart)) return;
    if (newStart && oldStart && oldEnd) {
      const length = Math.max(Date.parse(oldEnd) - Date.parse(oldStart), minutes(15));
      setEndText(toLocalInput(new Date(Date.parse(newStart) + length).toISOString()));
    }
  }

  async function save() {
    setError(null);
    const startIso = fromLocalInput(startText);
    const endIso = fromLocalInput(endText);
    if (!patient) return setError('Choose the patient from the list.');
    if (!provider) return setError('Choose the doctor.');
    if (!startIso || !endIso) return setError('Enter a start and an end time.');
    if (Date.parse(endIso) <= Date.parse(startIso)) return setError('The end must be after the start.');
    const candidate = {
      id: appointment?.id ?? '',
      providerId: provider,
      room: room.trim(),
      start: startIso,
      end: endIso,
      status: appointment?.status ?? ('scheduled' as const),
    };
    const clash = findClash(candidate, Object.values(appointments));
    if (clash) {
      const who = patients[clash.patientId];
      const sameProvider = clash.providerId === provider;
      return setError(
        `Double booking: ${sameProvider ? (users[provider]?.displayName ?? 'this doctor') : `room ${clash.room}`} already has ` +
          `${who ? `${who.firstName} ${who.lastName}` : 'an appointment'} from ${timeOf(clash.start)} to ${timeOf(clash.end)}.`,
      );
    }
    setBusy(true);
    const fields = { patientId: patient, providerId: provider, start: startIso, end: endIso, room: room.trim(), reason: reason.trim(), notes };
    const answer = appointment ? await update('appointments', appointment.id, fields, appointment) : await create('appointments', fields);
    setBusy(false);
    if (!answer.ok) return setError(answer.error);
    onSaved?.({ id: answer.value.id, start: startIso });
    onClose();
  }

  return (
    <Dialog title={appointment ? 'Change appointment' : 'New appointment'} onClose={onClose} closeLabel="Cancel">
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <FormError error={error} />
        <div className="field-wide">
          <PatientPicker value={patient} onChange={setPatient} disabled={Boolean(appointment)} />
        </div>
        <SelectField label="Provider" value={provider} onChange={setProvider} options={providerOptions} required />
        <TextField label="Room" value={room} onChange={setRoom} maxLength={60} />
        <TextField label="Start" type="datetime-local" value={startText} onChange={changeStart} required />
        <TextField label="End" type="datetime-local" value={endText} onChange={(v) => {
            setEndTouched(true);
            setEndText(v);
          }}
          required
        />
        <TextField label="Reason" value={reason} onChange={setReason} wide maxLength={500} />
        <TextArea label="Notes" value={notes} onChange={setNotes} rows={2} />
        {appointment ? (
          <p className="muted field-wide">
            {patients[appointment.patientId] ? `${patients[appointment.patientId]!.firstName} ${patients[appointment.patientId]!.lastName}` : 'Unknown patient'} — currently {timeOf(appointment.start)}–
            {timeOf(appointment.end)}
          </p>
        ) : null}
        <div className="form-actions field-wide">
          <button type="submit" className="primary" disabled={busy}>
            Save
          </button>
          <span className="muted">Enter saves · Esc cancels</span>
        </div>
      </form>
    </Dialog>
  );
}
