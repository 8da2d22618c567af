/**
 * The clinic's own settings, set by an admin and synced to every terminal as the one row of the
 * `clinic-settings` collection: the locale every date, time and amount is shown and typed in,
 * the opening hours and each provider's working hours. Pure: no Node, no DOM (Intl is ECMAScript).
 */
import { z } from 'zod';

/** The one settings row has this id on every server, so terminals and admins never create a second. */
export const clinicSettingsId = '00000000-0000-4000-8000-00000000c11c';

/** Date formats a clinic may choose; inputs and screens use the same one. */
export const dateFormats = ['YYYY-MM-DD', 'DD.MM.YYYY', 'DD/MM/YYYY', 'MM/DD/YYYY'] as const;
export type DateFormat = (typeof dateFormats)[number];

const languageTag = z
  .string()
  .trim()
  .min(2)
  .max(35)
  .refine((tag) => {
    try {
      return Intl.getCanonicalLocales(tag).length === 1;
    } catch {
      return false;
    }
  }, 'not a language tag (for example de-DE or en-GB)');

const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'a three-letter currency code (for example EUR)')
  .refine((code) => {
    try {
      new Intl.NumberFormat('en', { style: 'currency', currency: code });
      return true;
    } catch {
      return false;
    }
  }, 'not a currency code');

const timeZoneName = z
  .string()
  .min(1)
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'not a time zone (for example Europe/Berlin)');

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time HH:MM');

/** One day's hours: open and close as wall-clock HH:MM in the clinic's time zone; null: closed. */
export const dayHours = z
  .strictObject({ open: clockTime, close: clockTime })
  .refine((h) => h.open < h.close, { message: 'must close after it opens', path: ['close'] });
export type DayHours = z.infer<typeof dayHours>;

/** Sunday first, as Date.getDay() counts. */
export const weeklyHours = z.array(dayHours.nullable()).length(7);
export type WeeklyHours = z.infer<typeof weeklyHours>;

export const clinicSettingsFields = {
  /** BCP 47 language tag: number and month names, and the collation of names. */
  locale: languageTag,
  dateFormat: z.enum(dateFormats),
  currency: currencyCode,
  /** The zone opening hours are read in. */
  timeZone: timeZoneName,
  /** Null: no opening hours set, every time may be booked. */
  openingHours: weeklyHours.nullable(),
  /** Working hours of providers who work other hours than the clinic is open, by user id. */
  providerHours: z.record(z.uuid(), weeklyHours).refine((r) => Object.keys(r).length <= 500, 'too many providers'),
};

export const clinicSettingsDefaults = {
  locale: 'en-GB',
  dateFormat: 'YYYY-MM-DD',
  currency: 'EUR',
  timeZone: 'UTC',
  openingHours: null,
  providerHours: {},
} as const;

export type ClinicSettings = {
  locale: string;
  dateFormat: DateFormat;
  currency: string;
  timeZone: string;
  openingHours: WeeklyHours | null;
  providerHours: Record<string, WeeklyHours>;
};

/** The settings a terminal or server works with: the stored row's fields over the defaults. */
export function effectiveClinicSettings(row: Partial<ClinicSettings> | null | undefined): ClinicSettings {
  return {
    locale: row?.locale ?? clinicSettingsDefaults.locale,
    dateFormat: row?.dateFormat ?? clinicSettingsDefaults.dateFormat,
    currency: row?.currency ?? clinicSettingsDefaults.currency,
    timeZone: row?.timeZone ?? clinicSettingsDefaults.timeZone,
    openingHours: row?.openingHours ?? null,
    providerHours: row?.providerHours ?? {},
  };
}

/** The region of a language tag (de-DE -> DE), for reading national phone numbers; null when it has none. */
export function regionOf(locale: string): string | null {
  try {
    return new Intl.Locale(locale).maximize().region ?? null;
  } catch {
    return null;
  }
}
