/** Invoices: the outstanding list first, an invoice's lines, payments and balance due beside it. */
import { useMemo, useState } from 'react';
import { paymentMethods, type Invoice } from '../../../../shared/domain/collections';
import { invoiceNumberLabel, invoiceTransitions } from '../../../../shared/domain/rules';
import { exportCsv } from '../../export/csv';
import { InvoicePrint, ReceiptPrint } from '../../print/documents';
import { printDocument, saveDocumentAsPdf } from '../../print/printing';
import { useActions, useClinic } from '../../app/clinicContext';
import { useHeadingFocus } from '../../app/focus';
import { amountText, money, parseMoney, patientNameOrUnknown, shortDateTime, statusLabels } from '../../app/format';
import { paymentProblem, refundProblem } from '../../../../shared/domain/plausibility';
import { navigate } from '../../app/route';
import { FormDialog } from '../../forms/SubmitForm';
import { SelectField, TextField } from '../../forms/Field';
import { InvoiceForm } from './InvoiceForm';
import { ListWithDetail, recordLink } from '../../components/ListWithDetail';
import { InvoiceLines } from '../../components/InvoiceLines';
import { RowList } from '../../components/RowList';
import { StatusPill } from '../../components/StatusPill';
import { ToggleGroup } from '../../components/ToggleGroup';
import { ScreenHeader } from '../../components/ScreenHeader';
import { NewButton } from '../../components/NewButton';

type Filter = 'outstanding' | 'draft' | 'all';
const filters: { value: Filter; label: string }[] = [
  { value: 'outstanding', label: 'Outstanding' },
  { value: 'draft', label: 'Drafts' },
  { value: 'all', label: 'All invoices' },
];

export const balanceDue = (i: Pick<Invoice, 'totalCents' | 'paidCents'>) => Math.max(0, (i.totalCents ?? 0) - (i.paidCents ?? 0));

export function BillingScreen({ invoiceId }: { invoiceId: string | null }) {
  const invoices = useClinic((s) => s.data.invoices);
  const patients = useClinic((s) => s.data.patients);
  const [filter, setFilter] = useState<Filter>('outstanding');
  const [creating, setCreating] = useState(false);

  const list = useMemo(() => {
    const all = Object.values(invoices).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    if (filter === 'outstanding') return all.filter((i) => i.status === 'issued' && balanceDue(i) > 0);
    if (filter === 'draft') return all.filter((i) => i.status === 'draft');
    return all;
  }, [invoices, filter]);
  const outstandingTotal = useMemo(
    () => Object.values(invoices).reduce((sum, i) => sum + (i.status === 'issued' ? balanceDue(i) : 0), 0),
    [invoices],
  );
  const selected = invoiceId ? invoices[invoiceId] : undefined;

  return (
    <section className="screen billing-screen">
      <ScreenHeader id="billing-title" title="Invoices">
        <ToggleGroup label="Show" value={filter} onChange={setFilter} options={filters} />
        <span className="muted">Outstanding in total: {money(outstandingTotal)}</span>
        <button
          type="button"
          className="push-right"
          onClick={() =>
            exportCsv(`invoices-${filter}.csv`, list, [
              { header: 'Number', value: (i) => invoiceNumberLabel(i.number) ?? '' },
              { header: 'Patient', value: (i) => patientNameOrUnknown(patients[i.patientId]) },
              { header: 'Service date', value: (i) => i.serviceDate ?? '' },
              { header: 'Changed', value: (i) => shortDateTime(i.updatedAt) },
              { header: 'Status', value: (i) => statusLabels[i.status] ?? i.status },
              { header: 'Total', value: (i) => money(i.totalCents ?? 0) },
              { header: 'Paid', value: (i) => money(i.paidCents ?? 0) },
              { header: 'Balance due', value: (i) => money(balanceDue(i)) },
            ])
          }
        >
          Export CSV
        </button>
        <NewButton label="New invoice" onClick={() => setCreating(true)} />
      </ScreenHeader>
      <ListWithDetail
        screen="billing"
        rows={list}
        selectedId={invoiceId}
        empty={filter === 'outstanding' ? 'Nothing outstanding.' : 'No invoices.'}
        columns={[
          { header: 'Number', cellClass: 'muted', cell: (i) => invoiceNumberLabel(i.number) ?? '—' },
          recordLink('billing', 'Patient', (i: Invoice) => patientNameOrUnknown(patients[i.patientId])),
          { header: 'Changed', cell: (i) => shortDateTime(i.updatedAt) },
          { header: 'Status', cell: (i) => <StatusPill status={i.status} /> },
          { header: 'Total', numeric: true, cell: (i) => money(i.totalCents ?? 0) },
          { header: 'Paid', numeric: true, cell: (i) => money(i.paidCents ?? 0) },
          { header: 'Balance due', numeric: true, cellClass: 'strong', cell: (i) => money(balanceDue(i)) },
        ]}
        detailLabel="Invoice"
        detail={selected ? <InvoiceDetail invoice={selected} /> : null}
        choose="Choose an invoice to see its lines and payments, issue it or take a payment."
      />
      {creating ? <InvoiceForm onClose={() => setCreating(false)} onSaved={(id) => navigate('billing', id)} /> : null}
    </section>
  );
}

