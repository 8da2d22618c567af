/** New invoice / Edit invoice lines (drafts only). Amounts are typed as money and stored as cents. */
import { useState } from 'react';
import type { Invoice, InvoiceLine } from '../../../../shared/domain/collections';
import { invoiceTotal } from '../../../../shared/domain/rules';
import { useActions } from '../../app/clinicContext';
import { amountText, money, parseMoney } from '../../app/format';
import { FormDialog } from '../../forms/SubmitForm';
import { PatientPicker } from '../../forms/PatientPicker';
import { TextField } from '../../forms/Field';
import { DataTable } from '../../components/DataTable';

type LineDraft = { description: string; quantity: string; price: string };

/** What a typed line comes to, once its price and quantity read as such. */
function lineAmount(l: LineDraft): string {
  const cents = parseMoney(l.price);
  const qty = Number.parseInt(l.quantity, 10);
  return cents !== null && qty > 0 ? money(cents * qty) : '—';
}

const toDraft = (l: InvoiceLine): LineDraft => ({ description: l.description, quantity: String(l.quantity), price: amountText(l.unitPriceCents) });

export function InvoiceForm({
  invoice,
  patientId,
  appointmentId,
  serviceDate,
  onClose,
  onSaved,
}: {
  invoice?: Invoice;
  patientId?: string;
  /** A new invoice for a visit: the visit and the day of service go with it. */
  appointmentId?: string;
  serviceDate?: string;
  onClose: () => void;
  onSaved?: (id: string) => void;
}) {
  const { create, update } = useActions();
  // The invoice as the edit began: only lines changed since then are sent, against its version.
  const [base] = useState(invoice);
  const [patient, setPatient] = useState<string | null>(invoice?.patientId ?? patientId ?? null);
  const [lines, setLines] = useState<LineDraft[]>(invoice?.lines.length ? invoice.lines.map(toDraft) : [{ description: '', quantity: '1', price: '' }]);
  const [error, setError] = useState<string | null>(null);
  const [service, setService] = useState(invoice?.serviceDate ?? serviceDate ?? '');
  const [busy, setBusy] = useState(false);

  const parsed = lines
    .filter((l) => l.description.trim() !== '' || l.price.trim() !== '')
    .map((l) => ({ description: l.description.trim(), quantity: Number.parseInt(l.quantity, 10), unitPriceCents: parseMoney(l.price) }));
  const valid = parsed.every((l) => l.description !== '' && Number.isInteger(l.quantity) && l.quantity >= 1 && l.unitPriceCents !== null);
  const total = valid ? invoiceTotal(parsed as InvoiceLine[]) : null;

  const setLine = (i: number, patch: Partial<LineDraft>) => setLines((ls) => ls.map((l, j) => (j === i ? { ...l, ...patch } : l)));

  async function save() {
    setError(null);
    if (!patient) return setError('Choose the patient from the list.');
    if (!valid) return setError('Every line needs a description, a quantity of at least 1 and a price such as 45.00.');
    if (service !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(service)) return setError('Service date: enter a date.');
    setBusy(true);
    const fields = { patientId: patient, lines: parsed as InvoiceLine[], serviceDate: service || null };
    const answer = base ? await update('invoices', base.id, fields, base) : await create('invoices', { ...fields, status: 'draft', appointmentId: appointmentId ?? null });
    setBusy(false);
    if (!answer.ok) return setError(answer.error);
    onSaved?.(answer.value.id);
    onClose();
  }

  return (
    <FormDialog
      title={invoice ? 'Edit invoice' : 'New invoice'}
      onClose={onClose}
      size="large"
      className=""
      error={error}
      busy={busy}
      wide={false}
      note="Saved as a draft; issue it from the invoice."
      onSubmit={save}
    >
      <PatientPicker value={patient} onChange={setPatient} disabled={Boolean(invoice)} />
      <TextField label="Service date" type="date" value={service} onChange={setService} />
      <DataTable
        className="table lines-table"
        rows={lines}
        rowKey={(_, i) => i}
        columns={[
          { header: 'Description', cell: (l, i) => <input aria-label={`Line ${i + 1} description`} value={l.description} onChange={(e) => setLine(i, { description: e.target.value })} /> },
          {
            header: 'Qty',
            cell: (l, i) => <input aria-label={`Line ${i + 1} quantity`} className="narrow" inputMode="numeric" value={l.quantity} onChange={(e) => setLine(i, { quantity: e.target.value })} />,
          },
          {
            header: 'Unit price',
            cell: (l, i) => (
              <input aria-label={`Line ${i + 1} unit price`} className="narrow" inputMode="decimal" placeholder="0.00" value={l.price} onChange={(e) => setLine(i, { price: e.target.value })} />
            ),
          },
          { header: 'Amount', numeric: true, cell: (l) => lineAmount(l) },
          {
            header: 'Remove',
            headerHidden: true,
            cell: (_, i) => (
              <button type="button" className="ghost small" aria-label={`Remove line ${i + 1}`} onClick={() => setLines((ls) => ls.filter((_, j) => j !== i))}>
                ×
              </button>
            ),
          },
        ]}
        footer={
          <tfoot>
            <tr>
              <td colSpan={3}>
                <button type="button" className="small" onClick={() => setLines((ls) => [...ls, { description: '', quantity: '1', price: '' }])}>
                  Add line
                </button>
              </td>
              <td className="num strong">{total === null ? '—' : money(total)}</td>
              <td />
            </tr>
          </tfoot>
        }
      />
    </FormDialog>
  );
}
