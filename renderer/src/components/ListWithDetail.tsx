/**
 * A list of records with the chosen one read beside it: a row (or its link, for the keyboard)
 * opens the record's own address, so the back button and a shared link both work.
 */
import type { ReactNode } from 'react';
import { href, navigate, type Screen } from '../app/route';
import { DataTable, type Column } from './DataTable';

type ListWithDetailProps<Row extends { id: string }> = {
  screen: Screen;
  rows: readonly Row[];
  selectedId: string | null;
  columns: readonly (Column<Row> | false)[];
  empty: string;
  /** The side panel's name for screen readers. */
  detailLabel: string;
  /** The chosen record, or null while none is. */
  detail: ReactNode;
  /** What the panel says while no record is chosen. */
  choose: string;
};

export function ListWithDetail<Row extends { id: string }>({ screen, rows, selectedId, columns, empty, detailLabel, detail, choose }: ListWithDetailProps<Row>) {
  return (
    <div className="split">
      <DataTable
        className="table"
        wrapClass="table-wrap"
        rows={rows}
        rowKey={(row) => row.id}
        rowClass={(row) => (row.id === selectedId ? 'is-selected' : undefined)}
        onRowClick={(row) => navigate(screen, row.id)}
        empty={empty}
        columns={columns}
      />
      <aside className="side-panel wide" aria-label={detailLabel}>
        {detail ?? <p className="muted">{choose}</p>}
      </aside>
    </div>
  );
}

/** The column whose link opens the row's record (keyboard users tab to it). */
export function recordLink<Row extends { id: string }>(screen: Screen, header: string, text: (row: Row) => string): Column<Row> {
  return { header, cell: (row) => <a href={href(screen, row.id)}>{text(row)}</a> };
}
