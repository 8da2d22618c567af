/**
 * New appointment / Change appointment. Checks for a double booking locally (findClash) and the
 * clinic's opening and the provider's working hours (a booking outside them needs a stated
 * override) before anything is sent; the server checks again, and a refusal it sends later is
 * kept under Needs attention. Start and End are typed in the clinic's date format.
 */
import { useMemo, useState } from 'react';
import type { Appointment } from '../../../../shared/domain/collections';
import { blockedMessage, findBlock, findClash, maxOccurrences } from '../../../../shared/domain/rules';
import { clinicSettingsId, effectiveClinicSettings } from '../../../../shared/domain/clinicSettings';
import { hoursProblem } from '../../../../shared/domain/plausibility';
import { useActions, useClinic } from '../../app/clinicContext';
import { addDays, datePattern, dayKey, formatDate, formatDateTimeInput, parseDate, parseDateTimeInput, timeOf } from '../../app/format';
import { FormDialog } from '../../forms/SubmitForm';
import { SelectField, TextArea, TextField } from '../../forms/Field';
import { PatientPicker } from '../../forms/PatientPicker';
import { useDoctors } from './useDoctors';
import { seriesOccurrences, seriesProblems } from './recurrence';

type Props = {
  appointment?: Appointment;
  patientId?: string;
  providerId?: string;
  start?: string;
  /** Details to start from (a refused booking opened from Needs attention). */
  initial?: { patientId: string; providerId: string; start: string; end: string; room?: string; reason?: string; notes?: string; hoursOverride?: string };
  onClose: () => void;
  onSaved?: (a: { id: string; start: string }) => void;
};

const minutes = (n: number) => n * 60_000;

/** A series repeats every 1 to 4 weeks; '0' books the one visit. */
const repeatChoices = ['0', '1', '2', '3', '4'].map((w) => ({ value: w, label: w === '0' ? 'Does not repeat' : w === '1' ? 'Every week' : `Every ${w} weeks` }));

function defaultStart(): string {
  const d = new Date(Date.now() + minutes(60));
  d.setMinutes(0, 0, 0);
  return d.toISOString();
}

