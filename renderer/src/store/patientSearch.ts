/**
 * Instant patient search over tens of thousands of rows: each row's searchable text is built
 * once per row object (a WeakMap), so a keystroke is one pass of substring checks.
 */
import type { Patient } from '../../../shared/domain/collections';
import { clinicLocale, compareText, fold, formatDate } from '../app/format';
import type { RowsById } from './rows';

type Indexed = { row: Patient; text: string; digits: string; sortKey: string; dateFormat: string };
const indexCache = new WeakMap<Patient, Indexed>();

function indexed(row: Patient): Indexed {
  const dateFormat = clinicLocale().dateFormat;
  let entry = indexCache.get(row);
  if (!entry || entry.dateFormat !== dateFormat) {
    const first = fold(row.firstName);
    const last = fold(row.lastName);
    const dob = row.dateOfBirth ?? '';
    // What the screens show (the clinic's date format) and ISO, so either finds the patient.
    const shown = formatDate(dob);
    entry = {
      row,
      text: `${last}, ${first} ${first} ${last} ${dob} ${shown} ${fold(row.phone ?? '')}`,
      digits: `${(row.phone ?? '').replace(/\D/g, '')} ${dob.replace(/\D/g, '')} ${shown.replace(/\D/g, '')}`,
      sortKey: `${last}\u0000${first}\u0000${dob}`,
      dateFormat,
    };
    indexCache.set(row, entry);
  }
  return entry;
}

let sortedFor: RowsById<'patients'> | null = null;
let sortedLocale = '';
let sorted: Indexed[] = [];

/**
 * Patients by last name, first name, accents folded ("Étienne" with the Es, "Özdemir" with the
 * Os); recomputed only when the patients map changes. The folded keys order 12,000 rows in a few
 * milliseconds; names whose folded keys are equal are ordered by the clinic's Intl.Collator.
 */
export function sortedPatients(patients: RowsById<'patients'>): Indexed[] {
  const locale = `${clinicLocale().locale}/${clinicLocale().dateFormat}`;
  if (sortedFor !== patients || sortedLocale !== locale) {
    sorted = Object.values(patients).map(indexed);
    sorted.sort(
      (a, b) =>
        (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0) ||
        compareText(a.row.lastName, b.row.lastName) ||
        compareText(a.row.firstName, b.row.firstName),
    );
    sortedFor = patients;
    sortedLocale = locale;
  }
  return sorted;
}

let recentFor: RowsById<'patients'> | null = null;
let recent: Patient[] = [];

/**
 * The register without a search: most recently changed first (the patient just registered or
 * updated at any desk is at the top), then by name.
 */
export function recentlyChangedPatients(patients: RowsById<'patients'>): Patient[] {
  if (recentFor !== patients || sortedFor !== patients) {
    recent = sortedPatients(patients).map((e) => e.row);
    // Stable sort: equal times keep the alphabetical order.
    recent.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
    recentFor = patients;
  }
  return recent;
}

/** Every word of the query must match the name, date of birth or phone (digits ignore spacing). */
export function searchPatients(patients: RowsById<'patients'>, query: string, limit = Infinity): Patient[] {
  const all = sortedPatients(patients);
  const words = fold(query).split(/[\s,]+/).filter((w) => w !== '');
  if (words.length === 0) return limit === Infinity ? all.map((e) => e.row) : all.slice(0, limit).map((e) => e.row);
  const matchers = words.map((w) => {
    const digits = w.replace(/[\s\-/.()+]/g, '');
    return /^\d+$/.test(digits) && digits.length >= 3 ? { w, digits } : { w, digits: null };
  });
  const found: Patient[] = [];
  for (const entry of all) {
    if (matchers.every((m) => entry.text.includes(m.w) || (m.digits !== null && entry.digits.includes(m.digits)))) {
      found.push(entry.row);
      if (found.length >= limit) break;
    }
  }
  return found;
}

const nameOf = (p: Patient) => `${p.lastName}, ${p.firstName}`;

/** How the Patient field lists a patient: the name, and the birth date to tell namesakes apart. */
export function optionText(p: Patient): string {
  return p.dateOfBirth ? `${nameOf(p)} · ${formatDate(p.dateOfBirth)}` : nameOf(p);
}

/** The patient a typed text stands for: an exact "Lastname, Firstname" (or option text), or the only match. */
export function resolvePatient(patients: RowsById<'patients'>, text: string): Patient | null {
  const wanted = fold(text.trim());
  if (wanted === '') return null;
  const matches = searchPatients(patients, text, 50);
  const exact = matches.filter((p) => fold(nameOf(p)) === wanted || fold(optionText(p)) === wanted);
  if (exact.length === 1) return exact[0] ?? null;
  return matches.length === 1 ? (matches[0] ?? null) : null;
}
