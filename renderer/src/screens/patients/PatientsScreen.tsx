/** The patient register: instant search and a virtualized list that stays smooth with 10,000+ patients. */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useDeferredValue, useMemo, useRef, useState } from 'react';
import type { Patient } from '../../../../shared/domain/collections';
import { useClinic } from '../../app/clinicContext';
import { count, formatDate, patientName } from '../../app/format';
import { navigate } from '../../app/route';
import { exportCsv } from '../../export/csv';
import { patientCount, patientsByName, recentlyChangedPatients, searchPatients } from '../../store/patientSearch';
import { PatientForm } from './PatientForm';

const rowHeight = 40;

/** One register row; the same patient at the same place is not rendered again while scrolling or typing. */
const PatientRow = memo(function PatientRow({ patient: p, start }: { patient: Patient; start: number }) {
  return (
    <li className="virtual-row" style={{ transform: `translateY(${start}px)`, height: rowHeight }}>
      <a className="patient-row patient-cols" href={`#/patients/${p.id}`}>
        {/* Long names end with an ellipsis (CSS); the title shows them whole on hover. */}
        <span className="strong clip" title={patientName(p)}>
          {patientName(p)}
        </span>
        <span>{p.dateOfBirth ? formatDate(p.dateOfBirth) : '—'}</span>
        <span className="clip" title={p.phone || undefined}>{p.phone || '—'}</span>
        <span className="muted clip" title={p.insuranceProvider || undefined}>{p.insuranceProvider || '—'}</span>
        <span className={p.allergies ? 'allergy clip' : 'muted'} title={p.allergies || undefined}>{p.allergies || '—'}</span>
      </a>
    </li>
  );
});

export function PatientsScreen() {
  const patients = useClinic((s) => s.data.patients);
  const downloading = useClinic((s) => s.sync?.initialSync.done === false);
  const [query, setQuery] = useState('');
  const deferredQuery = useDeferredValue(query);
  const [creating, setCreating] = useState(false);
  const [order, setOrder] = useState<'recent' | 'name'>('recent');
  const searching = deferredQuery.trim() !== '';
  const results = useMemo(
    () =>
      searching
        ? searchPatients(patients, deferredQuery)
        : order === 'name'
          ? patientsByName(patients)
          : recentlyChangedPatients(patients),
    [patients, deferredQuery, searching, order],
  );
  const total = patientCount(patients);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: results.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    // Rows are keyed by position (the default): a key function would be a new closure per render,
    // and the virtualizer walks every one of 100,000 keys again whenever it changes.
  });

  return (
    <section className="screen patients-screen">
      <div className="screen-header">
        <h1 id="patients-title">Patient register</h1>
        <div className="toolbar">
          <input
            id="patient-search"
            type="search"
            className="search"
            aria-label="Search patients"
            placeholder="Search by name, phone or date of birth"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && results.length === 1 && results[0]) navigate('patients', results[0].id);
            }}
          />
          <span className="muted count">
            {query.trim() ? `${count(results.length)} of ${count(total)}` : total === 1 ? '1 patient' : `${count(total)} patients`}
          </span>
          <select aria-label="Order of the register" value={order} onChange={(e) => setOrder(e.target.value as 'recent' | 'name')}>
            <option value="recent">Recently changed first</option>
            <option value="name">By name (A–Z)</option>
          </select>
          <button
            type="button"
            onClick={() =>
              exportCsv(searching ? 'patients-search.csv' : 'patients.csv', results, [
                { header: 'Name', value: (p) => patientName(p) },
                { header: 'Date of birth', value: (p) => p.dateOfBirth ?? '' },
                { header: 'Phone', value: (p) => p.phone },
                { header: 'Email', value: (p) => p.email },
                { header: 'Address', value: (p) => p.address },
                { header: 'Insurance', value: (p) => p.insuranceProvider },
                { header: 'Insurance number', value: (p) => p.insuranceNumber },
                { header: 'Allergies', value: (p) => p.allergies },
              ])
            }
          >
            Export CSV
          </button>
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New patient
          </button>
        </div>
      </div>
      <div className="list-head patient-cols" aria-hidden="true">
        <span>Name {searching || order === 'name' ? '(A–Z)' : '(recently changed first)'}</span>
        <span>Date of birth</span>
        <span>Phone</span>
        <span>Insurance</span>
        <span>Allergies</span>
      </div>
      <div ref={scrollRef} className="virtual-scroll">
        {results.length === 0 ? (
          <p className="empty">
            {total > 0 ? 'No patient matches this search.' : downloading ? 'Patients appear here as the first download arrives…' : 'No patients registered yet.'}
          </p>
        ) : (
          <ul
            className="virtual-list"
            aria-label={searching ? `Patients matching ${deferredQuery}` : 'All patients'}
            style={{ height: virtualizer.getTotalSize() }}
          >
            {virtualizer.getVirtualItems().map((item) => {
              const p = results[item.index];
              return p ? <PatientRow key={item.key} patient={p} start={item.start} /> : null;
            })}
          </ul>
        )}
      </div>
      {creating ? <PatientForm onClose={() => setCreating(false)} /> : null}
    </section>
  );
}
