/**
 * Recalls: patients due back, soonest first, for the desk to work through. Each contact attempt is
 * noted (when, what was said), so a colleague picks up where the last one left off. Doctors set a
 * recall interval on the treatment record, which lists the patient here.
 */
import { useMemo, useState } from 'react';
import { recallStatuses, type Recall } from '../../../../shared/domain/collections';
import { useActions, useClinic } from '../../app/clinicContext';
import { addDays, dayKey, patientName, shortDateTime, statusLabels } from '../../app/format';
import { href } from '../../app/route';
import { Dialog } from '../../forms/Dialog';
import { TextField } from '../../forms/Field';
import { FormError } from '../../forms/FormError';
import { PatientPicker } from '../../forms/PatientPicker';

type Filter = 'open' | 'all';

export function RecallsScreen() {
  const recalls = useClinic((s) => s.data.recalls);
  const patients = useClinic((s) => s.data.patients);
  const users = useClinic((s) => s.data.users);
  const { update } = useActions();
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
  return (
    <section className="screen recalls-screen">
      <div className="screen-header">
        <h1 id="recalls-title">Recalls</h1>
        <div className="toolbar">
          <div className="segmented" role="group" aria-label="Show">
            <button type="button" aria-pressed={filter === 'open'} onClick={() => setFilter('open')}>
              To do
            </button>
            <button type="button" aria-pressed={filter === 'all'} onClick={() => setFilter('all')}>
              All recalls
            </button>
          </div>
          <button type="button" className="primary push-right" onClick={() => setCreating(true)}>
            New recall
          </button>
        </div>
      </div>
      <div className="table-wrap">
        <table className="table" aria-labelledby="recalls-title">
          <thead>
            <tr>
              <th scope="col">Patient</th>
              <th scope="col">Due</th>
              <th scope="col">Reason</th>
              <th scope="col">Doctor</th>
              <th scope="col">Status</th>
              <th scope="col">Last contact</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => {
              const p = patients[r.patientId];
              const name = p ? patientName(p) : 'Unknown patient';
              return (
                <tr key={r.id}>
                  <td className="strong">
                    <a href={href('patients', r.patientId)}>{name}</a>
                    {p?.phone ? <div className="muted">{p.phone}</div> : null}
                  </td>
                  <td className={r.dueDate <= today ? 'strong' : undefined}>{r.dueDate}</td>
                  <td>{r.reason || '—'}</td>
                  <td>{r.providerId ? (users[r.providerId]?.displayName ?? '—') : '—'}</td>
                  <td>
                    <span className={`pill pill-${r.status}`}>{statusLabels[r.status] ?? r.status}</span>
                  </td>
                  <td>{r.lastContactAt ? `${shortDateTime(r.lastContactAt)}: ${r.lastContactNote}` : '—'}</td>
                  <td className="button-row">
                    <button type="button" aria-label={`Note contact with ${name}`} onClick={() => setContact(r)}>
                      Note contact
                    </button>
                    {r.status !== 'booked' && r.status !== 'closed' ? (
                      <button type="button" aria-label={`Mark ${name} booked`} onClick={() => void update('recalls', r.id, { status: 'booked' })}>
                        Booked
                      </button>
                    ) : null}
                    {r.status !== 'closed' ? (
                      <button type="button" aria-label={`Close the recall of ${name}`} onClick={() => void update('recalls', r.id, { status: 'closed' })}>
                        Close
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {list.length === 0 ? <p className="empty">No patients are due back.</p> : null}
      </div>
      {contact ? <ContactForm recall={contact} onClose={() => setContact(null)} /> : null}
      {creating ? <NewRecallForm onClose={() => setCreating(false)} /> : null}
    </section>
  );
}

function ContactForm({ recall, onClose }: { recall: Recall; onClose: () => void }) {
  const { update } = useActions();
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog title="Note contact" onClose={onClose} size="small" closeLabel="Cancel">
      <form
        className="form-grid"
        onSubmit={async (e) => {
          e.preventDefault();
          if (note.trim() === '') return setError('Contact note: write what was said or tried.');
          const answer = await update('recalls', recall.id, {
            status: recall.status === 'due' ? 'contacted' : recall.status,
            lastContactAt: new Date().toISOString(),
            lastContactNote: note.trim(),
          });
          if (!answer.ok) return setError(answer.error);
          onClose();
        }}
      >
        <FormError error={error} />
        <TextField label="Contact note" value={note} onChange={setNote} autoFocus wide maxLength={500} />
        <div className="form-actions field-wide">
          <button type="submit" className="primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function NewRecallForm({ onClose }: { onClose: () => void }) {
  const { create } = useActions();
  const [patient, setPatient] = useState<string | null>(null);
  const [due, setDue] = useState(addDays(dayKey(new Date()), 180));
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog title="New recall" onClose={onClose} size="small" closeLabel="Cancel">
      <form
        className="form-grid"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!patient) return setError('Patient: choose the patient from the list.');
          const answer = await create('recalls', { patientId: patient, dueDate: due, reason, status: recallStatuses[0] });
          if (!answer.ok) return setError(answer.error);
          onClose();
        }}
      >
        <FormError error={error} />
        <PatientPicker value={patient} onChange={setPatient} autoFocus />
        <TextField label="Due date" type="date" value={due} onChange={setDue} />
        <TextField label="Reason" value={reason} onChange={setReason} wide maxLength={300} />
        <div className="form-actions field-wide">
          <button type="submit" className="primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
