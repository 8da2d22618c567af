/** The printed pages: plain markup, styled for paper by `.print-doc` (styles.css). */
import type { Appointment, Invoice, Patient, Payment, Referral, User } from '../../../shared/domain/collections';
import { invoiceNumberLabel } from '../../../shared/domain/rules';
import { DataTable } from '../components/DataTable';
import { InvoiceLines } from '../components/InvoiceLines';
import { longDate, money, patientNameOrUnknown, shortDateTime, statusLabels, timeOf } from '../app/format';

const clinicName = 'Clinic Desk';

function PatientBlock({ patient }: { patient: Patient | undefined }) {
  if (!patient) return <p>Unknown patient</p>;
  return (
    <div>
      <strong>
        {patient.firstName} {patient.lastName}
      </strong>
      {patient.address ? <div>{patient.address}</div> : null}
      {patient.dateOfBirth ? <div>Date of birth: {patient.dateOfBirth}</div> : null}
      {patient.insuranceProvider ? (
        <div>
          Insurance: {patient.insuranceProvider} {patient.insuranceNumber}
        </div>
      ) : null}
    </div>
  );
}

export function InvoicePrint({ invoice, patient, payments }: { invoice: Invoice; patient: Patient | undefined; payments: Payment[] }) {
  const number = invoiceNumberLabel(invoice.number) ?? 'Not yet numbered (numbered by the clinic server once synced)';
  const due = Math.max(0, (invoice.totalCents ?? 0) - (invoice.paidCents ?? 0));
  return (
    <article className="print-doc">
      <div className="print-head">
        <div>
          <h1>Invoice</h1>
          <div>Invoice number: {number}</div>
          <div>Issued: {shortDateTime(invoice.updatedAt)}</div>
          {invoice.serviceDate ? <div>Service date: {invoice.serviceDate}</div> : null}
          <div>Status: {statusLabels[invoice.status] ?? invoice.status}</div>
        </div>
        <div>
          <strong>{clinicName}</strong>
        </div>
      </div>
      <h2>Bill to</h2>
      <PatientBlock patient={patient} />
      <h2>Services</h2>
      <InvoiceLines
        lines={invoice.lines}
        priceHeader="Unit price"
        footer={
          <tbody className="totals">
            <TotalRow label="Total" cents={invoice.totalCents ?? 0} />
            <TotalRow label="Paid" cents={invoice.paidCents ?? 0} />
            <TotalRow label="Balance due" cents={due} />
          </tbody>
        }
      />
      {payments.length > 0 ? (
        <>
          <h2>Payments and refunds</h2>
          <DataTable
            rows={payments}
            rowKey={(p) => p.id}
            columns={[
              { cell: (p) => shortDateTime(p.receivedAt) },
              { cell: (p) => `${p.kind === 'refund' ? 'Refund' : 'Payment'} · ${p.method}` },
              { numeric: true, cell: (p) => `${p.kind === 'refund' ? '−' : ''}${money(p.amountCents)}` },
            ]}
          />
        </>
      ) : null}
    </article>
  );
}

/** What a receipt states, line by line: the amount, how, why (a refund's reason) and what is left. */
function receiptFacts(payment: Payment, invoice: Invoice): { label: string; value: string }[] {
  const refund = payment.kind === 'refund';
  return [
    { label: refund ? 'Amount refunded' : 'Amount received', value: money(payment.amountCents) },
    { label: 'Method', value: payment.method },
    ...(payment.reason ? [{ label: 'Reason', value: payment.reason }] : []),
    { label: 'Invoice total', value: money(invoice.totalCents ?? 0) },
    { label: 'Balance due', value: money(Math.max(0, (invoice.totalCents ?? 0) - (invoice.paidCents ?? 0))) },
  ];
}

function TotalRow({ label, cents }: { label: string; cents: number }) {
  return (
    <tr>
      <td colSpan={3}>{label}</td>
      <td className="num">{money(cents)}</td>
    </tr>
  );
}

export function ReceiptPrint({ payment, invoice, patient }: { payment: Payment; invoice: Invoice; patient: Patient | undefined }) {
  const refund = payment.kind === 'refund';
  return (
    <article className="print-doc">
      <div className="print-head">
        <div>
          <h1>{refund ? 'Refund receipt' : 'Receipt'}</h1>
          <div>Received: {shortDateTime(payment.receivedAt)}</div>
          <div>For invoice: {invoiceNumberLabel(invoice.number) ?? 'not yet numbered'}</div>
        </div>
        <strong>{clinicName}</strong>
      </div>
      <h2>{refund ? 'Refunded to' : 'Received from'}</h2>
      <PatientBlock patient={patient} />
      <DataTable
        rows={receiptFacts(payment, invoice)}
        rowKey={(f) => f.label}
        columns={[{ cell: (f) => f.label }, { numeric: true, cell: (f) => f.value }]}
      />
    </article>
  );
}

export function DaySheetPrint({ day, provider, appointments, patients }: { day: string; provider: User | undefined; appointments: Appointment[]; patients: Record<string, Patient> }) {
  return (
    <article className="print-doc">
      <div className="print-head">
        <div>
          <h1>Day sheet</h1>
          <div>{longDate(day)}</div>
          <div>{provider?.displayName ?? 'All doctors'}</div>
        </div>
        <strong>{clinicName}</strong>
      </div>
      <DataTable
        rows={appointments}
        rowKey={(a) => a.id}
        columns={[
          { header: 'Time', cell: (a) => `${timeOf(a.start)}–${timeOf(a.end)}` },
          { header: 'Patient', cell: (a) => patientNameOrUnknown(patients[a.patientId]) },
          { header: 'Date of birth', cell: (a) => patients[a.patientId]?.dateOfBirth ?? '' },
          { header: 'Phone', cell: (a) => patients[a.patientId]?.phone ?? '' },
          { header: 'Room', cell: (a) => a.room },
          { header: 'Reason', cell: (a) => a.reason },
          { header: 'Status', cell: (a) => statusLabels[a.status] ?? a.status },
        ]}
      />
      <p className="muted">{appointments.length === 1 ? '1 appointment' : `${appointments.length} appointments`}</p>
    </article>
  );
}

export function ReferralLetterPrint({ referral, patient, author }: { referral: Referral; patient: Patient | undefined; author: string }) {
  return (
    <article className="print-doc letter">
      <div className="print-head">
        <div>
          <strong>{clinicName}</strong>
          <div>{longDate(referral.date)}</div>
        </div>
        <div>
          To: {referral.provider}
          {referral.specialty ? <div>{referral.specialty}</div> : null}
        </div>
      </div>
      <h1>Referral letter</h1>
      <p>
        Re: {patient ? `${patient.firstName} ${patient.lastName}` : 'unknown patient'}
        {patient?.dateOfBirth ? `, born ${patient.dateOfBirth}` : ''}
      </p>
      <p>Dear colleague,</p>
      <p>I would be grateful if you would see this patient{referral.specialty ? ` in ${referral.specialty}` : ''}.</p>
      <h2>Reason for referral</h2>
      <p>{referral.reason || '—'}</p>
      {patient?.allergies ? (
        <>
          <h2>Allergies</h2>
          <p>{patient.allergies}</p>
        </>
      ) : null}
      <p>Yours sincerely,</p>
      <p>{author}</p>
    </article>
  );
}
