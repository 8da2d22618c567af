/** The printed pages: plain markup, styled for paper by `.print-doc` (styles.css). */
import type { Appointment, Invoice, Patient, Payment, Referral, User } from '../../../shared/domain/collections';
import { invoiceNumberLabel } from '../../../shared/domain/rules';
import { longDate, money, patientName, shortDateTime, statusLabels, timeOf } from '../app/format';

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
      <table>
        <thead>
          <tr>
            <th>Description</th>
            <th className="num">Qty</th>
            <th className="num">Unit price</th>
            <th className="num">Amount</th>
          </tr>
        </thead>
        <tbody>
          {invoice.lines.map((l, i) => (
            <tr key={i}>
              <td>{l.description}</td>
              <td className="num">{l.quantity}</td>
              <td className="num">{money(l.unitPriceCents)}</td>
              <td className="num">{money(l.quantity * l.unitPriceCents)}</td>
            </tr>
          ))}
        </tbody>
        <tbody className="totals">
          <tr>
            <td colSpan={3}>Total</td>
            <td className="num">{money(invoice.totalCents ?? 0)}</td>
          </tr>
          <tr>
            <td colSpan={3}>Paid</td>
            <td className="num">{money(invoice.paidCents ?? 0)}</td>
          </tr>
          <tr>
            <td colSpan={3}>Balance due</td>
            <td className="num">{money(due)}</td>
          </tr>
        </tbody>
      </table>
      {payments.length > 0 ? (
        <>
          <h2>Payments and refunds</h2>
          <table>
            <tbody>
              {payments.map((p) => (
                <tr key={p.id}>
                  <td>{shortDateTime(p.receivedAt)}</td>
                  <td>{p.kind === 'refund' ? 'Refund' : 'Payment'} · {p.method}</td>
                  <td className="num">{p.kind === 'refund' ? '−' : ''}{money(p.amountCents)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </article>
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
      <table>
        <tbody>
          <tr>
            <td>{refund ? 'Amount refunded' : 'Amount received'}</td>
            <td className="num">{money(payment.amountCents)}</td>
          </tr>
          <tr>
            <td>Method</td>
            <td className="num">{payment.method}</td>
          </tr>
          {payment.reason ? (
            <tr>
              <td>Reason</td>
              <td className="num">{payment.reason}</td>
            </tr>
          ) : null}
          <tr>
            <td>Invoice total</td>
            <td className="num">{money(invoice.totalCents ?? 0)}</td>
          </tr>
          <tr>
            <td>Balance due</td>
            <td className="num">{money(Math.max(0, (invoice.totalCents ?? 0) - (invoice.paidCents ?? 0)))}</td>
          </tr>
        </tbody>
      </table>
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
      <table>
        <thead>
          <tr>
            <th>Time</th>
            <th>Patient</th>
            <th>Date of birth</th>
            <th>Phone</th>
            <th>Room</th>
            <th>Reason</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {appointments.map((a) => {
            const p = patients[a.patientId];
            return (
              <tr key={a.id}>
                <td>
                  {timeOf(a.start)}–{timeOf(a.end)}
                </td>
                <td>{p ? patientName(p) : 'Unknown patient'}</td>
                <td>{p?.dateOfBirth ?? ''}</td>
                <td>{p?.phone ?? ''}</td>
                <td>{a.room}</td>
                <td>{a.reason}</td>
                <td>{statusLabels[a.status] ?? a.status}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
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
