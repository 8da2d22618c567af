/**
 * A table of clinic rows with typed columns: column headers carry scope="col", a row may name
 * itself with a row header, and a list with no rows says so in words. Every screen's table is
 * one of these, so they read alike to a screen reader.
 */
import type { ReactNode } from 'react';

export type Column<Row> = {
  header?: ReactNode;
  /** An actions column: its header is spoken, not shown. */
  headerHidden?: boolean;
  /** Amounts and counts: right-aligned, header and cells alike. */
  numeric?: boolean;
  /** The cell that names the row (`<th scope="row">`). */
  rowHeader?: boolean;
  /** Classes of the body cells (beside `num`). */
  cellClass?: string | ((row: Row) => string | undefined);
  cell: (row: Row, index: number) => ReactNode;
};

type DataTableProps<Row> = {
  rows: readonly Row[];
  rowKey: (row: Row, index: number) => string | number;
  /** `false` drops a column that does not apply here (a patient column on the patient's own page). */
  columns: readonly (Column<Row> | false)[];
  className?: string;
  labelledBy?: string;
  rowClass?: (row: Row) => string | undefined;
  /** The whole row opens the record; its link still serves the keyboard. */
  onRowClick?: (row: Row) => void;
  /** What an empty list says. */
  empty?: ReactNode;
  /** 'below': the headers stay and the words follow; 'instead': only the words. */
  emptyMode?: 'below' | 'instead';
  emptyClass?: string;
  /** Wraps the table (and the words below it) in a scrolling box of this class. */
  wrapClass?: string;
  /** Rendered inside the table after the rows: a tfoot or a totals body. */
  footer?: ReactNode;
};

const classes = (...names: (string | false | undefined)[]) => names.filter(Boolean).join(' ') || undefined;

export function DataTable<Row>({
  rows,
  rowKey,
  columns,
  className,
  labelledBy,
  rowClass,
  onRowClick,
  empty,
  emptyMode = 'below',
  emptyClass = 'empty',
  wrapClass,
  footer,
}: DataTableProps<Row>) {
  const shown = columns.filter((c): c is Column<Row> => c !== false);
  const emptyWords = rows.length === 0 && empty ? <p className={emptyClass}>{empty}</p> : null;
  if (emptyWords && emptyMode === 'instead') return emptyWords;
  const table = (
    <table className={className} aria-labelledby={labelledBy}>
      {shown.some((c) => c.header !== undefined) ? (
        <thead>
          <tr>
            {shown.map((c, i) => (
              <th key={i} scope="col" className={c.numeric ? 'num' : undefined}>
                {c.headerHidden ? <span className="sr-only">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
      ) : null}
      <tbody>
        {rows.map((row, r) => (
          <tr key={rowKey(row, r)} className={classes(rowClass?.(row), onRowClick && 'clickable')} onClick={onRowClick ? () => onRowClick(row) : undefined}>
            {shown.map((c, i) => {
              const className = classes(c.numeric && 'num', typeof c.cellClass === 'function' ? c.cellClass(row) : c.cellClass);
              return c.rowHeader ? (
                <th key={i} scope="row" className={className}>
                  {c.cell(row, r)}
                </th>
              ) : (
                <td key={i} className={className}>
                  {c.cell(row, r)}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
      {footer}
    </table>
  );
  if (!wrapClass) return emptyWords ? <>{table}{emptyWords}</> : table;
  return (
    <div className={wrapClass}>
      {table}
      {emptyWords}
    </div>
  );
}
