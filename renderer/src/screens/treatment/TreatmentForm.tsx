/** Writing a treatment record: doctors sign their own; assistants name the doctor they worked with. */
import { useState } from 'react';
import type { TreatmentRecord } from '../../../../shared/domain/collections';
import { useActions, useClinic } from '../../app/clinicContext';
import { dayKey } from '../../app/format';
import { SaveDialog, type SaveResult } from '../../forms/SubmitForm';
import { DateField, SelectField, TextArea } from '../../forms/Field';
import { PatientPicker } from '../../forms/PatientPicker';
import { useDoctors } from '../appointments/useDoctors';
import { addMonths } from '../recalls/dueDate';

export function TreatmentForm({
  record,
  patientId,
  appointmentId,
  onClose,
  onSaved,
}: {
  record?: TreatmentRecord;
  patientId?: string;
  appointmentId?: string | null;
  onClose: () => void;
  onSaved?: (id: string) => void;
}) {
  const { create, update } = useActions();
  const user = useClinic((s) => s.user);
  const doctors = useDoctors();
  const [patient, setPatient] = useState<string | null>(record?.patientId ?? patientId ?? null);
  const [provider, setProvider] = useState(record?.providerId ?? (user?.role === 'doctor' ? user.id : (doctors[0]?.id ?? '')));
  const [date, setDate] = useState(record?.date ?? dayKey(new Date()));
  const [diagnosis, setDiagnosis] = useState(record?.diagnosis ?? '');
  const [procedures, setProcedures] = useState(record?.procedures ?? '');
  const [prescriptions, setPrescriptions] = useState(record?.prescriptions ?? '');
  const [notes, setNotes] = useState(record?.notes ?? '');
  const [recallMonths, setRecallMonths] = useState(record?.recallMonths ? String(record.recallMonths) : '');

  const providerOptions = doctors.map((d) => ({ value: d.id, label: d.displayName }));
  if (provider && !providerOptions.some((o) => o.value === provider)) providerOptions.push({ value: provider, label: user?.id === provider ? user.displayName : 'Doctor' });

  async function save(): Promise<SaveResult> {
    if (!patient) return 'Choose the patient from the list.';
    if (!provider) return 'Choose the treating doctor.';
    if (!diagnosis.trim() && !procedures.trim() && !prescriptions.trim() && !notes.trim()) return 'Write at least a diagnosis, a procedure, a prescription or a note.';
    const months = recallMonths === '' ? null : Number(recallMonths);
    const fields = { patientId: patient, providerId: provider, date, diagnosis, procedures, prescriptions, notes, recallMonths: months };
    const answer = record
      ? await update('treatment-records', record.id, fields, record)
      : await create('treatment-records', { ...fields, appointmentId: appointmentId ?? null });
    if (!answer.ok) return answer;
    // A recall interval newly set lists the patient for the desk (who cannot read this record).
    if (months !== null && months !== (record?.recallMonths ?? null)) {
      const recall = await create('recalls', { patientId: patient, providerId: provider, dueDate: addMonths(date, months), reason: diagnosis.trim().slice(0, 300) || 'Recall' });
      if (!recall.ok) return `The record is saved; the recall is not: ${recall.error}`;
    }
    onSaved?.(answer.value.id);
  }

  return (
    <SaveDialog
      title={record ? 'Edit treatment record' : 'New treatment record'}
      onClose={onClose}
      size="large"
      note="Ctrl+Enter saves from a text box"
      onSave={save}
    >
      <PatientPicker value={patient} onChange={setPatient} disabled={Boolean(record)} wide />
      <SelectField label="Treating doctor" value={provider} onChange={setProvider} options={providerOptions.length ? providerOptions : [{ value: '', label: 'No doctor on file' }]} />
      <DateField label="Date" value={date} onChange={setDate} required />
      <TextArea label="Diagnosis" value={diagnosis} onChange={setDiagnosis} rows={2} />
      <TextArea label="Procedures" value={procedures} onChange={setProcedures} rows={2} />
      <TextArea label="Prescriptions" value={prescriptions} onChange={setPrescriptions} rows={2} />
      <TextArea label="Clinical notes" value={notes} onChange={setNotes} rows={4} />
      <SelectField
        label="Recall in"
        value={recallMonths}
        onChange={setRecallMonths}
        options={[{ value: '', label: 'No recall' }, ...['1', '3', '6', '12', '24'].map((m) => ({ value: m, label: m === '1' ? '1 month' : `${m} months` }))]}
      />
    </SaveDialog>
  );
}
