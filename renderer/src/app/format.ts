/** How the desk writes names, dates, times and money. Pure, so screens and tests agree. */
import type { Patient } from '../../../shared/domain/collections';

export function patientName(p: Pick<Patient, 'firstName' | 'lastName'>): string {
  return `${p.lastName}, ${p.firstName}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The local calendar day of a Date, as YYYY-MM-DD. */
export function dayKey(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return dayKey(new Date(y, m - 1, d + days));
}

export function dayStart(day: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d);
}

/** A datetime-local input's value (local wall time) for an instant. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  return `${dayKey(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An instant with this terminal's offset, from a datetime-local value; null when invalid. */
export function fromLocalInput(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  if (Number.isNaN(d.getTime())) return null;
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${dayKey(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export function timeOf(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function longDate(day: string): string {
  return dayStart(day).toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
}

/** `Thu 26 Nov`, for lists that span a few days. */
export function shortDay(day: string): string {
  return dayStart(day).toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short' });
}

export function shortDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toLocaleDateString('en-GB', { day: '2-digit', month: 'short', year: 'numeric' })} ${timeOf(iso)}`;
}

export function money(cents: number): string {
  return (cents / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** Parses "12.50" or "12,50" into cents; null when it is not an amount. */
export function parseMoney(text: string): number | null {
  const cleaned = text.trim().replace(',', '.');
  if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) return null;
  return Math.round(Number(cleaned) * 100);
}

export const statusLabels: Record<string, string> = {
  scheduled: 'Booked',
  confirmed: 'Confirmed',
  arrived: 'Arrived',
  in_progress: 'In treatment',
  completed: 'Completed',
  cancelled: 'Cancelled',
  no_show: 'No-show',
  draft: 'Draft',
  issued: 'Issued',
  paid: 'Paid',
  void: 'Void',
  sent: 'Sent',
  accepted: 'Accepted',
  due: 'Due',
  contacted: 'Contacted',
  booked: 'Booked',
  closed: 'Closed',
};
