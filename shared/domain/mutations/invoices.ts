/**
 * Invoices and payments: the status flow, totals, gap-free numbers, and payments and refunds that
 * settle their invoice. paidCents is derived from the invoice's live payments.
 */
import type { AnyRow, InvoiceLine, InvoiceStatus } from '../collections';
import { paymentProblem, refundProblem } from '../plausibility';
import { invoiceTotal, invoiceTransitions, settledStatus } from '../rules';
import { fieldVersionsAfter } from './merge';
import { ask, type Rule, type RuleContext, type RuleRow } from './reads';
import { fieldRefusal, RuleRefusal } from './refusal';

/** An invoice as the rules write it: the row and its field versions. */
export interface InvoiceWrite {
  id: string;
  version: number;
  row: AnyRow;
  fieldVersions: Record<string, number>;
}

/**
 * Invoice numbers run without gaps per clinic: the server gives the next one, under a lock, in the
 * write that first issues an invoice, so offline terminals never invent or skip one (a terminal's
 * reads have no counter: its invoice waits for the server's number). A number, once given, stays.
 */
export function* nextInvoiceNumber(): Rule<number | null> {
  const last = yield* ask('lastInvoiceNumber');
  return last === null ? null : last + 1;
}

/** A new invoice: derived totals, never paid at birth, numbered when issued. */
export function* newInvoice(row: AnyRow): Rule<number | null> {
  row.totalCents = invoiceTotal(row.lines as InvoiceLine[]);
  row.paidCents = 0;
  if (row.status === 'paid') throw new RuleRefusal('conflict', 'status: an invoice becomes paid through payments');
  if (row.status !== 'issued') {
    row.number = null;
    return null;
  }
  const number = yield* nextInvoiceNumber();
  // Where this end gives no numbers the invoice has none yet: the server numbers it on arrival.
  if (number === null) delete row.number;
  else row.number = number;
  return number;
}

/** An edit of an invoice: its status flow and derived fields; mutates `next`. Returns a number given, if any. */
export function* invoiceEdit(current: AnyRow, next: AnyRow, changed: readonly string[]): Rule<number | null> {
  if (current.status === 'void') throw new RuleRefusal('conflict', 'a void invoice cannot change', { current });
  next.totalCents = invoiceTotal(next.lines as InvoiceLine[]);
  const paid = Number(current.paidCents);
  if (changed.includes('lines') && Number(next.totalCents) < paid) {
    throw new RuleRefusal('conflict', `lines: the total would fall below the ${paid} cents already paid`, { current });
  }
  if (changed.includes('status')) {
    const from = current.status as InvoiceStatus;
    const to = next.status as InvoiceStatus;
    if (!invoiceTransitions[from].includes(to)) throw new RuleRefusal('conflict', `status: an invoice cannot go from ${from} to ${to}`, { current });
    if (to === 'draft' && paid > 0) throw new RuleRefusal('conflict', 'status: an invoice with payments cannot go back to draft', { current });
    if (to === 'paid' && !(Number(next.totalCents) > 0 && paid >= Number(next.totalCents))) {
      throw new RuleRefusal('conflict', 'status: an invoice becomes paid when its payments cover the total', { current });
    }
  }
  next.status = settledStatus(next.status as InvoiceStatus, Number(next.totalCents), paid);
  if (next.status === 'issued' && typeof current.number !== 'number') {
    const number = yield* nextInvoiceNumber();
    if (number !== null) next.number = number;
    return number;
  }
  return null;
}

/** A payment's amount, kind and invoice are its record: they never change. */
export function refusePaymentEdit(current: AnyRow, changed: readonly string[]): void {
  if (changed.includes('amountCents') || changed.includes('invoiceId') || changed.includes('kind')) {
    throw new RuleRefusal('conflict', 'a payment amount, kind or invoice cannot change: delete it and record a new entry', { current });
  }
}

/** The invoice with a new paid amount, its status settled. */
function withPaid(ctx: RuleContext, invoiceId: string, stored: RuleRow, paidCents: number): InvoiceWrite {
  const inv = stored.row;
  const version = stored.version + 1;
  const status = settledStatus(inv.status as InvoiceStatus, Number(inv.totalCents), paidCents);
  const row: AnyRow = { ...inv, paidCents, status, version, updatedAt: ctx.now, updatedBy: ctx.actor.id };
  return { id: invoiceId, version, row, fieldVersions: fieldVersionsAfter(stored.fieldVersions, status !== inv.status ? ['paidCents', 'status'] : ['paidCents'], version) };
}

/**
 * A new payment: the invoice must be issued and the payment within its balance. A refund is its
 * own entry, taken off what was paid: on an issued, paid or void invoice, up to what was paid.
 * Returns the invoice as it is after, or null where this end does not have it (a terminal).
 */
export function* settleInvoice(ctx: RuleContext, invoiceId: string, amountCents: number, refund: boolean): Rule<InvoiceWrite | null> {
  const stored = yield* ask('row', 'invoices', invoiceId, true);
  if (!stored) {
    if (ctx.authority === 'terminal') return null;
    throw fieldRefusal('invalid', 'invoiceId', 'no such invoice', `invoiceId: no invoice ${invoiceId}`);
  }
  if (stored.deleted) throw new RuleRefusal('conflict', `invoice ${invoiceId} was deleted`);
  const inv = stored.row;
  const status = inv.status as InvoiceStatus;
  if (refund) {
    if (status === 'draft') throw new RuleRefusal('conflict', 'a draft invoice has nothing to refund', { current: inv });
    const paid = yield* ask('paidOnInvoice', invoiceId);
    const problem = refundProblem(amountCents, paid);
    // Past what the field allows for this invoice: 400 naming the field, as for a payment.
    if (problem) throw fieldRefusal('invalid', 'amountCents', `${problem} (${paid} cents)`, `amountCents: a refund of ${amountCents} exceeds the ${paid} cents paid`, { current: inv });
    return withPaid(ctx, invoiceId, stored, paid - amountCents);
  }
  if (status !== 'issued') throw new RuleRefusal('conflict', `invoice is ${status}: payments are taken on issued invoices only`, { current: inv });
  const total = Number(inv.totalCents);
  const paid = yield* ask('paidOnInvoice', invoiceId);
  const problem = paymentProblem(amountCents, total - paid);
  // A value past what the field allows for this invoice: 400 (api-contract "Rules"), naming the field.
  if (problem) {
    throw fieldRefusal('invalid', 'amountCents', `${problem} (${total - paid} cents)`, `amountCents: ${amountCents} exceeds the open balance of ${total - paid} cents`, { current: inv });
  }
  return withPaid(ctx, invoiceId, stored, paid + amountCents);
}

/** A payment deleted: its invoice's paid amount without it. Null when the invoice is gone. */
export function* unsettleInvoice(ctx: RuleContext, payment: AnyRow): Rule<InvoiceWrite | null> {
  const invoiceId = String(payment.invoiceId);
  const stored = yield* ask('row', 'invoices', invoiceId, true);
  if (!stored || stored.deleted) return null;
  return withPaid(ctx, invoiceId, stored, yield* ask('paidOnInvoice', invoiceId, payment.id));
}
