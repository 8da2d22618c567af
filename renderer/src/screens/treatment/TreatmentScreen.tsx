/** Treatment records for clinical staff: newest first, filterable by patient, read beside the list. */
import { useMemo, useState } from 'react';
import type { TreatmentRecord } from '../../../../shared/domain/collections';
import { useClinic } from '../../app/clinicContext';
import { useHeadingFocus } from '../../app/focus';
import { formatDate, patientName, shortDateTime } from '../../app/format';
import { href, navigate } from '../../app/route';
import { TreatmentForm } from './TreatmentForm';

export function TreatmentScreen({ recordId }: { recordId: string | null }) {
  const records = useClinic((s) => s.data['treatment-records']);
  const patients = useClinic((s) => s.data.patients);
  const [filter, setFilter] = useState('');
  const [form, setForm] = useState<'new' | TreatmentRecord | null>(null);
  const list = useMemo(() => {
    const words = filter.trim().toLowerCase();
    return Object.values(records)
      .filter((r) => {
        if (!words) return true;
        const p = patients[r.patientId];
        return `${p ? `${p.lastName}, ${p.firstName} ${p.firstName} ${p.lastName}` : ''} ${r.diagnosis}`.toLowerCase().includes(words);
      })
      .sort((a, b) => b.date.localeCompare(a.date) || b.updatedAt.localeCompare(a.updatedAt));
  }, [records, patients, filter]);
  const selected = recordId ? records[recordId] : undefined;
  return (
    <section className="screen treatment-screen">
      <div className="screen-header">
        <h1 id="treatment-title">Clinical notes</h1>
        <div className="toolbar">
          <input type="search" className="search narrow-search" aria-label="Filter records" placeholder="Filter by patient or diagnosis" value={filter} onChange={(e) => setFilter(e.target.value)} />
          <button type="button" className="primary push-right" onClick={() => setForm('new')}>
            New treatment record
          </button>
        </div>
      </div>
      <div className="split">
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Patient</th>
                <th scope="col">Diagnosis</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => {
                const p = patients[r.patientId];
                return (
                  <tr key={r.id} className={r.id === recordId ? 'is-selected clickable' : 'clickable'} onClick={() => navigate('treatment', r.id)}>
                    <td>{formatDate(r.date)}</td>
                    <td>
                      <a href={href('treatment', r.id)}>{p ? patientName(p) : 'Unknown patient'}</a>
                    </td>
                    <td className="clip">{r.diagnosis || '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {list.length === 0 ? <p className="empty">No treatment records.</p> : null}
        </div>
        <aside className="side-panel wide" aria-label="Treatment record">
          {selected ? <TreatmentRecordView record={selected} onEdit={() => setForm(selected)} /> : <p className="muted">Choose a record to read it.</p>}
        </aside>
      </div>
      {form ? (
        <TreatmentForm record={form === 'new' ? undefined : form} onClose={() => setForm(null)} onSaved={(id) => navigate('treatment', id)} />
      ) : null}
    </section>
  );
}

export function TreatmentRecordView({ record, onEdit }: { record: TreatmentRecord; onEdit?: () => void }) {
  const users = useClinic((s) => s.data.users);
  const patients = useClinic((s) => s.data.patients);
  const p = patients[record.patientId];
  const headingRef = useHeadingFocus<HTMLHeadingElement>(record.id);
  return (
    <article className="record">
      <h2 ref={headingRef} tabIndex={-1}>
        {formatDate(record.date)} · {p ? `${p.firstName} ${p.lastName}` : 'Unknown patient'}
      </h2>
      <p className="muted">
        {users[record.providerId]?.displayName ?? 'Doctor'} · last changed {shortDateTime(record.updatedAt)} by {users[record.updatedBy]?.displayName ?? 'staff'}
      </p>
      <h3>Diagnosis</h3>
      <p className="prewrap">{record.diagnosis || '—'}</p>
      <h3>Procedures</h3>
      <p className="prewrap">{record.procedures || '—'}</p>
      <h3>Prescriptions</h3>
      <p className="prewrap">{record.prescriptions || '—'}</p>
      <h3>Clinical notes</h3>
      <p className="prewrap">{record.notes || '—'}</p>
      {onEdit ? (
        <button type="button" onClick={onEdit}>
          Edit record
        </button>
      ) : null}
    </article>
  );
}
