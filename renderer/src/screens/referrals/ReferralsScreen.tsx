/** Referrals in and out, and where each one stands. */
import { useMemo, useState } from 'react';
import { referralDirections, referralStatuses, type Referral } from '../../../../shared/domain/collections';
import { useActions, useClinic } from '../../app/clinicContext';
import { dayKey, formatDate, patientName, statusLabels } from '../../app/format';
import { ReferralLetterPrint } from '../../print/documents';
import { printDocument } from '../../print/printing';
import { href } from '../../app/route';
import { SaveDialog } from '../../forms/SubmitForm';
import type { Choice } from '../../forms/Options';
import { DataTable } from '../../components/DataTable';
import { StatusPill } from '../../components/StatusPill';
import { SelectField, TextArea, DateField, TextField } from '../../forms/Field';
import { PatientPicker } from '../../forms/PatientPicker';
import { ScreenHeader } from '../../components/ScreenHeader';
import { NewButton } from '../../components/NewButton';

/** The next steps a referral can take, in the order staff usually take them. */
export const referralNextSteps: Record<Referral['status'], Referral['status'][]> = {
  draft: ['sent', 'cancelled'],
  sent: ['accepted', 'cancelled'],
  accepted: ['completed', 'cancelled'],
  completed: [],
  cancelled: ['draft'],
};
const stepLabels: Record<Referral['status'], string> = {
  draft: 'Reopen',
  sent: 'Mark sent',
  accepted: 'Mark accepted',
  completed: 'Mark completed',
  cancelled: 'Cancel referral',
};

type ReferralFilter = 'open' | Referral['status'] | 'all';
const referralFilters: Choice<ReferralFilter>[] = [
  { value: 'open', label: 'Open' },
  ...referralStatuses.map((s) => ({ value: s, label: statusLabels[s] ?? s })),
  { value: 'all', label: 'All' },
];

export function ReferralsScreen() {
  const referrals = useClinic((s) => s.data.referrals);
  const patients = useClinic((s) => s.data.patients);
  const user = useClinic((s) => s.user);
  const { update } = useActions();
  const [status, setStatus] = useState<ReferralFilter>('open');
  const [creating, setCreating] = useState(false);
  const list = useMemo(
    () =>
      Object.values(referrals)
        .filter((r) => status === 'all' || (status === 'open' ? r.status !== 'completed' && r.status !== 'cancelled' : r.status === status))
        .sort((a, b) => b.date.localeCompare(a.date)),
    [referrals, status],
  );
  return (
    <section className="screen referrals-screen">
      <ScreenHeader id="referrals-title" title="Referral tracking">
        <SelectField
          label="Show"
          value={status}
          onChange={setStatus}
          options={referralFilters}
        />
        <NewButton label="New referral" onClick={() => setCreating(true)} pushRight />
      </ScreenHeader>
      <ReferralTable
        referrals={list}
        patients={patients}
        onStep={(r, next) => void update('referrals', r.id, { status: next })}
        onPrint={(r) => printDocument('Referral letter', <ReferralLetterPrint referral={r} patient={patients[r.patientId]} author={user?.displayName ?? ''} />)}
      />
      {creating ? <ReferralForm onClose={() => setCreating(false)} /> : null}
    </section>
  );
}

export function ReferralTable({
  referrals,
  patients,
  onStep,
  onPrint,
  showPatient = true,
}: {
  referrals: Referral[];
  patients: Record<string, { firstName: string; lastName: string }>;
  onStep: (r: Referral, next: Referral['status']) => void;
  /** Outgoing referrals: print the letter to the specialist. */
  onPrint?: (r: Referral) => void;
  showPatient?: boolean;
}) {
  return (
    <DataTable
      className="table"
      wrapClass="table-wrap"
      rows={referrals}
      rowKey={(r) => r.id}
      empty="No referrals."
      emptyMode="instead"
      columns={[
        { header: 'Date', cell: (r) => formatDate(r.date) },
        showPatient && {
          header: 'Patient',
          cell: (r) => (patients[r.patientId] ? <a href={href('patients', r.patientId)}>{patientName(patients[r.patientId]!)}</a> : 'Unknown patient'),
        },
        { header: 'Direction', cell: (r) => (r.direction === 'outgoing' ? 'Out' : 'In') },
        { header: 'Specialist or clinic', cell: (r) => r.provider },
        { header: 'Specialty', cell: (r) => r.specialty || '—' },
        { header: 'Reason', cellClass: 'clip', cell: (r) => r.reason || '—' },
        { header: 'Status', cell: (r) => <StatusPill status={r.status} /> },
        {
          header: 'Next step',
          cellClass: 'button-row tight',
          cell: (r) => (
            <>
              {referralNextSteps[r.status].map((next) => (
                <button key={next} type="button" className={next === 'cancelled' ? 'small danger-outline' : 'small'} onClick={() => onStep(r, next)}>
                  {stepLabels[next]}
                </button>
              ))}
              {onPrint && r.direction === 'outgoing' ? (
                <button type="button" className="small" onClick={() => onPrint(r)}>
                  Print letter
                </button>
              ) : null}
            </>
          ),
        },
      ]}
    />
  );
}

export function ReferralForm({ patientId, onClose }: { patientId?: string; onClose: () => void }) {
  const { create } = useActions();
  const [patient, setPatient] = useState<string | null>(patientId ?? null);
  const [direction, setDirection] = useState<Referral['direction']>('outgoing');
  const [provider, setProvider] = useState('');
  const [specialty, setSpecialty] = useState('');
  const [reason, setReason] = useState('');
  const [date, setDate] = useState(dayKey(new Date()));
  return (
    <SaveDialog
      title="New referral"
      onClose={onClose}
      onSave={async () => {
        if (!patient) return 'Choose the patient from the list.';
        if (!provider.trim()) return 'Name the specialist or clinic.';
        return create('referrals', { patientId: patient, direction, provider: provider.trim(), specialty, reason, date, status: 'draft' });
      }}
    >
      <PatientPicker value={patient} onChange={setPatient} wide />
      <SelectField
        label="Direction"
        value={direction}
        onChange={setDirection}
        options={referralDirections.map((d) => ({ value: d, label: d === 'outgoing' ? 'Outgoing (we refer)' : 'Incoming (referred to us)' }))}
      />
      <DateField label="Date" value={date} onChange={setDate} required />
      <TextField label="Specialist or clinic" value={provider} onChange={setProvider} required maxLength={200} />
      <TextField label="Specialty" value={specialty} onChange={setSpecialty} maxLength={100} />
      <TextArea label="Reason" value={reason} onChange={setReason} rows={3} />
    </SaveDialog>
  );
}
