/**
 * Instant patient search over a hundred thousand rows: each row's searchable text is built once
 * per row object (a WeakMap), the register's orders are kept up to date per change, and a
 * keystroke that adds to the search looks only at what the previous one found.
 */
import type { Patient } from '../../../shared/domain/collections';
import { likelySamePatient } from '../../../shared/domain/rules';
import { clinicLocale, compareText, fold, formatDate } from '../app/format';
import type { RowsById } from './clinicState';
import { changedSince } from './rowsSlice';

/** letters: which of a-z the text holds, one bit each (see lettersOf). */
type Indexed = { row: Patient; text: string; letters: number; digits: string; sortKey: string; dateFormat: string };
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
      // Joined, not concatenated: join makes a flat string, where a concatenation is a rope that
      // the first search over 100,000 patients would have to flatten, one by one, on a keystroke.
      text: [`${last},`, first, first, last, dob, shown, fold(row.phone ?? '')].join(' '),
      letters: 0,
      digits: [(row.phone ?? '').replace(/\D/g, ''), dob.replace(/\D/g, ''), shown.replace(/\D/g, '')].join(' '),
      sortKey: `${last}\u0000${first}\u0000${dob}`,
      dateFormat,
    };
    entry.letters = lettersOf(entry.text);
    indexCache.set(row, entry);
  }
  return entry;
}

const byName = (a: Indexed, b: Indexed): number =>
  (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0) || compareText(a.row.lastName, b.row.lastName) || compareText(a.row.firstName, b.row.firstName);
/** Most recently changed first, then by name: the register without a search. */
const byRecent = (a: Indexed, b: Indexed): number => (a.row.updatedAt < b.row.updatedAt ? 1 : a.row.updatedAt > b.row.updatedAt ? -1 : 0) || byName(a, b);

/** One order of the register, as entries and as the rows the screens show, kept in step. */
type Ordered = { entries: Indexed[]; rows: Patient[] };

function ordered(entries: Indexed[], compare: (a: Indexed, b: Indexed) => number): Ordered {
  entries.sort(compare);
  return { entries, rows: entries.map((e) => e.row) };
}

/** The first position whose entry does not sort before `entry`. */
function lowerBound(list: Indexed[], entry: Indexed, compare: (a: Indexed, b: Indexed) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(list[mid]!, entry) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Takes `entry` out of an order; false when it is not there (the index is stale). */
function take(order: Ordered, entry: Indexed, compare: (a: Indexed, b: Indexed) => number): boolean {
  for (let i = lowerBound(order.entries, entry, compare); i < order.entries.length; i++) {
    if (order.entries[i] === entry) {
      order.entries.splice(i, 1);
      order.rows.splice(i, 1);
      return true;
    }
    if (compare(order.entries[i]!, entry) !== 0) return false;
  }
  return false;
}

function put(order: Ordered, entry: Indexed, compare: (a: Indexed, b: Indexed) => number): void {
  const at = lowerBound(order.entries, entry, compare);
  order.entries.splice(at, 0, entry);
  order.rows.splice(at, 0, entry.row);
}

/**
 * The register's two orders over one patients map. A new map made from the last one by a few
 * changes (rowsSlice.ts records which) costs a binary search and a splice in place per changed row:
 * with 100,000 patients a re-sort, or even a copy of the four arrays per change, took longer (and
 * left megabytes per change to the garbage collector) than the frame that shows a save. The arrays
 * are therefore the same from one change to the next, like the patients map's rows (rowsSlice.ts): an
 * array handed out reads the current order. `indexVersion` tells the orders of different changes apart.
 */
let indexFor: RowsById<'patients'> | null = null;
let indexLocale = '';
let indexVersion = 0;
let names: Ordered = { entries: [], rows: [] };
let recent: Ordered = { entries: [], rows: [] };
/** Above this many changed rows, sorting again is cheaper than splicing. */
const incrementalLimit = 2000;

function patientIndex(patients: RowsById<'patients'>): void {
  const locale = `${clinicLocale().locale}/${clinicLocale().dateFormat}`;
  if (indexFor === patients && indexLocale === locale) return;
  indexVersion++;
  const changed = indexFor !== null && indexLocale === locale ? changedSince(indexFor, patients) : null;
  if (changed !== null && changed.size <= incrementalLimit && updateIndex(patients, changed)) {
    indexFor = patients;
    return;
  }
  const entries = Object.values(patients).map(indexed);
  names = ordered(entries, byName);
  recent = ordered([...entries], byRecent);
  indexFor = patients;
  indexLocale = locale;
}

/** False when the orders did not hold a row they should have: then they are built again. */
function updateIndex(after: RowsById<'patients'>, changed: Map<string, unknown>): boolean {
  for (const [id, was] of changed) {
    const old = was as Patient | undefined;
    const now = after[id];
    if (old === now) continue;
    if (old) {
      const entry = indexed(old);
      if (!take(names, entry, byName) || !take(recent, entry, byRecent)) return false;
    }
    if (now) {
      const entry = indexed(now);
      put(names, entry, byName);
      put(recent, entry, byRecent);
    }
  }
  return true;
}

/**
 * Patients by last name, first name, accents folded ("Étienne" with the Es, "Özdemir" with the
 * Os); names whose folded keys are equal are ordered by the clinic's Intl.Collator. The array
 * is kept in order in place as patients change (read it before the next change, or ask again).
 */
export function sortedPatients(patients: RowsById<'patients'>): Indexed[] {
  patientIndex(patients);
  return names.entries;
}

/** The rows of sortedPatients, for lists. */
export function patientsByName(patients: RowsById<'patients'>): Patient[] {
  patientIndex(patients);
  return names.rows;
}

/**
 * The register without a search: most recently changed first (the patient just registered or
 * updated at any desk is at the top), then by name.
 */
export function recentlyChangedPatients(patients: RowsById<'patients'>): Patient[] {
  patientIndex(patients);
  return recent.rows;
}

/** How many patients the map holds, without walking its keys. */
export function patientCount(patients: RowsById<'patients'>): number {
  patientIndex(patients);
  return names.rows.length;
}

/**
 * Patients whose folded last and first names are these (a binary search in the A-Z order): the
 * namesakes a new registration is checked against, without walking every patient.
 */
export function patientsNamed(patients: RowsById<'patients'>, firstName: string, lastName: string): Patient[] {
  patientIndex(patients);
  const prefix = `${fold(lastName.trim())}\u0000${fold(firstName.trim())}\u0000`;
  const list = names.entries;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.sortKey < prefix) lo = mid + 1;
    else hi = mid;
  }
  const found: Patient[] = [];
  for (let i = lo; i < list.length && list[i]!.sortKey.startsWith(prefix); i++) found.push(list[i]!.row);
  return found;
}

