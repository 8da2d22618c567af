/** A plain list of clinic rows, one line each, or the words that say there are none. */
import type { ReactNode } from 'react';

type RowListProps<Row> = {
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  children: (row: Row) => ReactNode;
  empty: ReactNode;
  rowClass?: (row: Row) => string | undefined;
};

export function RowList<Row>({ rows, rowKey, children, empty, rowClass }: RowListProps<Row>) {
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="plain-list">
      {rows.map((row) => (
        <li key={rowKey(row)} className={rowClass?.(row)}>
          {children(row)}
        </li>
      ))}
    </ul>
  );
}
