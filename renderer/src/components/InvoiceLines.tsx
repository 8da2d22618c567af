/** An invoice's lines as the screen and the printed invoice both show them. */
import type { ReactNode } from 'react';
import type { InvoiceLine } from '../../../shared/domain/collections';
import { money } from '../app/format';
import { DataTable } from './DataTable';

type InvoiceLinesProps = {
  lines: readonly InvoiceLine[];
  className?: string;
  priceHeader: string;
  /** The totals under the lines (on paper). */
  footer?: ReactNode;
};

export function InvoiceLines({ lines, className, priceHeader, footer }: InvoiceLinesProps) {
  return (
    <DataTable
      className={className}
      rows={lines}
      rowKey={(_, i) => i}
      footer={footer}
      columns={[
        { header: 'Description', cell: (l) => l.description },
        { header: 'Qty', numeric: true, cell: (l) => l.quantity },
        { header: priceHeader, numeric: true, cell: (l) => money(l.unitPriceCents) },
        { header: 'Amount', numeric: true, cell: (l) => money(l.quantity * l.unitPriceCents) },
      ]}
    />
  );
}
