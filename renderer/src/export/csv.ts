/**
 * CSV export of what a screen lists: the same rows, in the same order, as the screen shows them.
 * papaparse writes the file (quoting, embedded commas and line breaks); a spreadsheet opens it as
 * UTF-8 thanks to the byte-order mark.
 */
import Papa from 'papaparse';

export type CsvColumn<T> = { header: string; value: (row: T) => string | number };

export function toCsv<T>(rows: readonly T[], columns: readonly CsvColumn<T>[]): string {
  return Papa.unparse({
    fields: columns.map((c) => c.header),
    data: rows.map((r) => columns.map((c) => c.value(r))),
  });
}

/** Hands the file to the browser's (or Electron's) download: a Save dialog or the downloads folder. */
export function downloadCsv(fileName: string, csv: string): void {
  const blob = new Blob(['\ufeff', csv], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exportCsv<T>(fileName: string, rows: readonly T[], columns: readonly CsvColumn<T>[]): void {
  downloadCsv(fileName, toCsv(rows, columns));
}
