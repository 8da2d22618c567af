/**
 * Recalls: patients due back, soonest first, for the desk to work through. Each contact attempt is
 * noted (when, what was said), so a colleague picks up where the last one left off. Doctors set a
 * recall interval on the treatment record, which lists the patient here.
 */
import { useMemo, useState } from 'react';
import { recallStatuses, type Recall } from '../../../../shared/domain/collections';
import { useActions, useClinic } from '../../app/clinicContext';
import { addDays, dayKey, patientNameOrUnknown, shortDateTime } from '../../app/format';
import { href } from '../../app/route';
import { DataTable } from '../../components/DataTable';
import { StatusPill } from '../../components/StatusPill';
import { ToggleGroup } from '../../components/ToggleGroup';
import { TextField } from '../../forms/Field';
import { SaveDialog } from '../../forms/SubmitForm';
import type { Choice } from '../../forms/Options';
import { PatientPicker } from '../../forms/PatientPicker';
import { ScreenHeader } from '../../components/ScreenHeader';
import { NewButton } from '../../components/NewButton';

type Filter = 'open' | 'all';
const recallFilters: Choice<Filter>[] = [
  { value: 'open', label: 'To do' },
  { value: 'all', label: 'All recalls' },
];

export function RecallsScreen() {
  const recalls = useClinic((s) => s.data.recalls);
  const patients = useClinic((s) => s.data.patients);
  const users = useClinic((s) => s.data.users);
  const [filter, setFilter] = useState<Filter>('open');
  const [contact, setContact] = useState<Recall | null>(null);
  const [creating, setCreating] = useState(false);
  const today = dayKey(new Date());
  const list = useMemo(
    () =>
      Object.values(recalls)
        .filter((r) => filter === 'all' || r.status === 'due' || r.status === 'contacted')
        .sort((a, b) => a.dueDate.localeCompare(b.dueDate)),
    [recalls, filter],
  );
  const nameOf = (r: Recall) => patientNameOrUnknown(patients[r.patientId]);
  return (
    <section className="screen recalls-screen">
      <ScreenHeader id="recalls-title" title="Recalls">
        <ToggleGroup
          label="Show"
          value={filter}
          onChange={setFilter}
          options={recallFilters}
        />
        <NewButton label="New recall" onClick={() => setCreating(true)} pushRight />
      </ScreenHeader>
      <DataTable
        className="table"
        labelledBy="recalls-title"
        wrapClass="table-wrap"
        rows={list}
        rowKey={(r) => r.id}
        empty="No patients are due back."
        columns={[
          {
            header: 'Patient',
            cellClass: 'strong',
            cell: (r) => (
              <>
                <a href={href('patients', r.patientId)}>{nameOf(r)}</a>
                {patients[r.patientId]?.phone ? <div className="muted">{patients[r.patientId]?.phone}</div> : null}
              </>
            ),
          },
          { header: 'Due', cellClass: (r) => (r.dueDate <= today ? 'strong' : undefined), cell: (r) => r.dueDate },
          { header: 'Reason', cell: (r) => r.reason || '—' },
          { header: 'Doctor', cell: (r) => (r.providerId ? (users[r.providerId]?.displayName ?? '—') : '—') },
          { header: 'Status', cell: (r) => <StatusPill status={r.status} /> },
          { header: 'Last contact', cell: (r) => (r.lastContactAt ? `${shortDateTime(r.lastContactAt)}: ${r.lastContactNote}` : '—') },
          { header: 'Actions', headerHidden: true, cellClass: 'button-row', cell: (r) => <RecallActions recall={r} name={nameOf(r)} onContact={() => setContact(r)} /> },
        ]}
      />
      {contact ? <ContactForm recall={contact} onClose={() => setContact(null)} /> : null}
      {creating ? <NewRecallForm onClose={() => setCreating(false)} /> : null}
    </section>
  );
}

/** Each button names the patient, so a screen reader's list of buttons says whose recall it acts on. */
function RecallActions({ recall, name, onContact }: { recall: Recall; name: string; onContact: () => void }) {
  const { update } = useActions();
  return (
    <>
      <button type="button" aria-label={`Note contact with ${name}`} onClick={onContact}>
        Note contact
      </button>
      {recall.status !== 'booked' && recall.status !== 'closed' ? (
        <button type="button" aria-label={`Mark ${name} booked`} onClick={() => void update('recalls', recall.id, { status: 'booked' })}>
          Booked
        </button>
      ) : null}
      {recall.status !== 'closed' ? (
        <button type="button" aria-label={`Close the recall of ${name}`} onClick={() => void update('recalls', recall.id, { status: 'closed' })}>
          Close
        </button>
      ) : null}
    </>
  );
}

function ContactForm({ recall, onClose }: { recall: Recall; onClose: () => void }) {
  const { update } = useActions();
  const [note, setNote] = useState('');
  return (
    <SaveDialog
      title="Note contact"
      onClose={onClose}
      size="small"
      onSave={async () => {
        if (note.trim() === '') return 'Contact note: write what was said or tried.';
        return update('recalls', recall.id, {
          status: recall.status === 'due' ? 'contacted' : recall.status,
          lastContactAt: new Date().toISOString(),
          lastContactNote: note.trim(),
        });
      }}
    >
      <TextField label="Contact note" value={note} onChange={setNote} autoFocus wide maxLength={500} />
    </SaveDialog>
  );
}

function NewRecallForm({ onClose }: { onClose: () => void }) {
  const { create } = useActions();
  const [patient, setPatient] = useState<string | null>(null);
  const [due, setDue] = useState(addDays(dayKey(new Date()), 180));
  const [reason, setReason] = useState('');
  return (
    <SaveDialog
      title="New recall"
      onClose={onClose}
      size="small"
      onSave={async () => {
        if (!patient) return 'Patient: choose the patient from the list.';
        return create('recalls', { patientId: patient, dueDate: due, reason, status: recallStatuses[0] });
      }}
    >
      <PatientPicker value={patient} onChange={setPatient} autoFocus />
      <TextField label="Due date" type="date" value={due} onChange={setDue} />
      <TextField label="Reason" value={reason} onChange={setReason} wide maxLength={300} />
    </SaveDialog>
  );
}