export function AppointmentForm({ appointment, patientId, providerId, start, initial, onClose, onSaved }: Props) {
  const { create, update } = useActions();
  const doctors = useDoctors();
  const appointments = useClinic((s) => s.data.appointments);
  const patients = useClinic((s) => s.data.patients);
  const users = useClinic((s) => s.data.users);
  const settingsRow = useClinic((s) => s.data['clinic-settings'][clinicSettingsId]);
  const initialStart = appointment?.start ?? initial?.start ?? start ?? defaultStart();
  const initialEnd = appointment?.end ?? initial?.end ?? new Date(Date.parse(initialStart) + minutes(30)).toISOString();
  const [patient, setPatient] = useState<string | null>(appointment?.patientId ?? initial?.patientId ?? patientId ?? null);
  const [provider, setProvider] = useState(appointment?.providerId ?? initial?.providerId ?? providerId ?? doctors[0]?.id ?? '');
  const [startText, setStartTextRaw] = useState(formatDateTimeInput(initialStart));
  const [endText, setEndTextRaw] = useState(formatDateTimeInput(initialEnd));
  const [room, setRoom] = useState(appointment?.room ?? initial?.room ?? '');
  const [reason, setReason] = useState(appointment?.reason ?? initial?.reason ?? '');
  const [notes, setNotes] = useState(appointment?.notes ?? initial?.notes ?? '');
  const [override, setOverride] = useState(appointment?.hoursOverride ?? initial?.hoursOverride ?? '');
  const [error, setErrorState] = useState<string | null>(null);
  // A message about what was typed goes as soon as the person changes something.
  const setError = (message: string | null) => setErrorState(message);
  const edited = <T,>(setter: (v: T) => void) => (v: T) => {
    setter(v);
    setErrorState(null);
  };
  const setStartText = edited(setStartTextRaw);
  const setEndText = edited(setEndTextRaw);
  const outsideHours = useMemo(() => {
    const s = parseDateTimeInput(startText);
    const e = parseDateTimeInput(endText);
    if (!s || !e || !provider) return null;
    return hoursProblem({ providerId: provider, start: s, end: e }, effectiveClinicSettings(settingsRow), users[provider]?.displayName);
  }, [startText, endText, provider, settingsRow, users]);
  const [busy, setBusy] = useState(false);
  const types = useClinic((s) => s.data['appointment-types']);
  const blockedTimes = useClinic((s) => s.data['blocked-times']);
  const [typeId, setTypeId] = useState(appointment?.typeId ?? '');
  const [repeatWeeks, setRepeatWeeks] = useState('0');
  const [repeatUntil, setRepeatUntil] = useState(formatDate(addDays(dayKey(new Date(initialStart)), 8 * 7)));
  const typeOptions = useMemo(
    () => [
      { value: '', label: 'No type' },
      ...Object.values(types)
        .filter((t) => t.active !== false || t.id === typeId)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((t) => ({ value: t.id, label: `${t.name} (${t.durationMinutes} min)` })),
    ],
    [types, typeId],
  );

  /** Choosing a type sets the visit's length to the type's default duration. */
  function changeType(next: string) {
    setTypeId(next);
    const type = next ? types[next] : undefined;
    const s = parseDateTimeInput(startText);
    if (type && s) {
      setEndText(formatDateTimeInput(new Date(Date.parse(s) + minutes(type.durationMinutes)).toISOString()));
      setEndTouched(false);
    }
  }

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
    const oldStart = parseDateTimeInput(startText);
    const oldEnd = parseDateTimeInput(endText);
    const newStart = parseDateTimeInput(next);
    setStartText(next);
    if (endTouched && newStart && oldEnd && Date.parse(oldEnd) > Date.parse(newStart)) return;
    if (newStart && oldStart && oldEnd) {
      const length = Math.max(Date.parse(oldEnd) - Date.parse(oldStart), minutes(15));
      setEndText(formatDateTimeInput(new Date(Date.parse(newStart) + length).toISOString()));
    }
  }

  /** An end typed by hand stays put when the start moves later (unless the start passes it). */
  function changeEnd(next: string) {
    setEndTouched(true);
    setEndText(next);
  }

  async function save() {
    setError(null);
    const startIso = parseDateTimeInput(startText);
    const endIso = parseDateTimeInput(endText);
    if (!patient) return setError('Patient: choose the patient from the list.');
    if (!provider) return setError('Provider: choose the doctor.');
    if (!startIso) return setError(`Start: enter a date and time as ${datePattern()} HH:MM.`);
    if (!endIso) return setError(`End: enter a date and time as ${datePattern()} HH:MM.`);
    if (Date.parse(endIso) <= Date.parse(startIso)) return setError('End must be after the start.');
    if (outsideHours && override.trim() === '') return setError(`${outsideHours}.`);
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
    const block = findBlock(candidate, Object.values(blockedTimes));
    if (block) return setError(blockedMessage(block, timeOf));
    const fields = {
      patientId: patient,
      providerId: provider,
      start: startIso,
      end: endIso,
      room: room.trim(),
      reason: reason.trim(),
      notes,
      typeId: typeId || null,
      // Kept only while the booking is outside the hours: it says why it was made anyway.
      hoursOverride: outsideHours ? override.trim() : '',
    };
    const everyWeeks = Number(repeatWeeks);
    if (!appointment && everyWeeks > 0) {
      const until = parseDate(repeatUntil);
      if (!until) return setError(`Repeat until: enter a date as ${datePattern()}.`);
      const occurrences = seriesOccurrences(startIso, endIso, { everyWeeks, until });
      if (occurrences.length < 2) return setError('Repeat until: choose a day after the first visit.');
      const problems = seriesProblems(occurrences, { providerId: provider, room: room.trim() }, Object.values(appointments), Object.values(blockedTimes));
      if (problems.length > 0) return setError(`Not booked, ${problems.length} of ${occurrences.length} dates do not fit: ${problems.join('; ')}`);
      setBusy(true);
      const seriesId = globalThis.crypto.randomUUID();
      let firstId = '';
      for (const o of occurrences) {
        const answer = await create('appointments', { ...fields, start: o.start, end: o.end, seriesId }, { inForm: true });
        if (!answer.ok) {
          setBusy(false);
          return setError(`Booked up to ${dayKey(new Date(o.start))}, which failed: ${answer.error}`);
        }
        firstId ||= answer.value.id;
      }
      setBusy(false);
      onSaved?.({ id: firstId, start: startIso });
      onClose();
      return;
    }
    setBusy(true);
    const answer = appointment
      ? await update('appointments', appointment.id, fields, appointment, { inForm: true })
      : await create('appointments', fields, { inForm: true });
    setBusy(false);
    if (!answer.ok) return setError(answer.error);
    onSaved?.({ id: answer.value.id, start: startIso });
    onClose();
  }

  return (
    <FormDialog
      title={appointment ? 'Change appointment' : 'New appointment'}
      onClose={onClose}
      error={error}
      busy={busy}
      note="Enter saves · Esc cancels"
      onSubmit={save}
    >
      <PatientPicker value={patient} onChange={setPatient} disabled={Boolean(appointment)} wide />
      <SelectField label="Provider" value={provider} onChange={setProvider} options={providerOptions} required />
      <TextField label="Room" value={room} onChange={setRoom} maxLength={60} />
      <TextField label="Start" value={startText} onChange={changeStart} required placeholder={`${datePattern()} HH:MM`} />
      <TextField label="End" value={endText} onChange={changeEnd} required placeholder={`${datePattern()} HH:MM`} />
      {outsideHours || override ? (
        <>
          <p className="form-warning field-wide" aria-live="polite">
            {outsideHours ? `${outsideHours}.` : 'Within the hours again: the override is not needed.'}
          </p>
          <TextField label="Hours override" value={override} onChange={edited(setOverride)} wide maxLength={300} hint="Why this visit is booked outside the hours" />
        </>
      ) : null}
      <SelectField label="Type" value={typeId} onChange={changeType} options={typeOptions} />
      {appointment ? null : (
        <>
          <SelectField
            label="Repeat"
            value={repeatWeeks}
            onChange={setRepeatWeeks}
            options={repeatChoices}
          />
          {repeatWeeks !== '0' ? <TextField label="Repeat until" value={repeatUntil} onChange={setRepeatUntil} hint={`At most ${maxOccurrences} visits`} /> : null}
        </>
      )}
      <TextField label="Reason" value={reason} onChange={setReason} wide maxLength={500} />
      <TextArea label="Notes" value={notes} onChange={setNotes} rows={2} />
      {appointment ? (
        <p className="muted field-wide">
          {patients[appointment.patientId] ? `${patients[appointment.patientId]!.firstName} ${patients[appointment.patientId]!.lastName}` : 'Unknown patient'} — currently {timeOf(appointment.start)}–
          {timeOf(appointment.end)}
        </p>
      ) : null}
    </FormDialog>
  );
}
