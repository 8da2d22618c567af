/** Fields no one writes: the rules derive them from the others whenever a row is written. */
import type { AnyRow, CollectionName, InvoiceLine } from '../collections';
import { invoiceTotal, lowStock } from '../rules';

export function withDerived(collection: CollectionName, row: AnyRow): AnyRow {
  if (collection === 'invoices') {
    return { ...row, totalCents: invoiceTotal((row.lines ?? []) as InvoiceLine[]), paidCents: typeof row.paidCents === 'number' ? row.paidCents : 0 };
  }
  if (collection === 'inventory') {
    return { ...row, lowStock: lowStock({ quantity: Number(row.quantity ?? 0), reorderLevel: Number(row.reorderLevel ?? 0) }) };
  }
  return row;
}
