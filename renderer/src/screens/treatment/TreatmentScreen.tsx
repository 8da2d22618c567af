/** Treatment records for clinical staff: newest first, filterable by patient, read beside the list. */
import { Fragment, useMemo, useState } from 'react';
import type { TreatmentRecord } from '../../../../shared/domain/collections';
import { useClinic } from '../../app/clinicContext';
import { useHeadingFocus } from '../../app/focus';
import { formatDate, patientNameOrUnknown, shortDateTime } from '../../app/format';
import { navigate } from '../../app/route';
import { ListWithDetail, recordLink } from '../../components/ListWithDetail';
import { TreatmentForm } from './TreatmentForm';
import { ScreenHeader } from '../../components/ScreenHeader';
import { NewButton } from '../../components/NewButton';

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
      <ScreenHeader id="treatment-title" title="Clinical notes">
        <input type="search" className="search narrow-search" aria-label="Filter records" placeholder="Filter by patient or diagnosis" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <NewButton label="New treatment record" onClick={() => setForm('new')} pushRight />
      </ScreenHeader>
      <ListWithDetail
        screen="treatment"
        rows={list}
        selectedId={recordId}
        empty="No treatment records."
        columns={[
          { header: 'Date', cell: (r) => formatDate(r.date) },
          recordLink('treatment', 'Patient', (r: TreatmentRecord) => patientNameOrUnknown(patients[r.patientId])),
          { header: 'Diagnosis', cellClass: 'clip', cell: (r) => r.diagnosis || '—' },
        ]}
        detailLabel="Treatment record"
        detail={selected ? <TreatmentRecordView record={selected} onEdit={() => setForm(selected)} /> : null}
        choose="Choose a record to read it."
      />
      {form ? (
        <TreatmentForm record={form === 'new' ? undefined : form} onClose={() => setForm(null)} onSaved={(id) => navigate('treatment', id)} />
      ) : null}
    </section>
  );
}

const recordSections = [
  ['Diagnosis', 'diagnosis'],
  ['Procedures', 'procedures'],
  ['Prescriptions', 'prescriptions'],
  ['Clinical notes', 'notes'],
] as const;

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
      {recordSections.map(([title, field]) => (
        <Fragment key={field}>
          <h3>{title}</h3>
          <p className="prewrap">{record[field] || '—'}</p>
        </Fragment>
      ))}
      {onEdit ? (
        <button type="button" onClick={onEdit}>
          Edit record
        </button>
      ) : null}
    </article>
  );
}