export function InvoiceDetail({ invoice }: { invoice: Invoice }) {
  const { update } = useActions();
  const patients = useClinic((s) => s.data.patients);
  const paymentsById = useClinic((s) => s.data.payments);
  const [editing, setEditing] = useState(false);
  const [paying, setPaying] = useState<null | 'payment' | 'refund'>(null);
  const payments = useMemo(
    () => Object.values(paymentsById).filter((p) => p.invoiceId === invoice.id).sort((a, b) => a.receivedAt.localeCompare(b.receivedAt)),
    [paymentsById, invoice.id],
  );
  const p = patients[invoice.patientId];
  const headingRef = useHeadingFocus<HTMLHeadingElement>(invoice.id);
  const due = balanceDue(invoice);
  const { call, toast } = useActions();
  const invoiceTitle = `Invoice ${invoiceNumberLabel(invoice.number) ?? ''}`.trim();
  return (
    <>
      <h2 ref={headingRef} tabIndex={-1}>
        Invoice for {p ? `${p.firstName} ${p.lastName}` : 'unknown patient'} <StatusPill status={invoice.status} />
      </h2>
      <p className="muted">
        {invoiceNumberLabel(invoice.number) ?? (invoice.status === 'draft' ? 'Numbered when issued' : 'Number given by the clinic server once synced')}
        {invoice.serviceDate ? ` · Service date ${invoice.serviceDate}` : ''}
      </p>
      <InvoiceLines className="table compact" lines={invoice.lines} priceHeader="Price" />
      <dl className="facts totals">
        <dt>Total</dt>
        <dd>{money(invoice.totalCents ?? 0)}</dd>
        <dt>Paid</dt>
        <dd>{money(invoice.paidCents ?? 0)}</dd>
        <dt>Balance due</dt>
        <dd className="strong">{money(due)}</dd>
      </dl>
      <h3>Payments</h3>
      <RowList rows={payments} rowKey={(pay) => pay.id} empty="No payments yet.">
        {(pay) => (
          <>
            {shortDateTime(pay.receivedAt)} · {pay.kind === 'refund' ? `refund${pay.reason ? ` (${pay.reason})` : ''}` : 'payment'} · {pay.method} ·{' '}
            <strong>
              {pay.kind === 'refund' ? '−' : ''}
              {money(pay.amountCents)}
            </strong>{' '}
            <button type="button" className="link-button" onClick={() => printDocument('Receipt', <ReceiptPrint payment={pay} invoice={invoice} patient={p} />)}>
              Print receipt
            </button>
          </>
        )}
      </RowList>
      <div className="button-row">
        {invoice.status === 'draft' ? (
          <button type="button" onClick={() => setEditing(true)}>
            Edit lines
          </button>
        ) : null}
        {invoiceTransitions[invoice.status].includes('issued') && invoice.status === 'draft' ? (
          <button type="button" className="primary" disabled={invoice.lines.length === 0} onClick={() => void update('invoices', invoice.id, { status: 'issued' })}>
            Issue invoice
          </button>
        ) : null}
        {invoice.status === 'issued' && due > 0 ? (
          <button type="button" className="primary" onClick={() => setPaying('payment')}>
            Take payment
          </button>
        ) : null}
        {invoice.status !== 'draft' && (invoice.paidCents ?? 0) > 0 ? (
          <button type="button" onClick={() => setPaying('refund')}>
            Refund
          </button>
        ) : null}
        <button type="button" onClick={() => printDocument(invoiceTitle, <InvoicePrint invoice={invoice} patient={p} payments={payments} />)}>
          Print invoice
        </button>
        <button
          type="button"
          onClick={() =>
            void saveDocumentAsPdf((fileName) => call('print.savePdf', { fileName }), invoiceTitle, <InvoicePrint invoice={invoice} patient={p} payments={payments} />).then(
              (savedTo) => savedTo && toast('success', `Saved ${savedTo}`),
              (error: Error) => toast('error', `Not saved: ${error.message}`),
            )
          }
        >
          Export PDF
        </button>
        {invoiceTransitions[invoice.status].includes('void') ? (
          <button
            type="button"
            className="danger-outline"
            onClick={() => {
              if (window.confirm('Void this invoice? It stays on file but is no longer owed.')) void update('invoices', invoice.id, { status: 'void' });
            }}
          >
            Void invoice
          </button>
        ) : null}
      </div>
      {editing ? <InvoiceForm invoice={invoice} onClose={() => setEditing(false)} /> : null}
      {paying ? <PaymentForm invoiceId={invoice.id} due={paying === 'refund' ? (invoice.paidCents ?? 0) : due} refund={paying === 'refund'} onClose={() => setPaying(null)} /> : null}
    </>
  );
}

