/**
 * Values a field's type allows but a clinic never means: a birth date in the future, a phone that
 * is no phone number, a payment past the open balance, a booking outside the hours without a
 * stated override. The forms, the terminal (before it queues a change) and the server (before it
 * writes) run these same checks, and each problem names its field by the label the forms show.
 */
import { isPossiblePhoneNumber, type CountryCode } from 'libphonenumber-js';
import type { ClinicSettings, DayHours, WeeklyHours } from './clinicSettings';
import { regionOf } from './clinicSettings';

export interface FieldProblem {
  /** The field's name in the API (`dateOfBirth`). */
  path: string;
  /** A sentence that starts with the field's label (`Date of birth cannot be in the future`). */
  message: string;
}

/** The labels the forms give fields; messages name fields by these. */
export const fieldLabels: Record<string, string> = {
  firstName: 'First name',
  lastName: 'Last name',
  dateOfBirth: 'Date of birth',
  phone: 'Phone',
  email: 'Email',
  patientId: 'Patient',
  providerId: 'Provider',
  start: 'Start',
  end: 'End',
  room: 'Room',
  reason: 'Reason',
  hoursOverride: 'Hours override',
  amountCents: 'Amount',
  method: 'Method',
  invoiceId: 'Invoice',
  quantity: 'Quantity',
  delta: 'Quantity',
  date: 'Date',
};

export function labelOf(field: string): string {
  return fieldLabels[field] ?? field.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}

/** Oldest plausible age. */
export const maxAgeYears = 130;

/** `today` is the YYYY-MM-DD the check is made on. */
export function dateOfBirthProblem(dateOfBirth: string | null | undefined, today: string): string | null {
  if (!dateOfBirth) return null;
  if (dateOfBirth > today) return 'Date of birth cannot be in the future';
  const [y, m, d] = today.split('-');
  const oldest = `${String(Number(y) - maxAgeYears).padStart(4, '0')}-${m}-${d}`;
  if (dateOfBirth < oldest) return `Date of birth cannot be more than ${maxAgeYears} years ago`;
  return null;
}

/**
 * The latest calendar date anywhere on Earth (UTC+14): the server's "today" for birth dates, so a
 * baby born today at a desk east of the server is never refused.
 */
export function latestToday(now = Date.now()): string {
  return new Date(now + 14 * 3_600_000).toISOString().slice(0, 10);
}

const phoneCharacters = /^\+?[0-9 ()./-]+$/;

/**
 * Plausible: digits with the usual separators, 6 to 15 digits (E.164), and when it is written
 * internationally (+49 ...) a length libphonenumber-js accepts for that country. A national number
 * is checked against the clinic's country when its locale names one.
 */
export function phoneProblem(phone: string | null | undefined, clinicLocale?: string): string | null {
  const text = (phone ?? '').trim();
  if (text === '') return null;
  if (!phoneCharacters.test(text)) return 'Phone may only hold digits, spaces and + ( ) - . /';
  const digits = text.replace(/\D/g, '').length;
  if (digits < 6 || digits > 15) return 'Phone needs 6 to 15 digits';
  if (text.startsWith('+')) {
    if (!isPossiblePhoneNumber(text)) return 'Phone is not a possible number for its country code';
    return null;
  }
  const region = clinicLocale ? regionOf(clinicLocale) : null;
  if (region && !text.startsWith('00')) {
    try {
      if (!isPossiblePhoneNumber(text, region as CountryCode)) return `Phone is not a possible number in ${region}`;
    } catch {
      // libphonenumber-js knows no numbering plan for this region: the digit count above decides.
    }
  }
  return null;
}

/** A payment may cover at most what is still open on its invoice. */
export function paymentProblem(amountCents: number, openBalanceCents: number): string | null {
  if (amountCents > openBalanceCents) return 'Amount is more than the open balance';
  return null;
}

/** A refund hands back at most what the invoice has been paid. */
export function refundProblem(amountCents: number, paidCents: number): string | null {
  if (amountCents > paidCents) return 'Amount is more than what was paid';
  return null;
}

