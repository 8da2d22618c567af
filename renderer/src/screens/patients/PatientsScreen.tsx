/** The patient register: instant search and a windowed list that stays smooth with 100,000 patients. */
import { memo, useMemo, useRef, useState, type ReactElement } from 'react';
import type { Patient } from '../../../../shared/domain/collections';
import { useClinic } from '../../app/clinicContext';
import { count, formatDate, patientName } from '../../app/format';
import { navigate } from '../../app/route';
import { exportCsv } from '../../export/csv';
import { patientCount, patientsByName, recentlyChangedPatients, searchPatients } from '../../store/patientSearch';
import { PatientForm } from './PatientForm';
import { useRowWindow } from './useRowWindow';

/** Each row's height in px, as .virtual-row in styles.css sets it. */
const rowHeight = 40;
/** Rows rendered above and below the visible ones, so a fast scroll does not show a gap. */
const rowMargin = 12;

/** A patient's line; rendered again only when that patient's row changes, wherever it moves to. */
const PatientLine = memo(function PatientLine({ patient: p }: { patient: Patient }) {
  return (
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
  );
});

/**
 * One register row at its place. Keyed by the patient: a row registered at the top moves the
 * others down by a transform (no layout, no new text), and scrolling renders only the rows that
 * come into view.
 */
const PatientRow = memo(function PatientRow({ patient, top }: { patient: Patient; top: number }) {
  return (
    <li className="virtual-row" style={{ transform: `translateY(${top}px)`, height: rowHeight }}>
      <PatientLine patient={patient} />
    </li>
  );
});

export function PatientsScreen() {
  const patients = useClinic((s) => s.data.patients);
  const downloading = useClinic((s) => s.sync?.initialSync.done === false);
  const [query, setQuery] = useState('');
  // The id the patient being registered will have, while the New patient form is open.
  const [creating, setCreating] = useState<string | null>(null);
  // The form closes in the render that shows the new patient's row (one commit, one frame),
  // not a message later when the save's answer comes: once the row is here it is saved on this terminal.
  const created = useClinic((s) => creating !== null && s.data.patients[creating] !== undefined);
  const [order, setOrder] = useState<'recent' | 'name'>('recent');
  const searching = query.trim() !== '';
  // The search runs in the keystroke's own render, not deferred: a keystroke costs milliseconds
  // even over 100,000 patients (patientSearch.ts), and a deferred render paints a task, often a frame, later.
  const results = useMemo(
    () =>
      searching
        ? searchPatients(patients, query)
        : order === 'name'
          ? patientsByName(patients)
          : recentlyChangedPatients(patients),
    [patients, query, searching, order],
  );
  const total = patientCount(patients);
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = useRowWindow(scrollRef, results.length, rowHeight, rowMargin);
  const shown: ReactElement[] = [];
  for (let i = rows.first; i < rows.last; i++) {
    const p = results[i];
    if (p) shown.push(<PatientRow key={p.id} patient={p} top={i * rowHeight} />);
  }

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
          <button type="button" className="primary" onClick={() => setCreating(globalThis.crypto.randomUUID())}>
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
            aria-label={searching ? `Patients matching ${query}` : 'All patients'}
            style={{ height: rows.totalHeight }}
          >
            {shown}
          </ul>
        )}
      </div>
      {creating !== null && !created ? (
        // A late answer for an earlier form must not close a new one.
        <PatientForm key={creating} newId={creating} onClose={() => setCreating((open) => (open === creating ? null : open))} />
      ) : null}
    </section>
  );
}