/**
 * A patient on file who is likely the one being entered (same names, same birth date), other than
 * `ownId`: the patient being edited, or the id a new patient is saved under, so a patient just
 * saved is never its own duplicate. A found row is the store's own object (stable identity).
 */
export function namesakeOnFile(
  patients: RowsById<'patients'>,
  entered: { firstName: string; lastName: string; dateOfBirth: string | null },
  ownId: string | undefined,
): Patient | undefined {
  if (!entered.firstName.trim() || !entered.lastName.trim() || !entered.dateOfBirth) return undefined;
  return patientsNamed(patients, entered.firstName, entered.lastName).find((p) => p.id !== ownId && likelySamePatient(entered, p));
}

/**
 * The letters a-z in a folded text, one bit each. A text holds a word only if it holds each of
 * the word's letters, so one AND turns most patients down before any string search: the first
 * keystroke looks at every one of 100,000 patients.
 */
function lettersOf(text: string): number {
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const letter = text.charCodeAt(i) - 97;
    if (letter >= 0 && letter < 26) bits |= 1 << letter;
  }
  return bits;
}

/** A word of the search; `letters` as lettersOf (a word of digits has none, so its digit rule is never ruled out). */
type Matcher = { w: string; letters: number; digits: string | null };

function matchersOf(query: string): Matcher[] {
  return fold(query)
    .split(/[\s,]+/)
    .filter((w) => w !== '')
    .map((w) => {
      const digits = w.replace(/[\s\-/.()+]/g, '');
      return { w, letters: lettersOf(w), digits: /^\d+$/.test(digits) && digits.length >= 3 ? digits : null };
    });
}

/**
 * Whatever matches `next` also matches `previous` (each earlier word is inside a later one and
 * cannot have matched only through a looser digit rule): then typing on searches only the
 * previous keystroke's results.
 */
function narrows(previous: Matcher[], next: Matcher[]): boolean {
  return previous.every((m) => (m.digits !== null || /\p{L}/u.test(m.w)) && next.some((n) => n.w.includes(m.w)));
}

/** The last full search: a keystroke that adds to it looks only at what it found, while no patient changed. */
let lastSearch: { version: number; matchers: Matcher[]; found: Indexed[] } | null = null;

/** Every word of the query must match the name, date of birth or phone (digits ignore spacing). */
export function searchPatients(patients: RowsById<'patients'>, query: string, limit = Infinity): Patient[] {
  const all = sortedPatients(patients);
  const matchers = matchersOf(query);
  if (matchers.length === 0) return limit === Infinity ? names.rows : names.rows.slice(0, limit);
  const narrowing = limit === Infinity && lastSearch !== null && lastSearch.version === indexVersion && narrows(lastSearch.matchers, matchers);
  const pool = narrowing ? lastSearch!.found : all;
  const found: Indexed[] = [];
  const rows: Patient[] = [];
  // A plain loop over the words: the first keystroke looks at every one of 100,000 patients.
  for (let i = 0; i < pool.length && found.length < limit; i++) {
    const entry = pool[i]!;
    if (matchesAll(entry, matchers)) {
      found.push(entry);
      rows.push(entry.row);
    }
  }
  if (limit === Infinity) lastSearch = { version: indexVersion, matchers, found };
  return rows;
}

function matchesAll(entry: Indexed, matchers: Matcher[]): boolean {
  for (let m = 0; m < matchers.length; m++) {
    const { w, letters, digits } = matchers[m]!;
    if ((entry.letters & letters) !== letters) return false;
    if (!entry.text.includes(w) && (digits === null || !entry.digits.includes(digits))) return false;
  }
  return true;
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