// ---------- opening and working hours ----------

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** Wall-clock day, weekday and minutes since midnight of an instant in a time zone. */
export function wallClock(iso: string, timeZone: string): { day: string; weekday: number; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { day: `${get('year')}-${get('month')}-${get('day')}`, weekday, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function within(hours: DayHours | null | undefined, from: number, to: number): boolean {
  return !!hours && from >= toMinutes(hours.open) && to <= toMinutes(hours.close);
}

function describeDay(hours: DayHours | null | undefined, weekday: number): string {
  return hours ? `${hours.open}–${hours.close} on ${weekdays[weekday]}s` : `closed on ${weekdays[weekday]}s`;
}

/**
 * Whether a booking lies within the clinic's opening hours and its provider's working hours (both
 * when set). The problem names Start; a stated override (`hoursOverride`) lets it through.
 */
export function hoursProblem(
  booking: { providerId: string; start: string; end: string; hoursOverride?: string | null },
  settings: Pick<ClinicSettings, 'timeZone' | 'openingHours' | 'providerHours'>,
  providerName = 'the provider',
): string | null {
  if ((booking.hoursOverride ?? '').trim() !== '') return null;
  const schedules: [WeeklyHours, string][] = [];
  if (settings.openingHours) schedules.push([settings.openingHours, 'the clinic is open']);
  const own = settings.providerHours[booking.providerId];
  if (own) schedules.push([own, `${providerName} works`]);
  if (schedules.length === 0) return null;
  const from = wallClock(booking.start, settings.timeZone);
  const to = wallClock(booking.end, settings.timeZone);
  // Ends at midnight count as the same day's 24:00.
  const endMinutes = to.day !== from.day && to.minutes === 0 && Date.parse(booking.end) - Date.parse(booking.start) <= 86_400_000 ? 1440 : to.minutes;
  const sameDay = to.day === from.day || endMinutes === 1440;
  for (const [week, who] of schedules) {
    const day = week[from.weekday];
    if (!sameDay || !within(day, from.minutes, endMinutes)) {
      return `Start is outside the hours ${who} (${describeDay(day, from.weekday)}); to book it anyway, say why in Hours override`;
    }
  }
  return null;
}

/**
 * The next start at or after `from` (an instant) where a booking of `lengthMs` fits the hours and
 * clashes with nothing `isFree` refuses; in steps of `stepMinutes`, up to `horizonDays` ahead.
 */
export function nextFreeStart(
  from: string,
  lengthMs: number,
  fits: (start: string, end: string) => boolean,
  stepMinutes = 5,
  horizonDays = 60,
): string | null {
  const step = stepMinutes * 60_000;
  let t = Math.ceil(Date.parse(from) / step) * step;
  const last = t + horizonDays * 86_400_000;
  for (; t <= last; t += step) {
    const start = new Date(t).toISOString();
    const end = new Date(t + lengthMs).toISOString();
    if (fits(start, end)) return start;
  }
  return null;
}

/**
 * The checks above for one row as it would be stored (`row`), limited to the fields a write
 * touches (`changed`), so an old row is not refused for an edit of something else.
 */
export function recordProblems(
  collection: string,
  row: Record<string, unknown>,
  changed: ReadonlySet<string>,
  context: { today: string; settings: ClinicSettings; providerName?: string },
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (path: string, message: string | null) => {
    if (message) problems.push({ path, message });
  };
  if (collection === 'patients') {
    if (changed.has('dateOfBirth')) add('dateOfBirth', dateOfBirthProblem(row.dateOfBirth as string | null, context.today));
    if (changed.has('phone')) add('phone', phoneProblem(row.phone as string, context.settings.locale));
  }
  if (collection === 'appointments' && ['start', 'end', 'providerId', 'hoursOverride'].some((f) => changed.has(f))) {
    const status = row.status as string | undefined;
    // A cancelled or missed visit holds no slot, so it needs no hours.
    if (status !== 'cancelled' && status !== 'no_show') {
      add(
        'start',
        hoursProblem(
          { providerId: String(row.providerId), start: String(row.start), end: String(row.end), hoursOverride: row.hoursOverride as string | undefined },
          context.settings,
          context.providerName,
        ),
      );
    }
  }
  return problems;
}
