/** One patient: details, and everything the clinic holds for them that this role may see. */
import { useMemo, useState } from 'react';
import { canRead } from '../../../../shared/domain/access';
import { useActions, useClinic } from '../../app/clinicContext';
import { useHeadingFocus } from '../../app/focus';
import { formatDate, money, shortDateTime, timeOf } from '../../app/format';
import { href, navigate } from '../../app/route';
import { AppointmentForm } from '../appointments/AppointmentForm';
import { balanceDue } from '../billing/BillingScreen';
import { InvoiceForm } from '../billing/InvoiceForm';
import { ReferralForm, ReferralTable } from '../referrals/ReferralsScreen';
import { TreatmentForm } from '../treatment/TreatmentForm';
import { PatientDetailsForm } from './PatientForm';
import { DataTable } from '../../components/DataTable';
import { RowList } from '../../components/RowList';
import { StatusPill } from '../../components/StatusPill';

type Form = 'appointment' | 'invoice' | 'referral' | 'treatment' | null;

export function PatientPage({ patientId }: { patientId: string }) {
  const patient = useClinic((s) => s.data.patients[patientId]);
  const role = useClinic((s) => s.user?.role ?? 'receptionist');
  const data = useClinic((s) => s.data);
  const { update } = useActions();
  const [form, setForm] = useState<Form>(null);
  const headingRef = useHeadingFocus<HTMLHeadingElement>(patient ? patientId : null);
  const mayReadRecords = canRead(role, 'treatment-records');
  const mayWriteRecords = role === 'doctor' || role === 'assistant';

  const related = useMemo(() => {
    const byDate = <T extends { start?: string; date?: string; updatedAt: string }>(a: T, b: T) =>
      (b.start ?? b.date ?? b.updatedAt).localeCompare(a.start ?? a.date ?? a.updatedAt);
    return {
      appointments: Object.values(data.appointments).filter((a) => a.patientId === patientId).sort(byDate),
      invoices: Object.values(data.invoices).filter((i) => i.patientId === patientId).sort(byDate),
      referrals: Object.values(data.referrals).filter((r) => r.patientId === patientId).sort(byDate),
      records: mayReadRecords ? Object.values(data['treatment-records']).filter((r) => r.patientId === patientId).sort(byDate) : [],
    };
  }, [data, patientId, mayReadRecords]);

  if (!patient) {
    return (
      <section className="screen">
        <p className="empty">This patient is not on file (the record may have been removed on another terminal).</p>
        <a href={href('patients')}>Back to the register</a>
      </section>
    );
  }

  const now = Date.now();
  return (
    <section className="screen patient-page">
      <div className="screen-header">
        <div>
          <a className="back" href={href('patients')}>
            ‹ Register
          </a>
          <h1 id="patient-title" ref={headingRef} tabIndex={-1} className="clip" title={`${patient.firstName} ${patient.lastName}`}>
            {patient.firstName} {patient.lastName}
          </h1>
          <p className="muted">
            {patient.dateOfBirth ? `Born ${formatDate(patient.dateOfBirth)}` : 'Date of birth unknown'} · {patient.sex === 'unknown' ? 'sex not recorded' : patient.sex} · last changed {shortDateTime(patient.updatedAt)}
          </p>
        </div>
        <div className="toolbar">
          <button type="button" onClick={() => setForm('appointment')}>
            Book appointment
          </button>
          <button type="button" onClick={() => setForm('invoice')}>
            Create invoice
          </button>
          <button type="button" onClick={() => setForm('referral')}>
            Refer
          </button>
          {mayWriteRecords ? (
            <button type="button" className="primary" onClick={() => setForm('treatment')}>
              Write treatment record
            </button>
          ) : null}
        </div>
      </div>
      <div className="cards">
        <div className="card card-tall">
          <h2>Details</h2>
          {patient.allergies ? <p className="allergy">Allergies: {patient.allergies}</p> : null}
          <PatientDetailsForm key={patient.id} patient={patient} />
        </div>
        <div className="card">
          <h2>Visits</h2>
          <RowList rows={related.appointments.slice(0, 12)} rowKey={(a) => a.id} rowClass={(a) => (Date.parse(a.start) >= now ? 'upcoming' : undefined)} empty="No appointments.">
            {(a) => (
              <>
                <a href={href('appointments', null, { day: a.start.slice(0, 10) })}>
                  {shortDateTime(a.start)}–{timeOf(a.end)}
                </a>{' '}
                · {data.users[a.providerId]?.displayName ?? 'Doctor'} · {a.reason || 'no reason given'} <StatusPill status={a.status} />
              </>
            )}
          </RowList>
        </div>
        <div className="card">
          <h2>Invoices</h2>
          <RowList rows={related.invoices} rowKey={(i) => i.id} empty="No invoices.">
            {(i) => (
              <>
                <a href={href('billing', i.id)}>{shortDateTime(i.updatedAt)}</a> · total {money(i.totalCents ?? 0)} · due{' '}
                <strong>{money(i.status === 'issued' ? balanceDue(i) : 0)}</strong> <StatusPill status={i.status} />
              </>
            )}
          </RowList>
        </div>
        <div className="card card-wide">
          <h2>Referrals</h2>
          <ReferralTable referrals={related.referrals} patients={data.patients} showPatient={false} onStep={(r, next) => void update('referrals', r.id, { status: next })} />
        </div>
        {mayReadRecords ? (
          <div className="card card-wide">
            <h2>Treatment history</h2>
            <DataTable
              className="table compact"
              rows={related.records}
              rowKey={(r) => r.id}
              onRowClick={(r) => navigate('treatment', r.id)}
              empty="No treatment records."
              emptyMode="instead"
              emptyClass="muted"
              columns={[
                { header: 'Date', cell: (r) => formatDate(r.date) },
                { header: 'Diagnosis', cellClass: 'prewrap', cell: (r) => r.diagnosis || '—' },
                { header: 'Procedures', cellClass: 'prewrap', cell: (r) => r.procedures || '—' },
                { header: 'Prescriptions', cellClass: 'prewrap', cell: (r) => r.prescriptions || '—' },
                { header: 'Doctor', cell: (r) => data.users[r.providerId]?.displayName ?? '—' },
              ]}
            />
          </div>
        ) : null}
      </div>
      {form === 'appointment' ? <AppointmentForm patientId={patient.id} onClose={() => setForm(null)} /> : null}
      {form === 'invoice' ? <InvoiceForm patientId={patient.id} onClose={() => setForm(null)} onSaved={(id) => navigate('billing', id)} /> : null}
      {form === 'referral' ? <ReferralForm patientId={patient.id} onClose={() => setForm(null)} /> : null}
      {form === 'treatment' ? <TreatmentForm patientId={patient.id} onClose={() => setForm(null)} /> : null}
    </section>
  );
}