/**
 * A payment up to the open balance, or a refund (its own entry) up to what was paid: more is
 * refused here, before anything is saved (the server agrees). `due` is the most either may be.
 */
function PaymentForm({ invoiceId, due, refund = false, onClose }: { invoiceId: string; due: number; refund?: boolean; onClose: () => void }) {
  const { create } = useActions();
  const [amount, setAmount] = useState(amountText(due));
  const [method, setMethod] = useState<(typeof paymentMethods)[number]>('card');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <FormDialog
      title={refund ? 'Refund' : 'Take payment'}
      onClose={onClose}
      size="small"
      error={error}
      note={<>{refund ? 'Paid so far' : 'Balance due'}: {money(due)}</>}
      onSubmit={async () => {
        const cents = parseMoney(amount);
        if (cents === null || cents < 1) return setError(`Amount: enter an amount such as ${amountText(4500)}.`);
        const problem = refund ? refundProblem(cents, due) : paymentProblem(cents, due);
        if (problem) return setError(`${problem} (${money(due)}).`);
        setError(null);
        const entry = { invoiceId, amountCents: cents, method, receivedAt: new Date().toISOString() };
        const answer = await create('payments', refund ? { ...entry, kind: 'refund', reason: reason.trim() } : entry, { inForm: true });
        if (!answer.ok) return setError(answer.error);
        onClose();
      }}
    >
      <p className="field-wide">
        {refund ? 'Paid so far' : 'Open balance'}: <strong>{money(due)}</strong>
      </p>
      <TextField
        label="Amount"
        value={amount}
        onChange={(v) => {
          setAmount(v);
          setError(null);
        }}
        autoFocus
      />
      <SelectField label="Method" value={method} onChange={setMethod} options={paymentMethods.map((m) => ({ value: m, label: m.charAt(0).toUpperCase() + m.slice(1) }))} />
      {refund ? <TextField label="Reason" value={reason} onChange={setReason} maxLength={300} /> : null}
    </FormDialog>
  );
}
