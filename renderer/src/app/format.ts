/**
 * How the desk writes names, dates, times and money: always in the clinic's locale (the admin's
 * `clinic-settings`: language tag, date format, currency), whatever the browser's language. The
 * store sets the locale when the settings row arrives (setClinicLocale); the functions stay pure
 * given it, so screens and tests agree.
 */
import type { Patient } from '../../../shared/domain/collections';
import { effectiveClinicSettings, type ClinicSettings, type DateFormat } from '../../../shared/domain/clinicSettings';

let clinic: ClinicSettings = effectiveClinicSettings(null);
let formatters: ReturnType<typeof makeFormatters> | null = null;

function makeFormatters(s: ClinicSettings) {
  return {
    money: new Intl.NumberFormat(s.locale, { style: 'currency', currency: s.currency }),
    amount: new Intl.NumberFormat(s.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    count: new Intl.NumberFormat(s.locale),
    time: new Intl.DateTimeFormat(s.locale, { hour: '2-digit', minute: '2-digit' }),
    longDate: new Intl.DateTimeFormat(s.locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
    weekday: new Intl.DateTimeFormat(s.locale, { weekday: 'short' }),
    collator: new Intl.Collator(s.locale, { sensitivity: 'base', numeric: true }),
  };
}

function f() {
  formatters ??= makeFormatters(clinic);
  return formatters;
}

/** The clinic's locale settings now in force; returns whether they changed. */
export function setClinicLocale(next: Partial<ClinicSettings> | null | undefined): boolean {
  const settings = effectiveClinicSettings(next);
  const same = settings.locale === clinic.locale && settings.dateFormat === clinic.dateFormat && settings.currency === clinic.currency;
  clinic = settings;
  if (!same) formatters = null;
  return !same;
}

export function clinicLocale(): ClinicSettings {
  return clinic;
}

/** Intl's narrow and no-break spaces read as plain spaces (searchable, copyable, testable). */
const plainSpaces = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

/** Accent- and case-folded text for search: "Özdemir" -> "ozdemir". */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Compares names as the clinic's language sorts them, accents folded (Intl.Collator, base letters). */
export function compareText(a: string, b: string): number {
  return f().collator.compare(a, b);
}

// ---------- dates in the clinic's format ----------

const patterns: Record<DateFormat, { order: ('D' | 'M' | 'Y')[]; sep: string }> = {
  'YYYY-MM-DD': { order: ['Y', 'M', 'D'], sep: '-' },
  'DD.MM.YYYY': { order: ['D', 'M', 'Y'], sep: '.' },
  'DD/MM/YYYY': { order: ['D', 'M', 'Y'], sep: '/' },
  'MM/DD/YYYY': { order: ['M', 'D', 'Y'], sep: '/' },
};

/** The date format's pattern, shown as a placeholder and in messages (`DD.MM.YYYY`). */
export function datePattern(): string {
  return clinic.dateFormat;
}

/** A calendar day (YYYY-MM-DD) as the clinic writes it: 1969-04-11 -> 11.04.1969. */
export function formatDate(day: string | null | undefined): string {
  if (!day) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  const parts = { Y: m[1]!, M: m[2]!, D: m[3]! };
  const p = patterns[clinic.dateFormat];
  return p.order.map((k) => parts[k]).join(p.sep);
}

function existingDay(y: number, m: number, d: number): string | null {
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${pad(m)}-${pad(d)}`;
}

/** What a person typed, in the clinic's format (or ISO YYYY-MM-DD), as YYYY-MM-DD; null when it is no date. */
export function parseDate(text: string): string | null {
  const t = text.trim();
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (iso) return existingDay(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const p = patterns[clinic.dateFormat];
  const pieces = t.split(/[./-]/);
  if (pieces.length !== 3 || !pieces.every((x) => /^\d{1,4}$/.test(x))) return null;
  const at = (k: 'D' | 'M' | 'Y') => Number(pieces[p.order.indexOf(k)]);
  if (pieces[p.order.indexOf('Y')]!.length !== 4) return null;
  return existingDay(at('Y'), at('M'), at('D'));
}

/** A date-and-time field's text for an instant: the clinic's date and HH:MM, in this terminal's time. */
export function formatDateTimeInput(iso: string): string {
  const d = new Date(iso);
  return `${formatDate(dayKey(d))} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Typed "11.04.2027 09:30" (clinic format) or "2027-04-11T09:30" as an instant; null when it is none. */
export function parseDateTimeInput(text: string): string | null {
  const m = /^(.+?)[\sT]+(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const day = parseDate(m[1]!);
  if (!day || Number(m[2]) > 23) return null;
  return fromLocalInput(`${day}T${pad(Number(m[2]))}:${m[3]}`);
}

export function patientName(p: Pick<Patient, 'firstName' | 'lastName'>): string {
  return `${p.lastName}, ${p.firstName}`;
}

/** A row's patient as the lists show them; a row can outlive its patient on this terminal. */
export function patientNameOrUnknown(p: Pick<Patient, 'firstName' | 'lastName'> | undefined): string {
  return p ? patientName(p) : 'Unknown patient';
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
  return f().time.format(new Date(iso));
}

export function longDate(day: string): string {
  return f().longDate.format(dayStart(day));
}

/** `Thu 26.11.2026`, for lists that span a few days. */
export function shortDay(day: string): string {
  return `${f().weekday.format(dayStart(day))} ${formatDate(day)}`;
}

export function shortDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${formatDate(dayKey(d))} ${timeOf(iso)}`;
}

/** An amount with the clinic's currency: 123450 -> "1.234,50 €" (de-DE, EUR). */
export function money(cents: number): string {
  return plainSpaces(f().money.format(cents / 100));
}

/** An amount for an input box, without the currency: "1.234,50". */
export function amountText(cents: number): string {
  return plainSpaces(f().amount.format(cents / 100));
}

export function count(n: number): string {
  return plainSpaces(f().count.format(n));
}

/**
 * Parses an amount as people type it: "1.234,50", "1,234.50", "12,50", "12.50", "1234" (a
 * currency sign or spaces are ignored). The last "." or "," followed by one or two digits is the
 * decimal mark; other dots, commas and spaces group thousands. Null when it is not an amount.
 */
export function parseMoney(text: string): number | null {
  const cleaned = text.trim().replace(/[\s\u00a0\u202f]/g, '').replace(/[^\d.,-]/g, '');
  if (cleaned === '' || cleaned.startsWith('-')) return null;
  const m = /^([\d.,]*?)(?:[.,](\d{1,2}))?$/.exec(cleaned);
  if (!m) return null;
  const whole = m[1]!;
  if (!/^\d{1,3}([.,]?\d{3})*$|^\d+$/.test(whole)) return null;
  const units = Number(whole.replace(/[.,]/g, ''));
  const fraction = m[2] === undefined ? 0 : Number(m[2].padEnd(2, '0'));
  const cents = units * 100 + fraction;
  return Number.isSafeInteger(cents) ? cents : null;
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
