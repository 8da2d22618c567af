/** Block time in the book (lunch, a meeting, a holiday): one doctor's, or the whole clinic's. */
import { useState } from 'react';
import { useActions } from '../../app/clinicContext';
import { dayStart, fromLocalInput, toLocalInput } from '../../app/format';
import { SaveDialog } from '../../forms/SubmitForm';
import { SelectField, TextField } from '../../forms/Field';
import { useDoctors } from './useDoctors';

const wholeClinic = 'clinic';

export function BlockTimeForm({ day, providerId, onClose }: { day: string; providerId: string | null; onClose: () => void }) {
  const { create } = useActions();
  const doctors = useDoctors();
  const noon = dayStart(day).getTime() + 12 * 3_600_000;
  const [who, setWho] = useState(providerId ?? doctors[0]?.id ?? wholeClinic);
  const [startText, setStartText] = useState(toLocalInput(new Date(noon).toISOString()));
  const [endText, setEndText] = useState(toLocalInput(new Date(noon + 3_600_000).toISOString()));
  const [reason, setReason] = useState('Lunch');
  return (
    <SaveDialog
      title="Block time"
      onClose={onClose}
      size="small"
      onSave={async () => {
        const start = fromLocalInput(startText);
        const end = fromLocalInput(endText);
        if (!start) return 'From: enter a date and time.';
        if (!end || Date.parse(end) <= Date.parse(start)) return 'Until: must be after From.';
        if (reason.trim() === '') return 'Reason: say why the time is blocked (lunch, meeting, holiday).';
        return create('blocked-times', { providerId: who === wholeClinic ? null : who, start, end, reason: reason.trim() });
      }}
    >
      <SelectField
        label="Blocked for"
        value={who}
        onChange={setWho}
        options={[...doctors.map((d) => ({ value: d.id, label: d.displayName })), { value: wholeClinic, label: 'The whole clinic' }]}
      />
      <TextField label="Reason" value={reason} onChange={setReason} maxLength={200} />
      <TextField label="From" type="datetime-local" value={startText} onChange={setStartText} required />
      <TextField label="Until" type="datetime-local" value={endText} onChange={setEndText} required />
    </SaveDialog>
  );
}
