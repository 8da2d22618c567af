/**
 * Rows and refusals put into words for notices, toasts and the Needs attention list: patients,
 * providers, items and times by name, never by id.
 */
import type { CollectionName } from '../../../shared/domain/collections';
import { labelOf } from '../../../shared/domain/plausibility';
import { dayKey, formatDate, money, shortDateTime, shortDay, timeOf } from '../app/format';
import type { ClinicData } from './clinicState';

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:\.{3}|…)?/gi;

/** A last guard: any id left in a server's or terminal's sentence becomes "a record". */
export function withoutIds(text: string): string {
  return text.replace(uuid, 'a record');
}

type Row = Record<string, unknown>;

/**
 * A patient as notices write them: "Leanne Deckow". Lists write "Deckow, Leanne"; the different
 * order keeps a notice from being taken for the list entry (by people and by getByText alike).
 */
export function personWords(p: { firstName: string; lastName: string }): string {
  return `${p.firstName} ${p.lastName}`;
}

export function patientWords(data: ClinicData, patientId: unknown): string | null {
  const p = typeof patientId === 'string' ? data.patients[patientId] : undefined;
  return p ? personWords(p) : null;
}

export function staffWords(data: ClinicData, userId: unknown): string | null {
  const u = typeof userId === 'string' ? data.users[userId] : undefined;
  return u ? u.displayName : null;
}

/** "Wed 02.12.2026 07:00–07:20" */
export function slotWords(start: unknown, end: unknown): string {
  if (typeof start !== 'string' || typeof end !== 'string') return '';
  return `${shortDay(dayKey(new Date(start)))} ${timeOf(start)}–${timeOf(end)}`;
}

/** The patient a row is about (directly, or through its invoice), when the reader's cache has them. */
export function patientOfRow(data: ClinicData, collection: CollectionName, row: Row | null | undefined): string | null {
  if (!row) return null;
  if (collection === 'patients') {
    return typeof row.lastName === 'string' && typeof row.firstName === 'string' ? personWords(row as { firstName: string; lastName: string }) : null;
  }
  if (collection === 'payments') {
    const invoice = typeof row.invoiceId === 'string' ? data.invoices[row.invoiceId] : undefined;
    return invoice ? patientWords(data, invoice.patientId) : null;
  }
  return patientWords(data, row.patientId);
}

/** What a row is, in words: "the booking of Leanne Deckow with Dr. Baker, Wed 02.12.2026 07:00–07:20". */
export function rowWords(data: ClinicData, collection: CollectionName, row: Row | null | undefined): string {
  const patient = patientOfRow(data, collection, row);
  const of = patient ? ` of ${patient}` : '';
  switch (collection) {
    case 'patients':
      return patient ? `patient ${patient}` : 'a patient';
    case 'appointments': {
      const provider = staffWords(data, row?.providerId);
      return `the booking${of}${provider ? ` with ${provider}` : ''}${row?.start ? `, ${slotWords(row.start, row.end)}` : ''}`;
    }
    case 'payments':
      return `a payment${typeof row?.amountCents === 'number' ? ` of ${money(row.amountCents)}` : ''}${patient ? ` on the invoice of ${patient}` : ''}`;
    case 'invoices':
      return `the invoice${of}`;
    case 'inventory': {
      const item = row && typeof row.name === 'string' ? row.name : null;
      return item ? `stock of ${item}` : 'an inventory item';
    }
    case 'referrals':
      return `the referral${of}`;
    case 'treatment-records':
      return `the treatment record${of}`;
    case 'users':
      return typeof row?.displayName === 'string' ? `staff member ${row.displayName}` : 'a staff member';
    case 'clinic-settings':
      return 'the clinic settings';
    case 'appointment-types':
      return typeof row?.name === 'string' ? `the appointment type ${row.name}` : 'an appointment type';
    case 'blocked-times':
      return `the blocked time${typeof row?.reason === 'string' ? ` "${row.reason}"` : ''}${typeof row?.start === 'string' ? `, ${slotWords(row.start, row.end)}` : ''}`;
    case 'recalls':
      return `the recall${of}`;
  }
}

/** Field problems as sentences naming each field by its label. */
export function problemWords(details: readonly { path: string; message: string }[]): string {
  return details
    .map((d) => {
      const label = labelOf(d.path.split('.')[0] ?? d.path);
      return d.message.startsWith(label) ? d.message : `${label}: ${d.message}`;
    })
    .join('; ');
}

/** Why the server refused a change, in words. */
export function refusalWords(
  data: ClinicData,
  refusal: { collection: CollectionName; code: number | null; error: string; details: readonly { path: string; message: string }[]; conflictsWith: Row | null; data: Row | null; before: Row | null },
): string {
  if (refusal.conflictsWith) {
    const other = refusal.conflictsWith;
    const wanted = { ...(refusal.before ?? {}), ...(refusal.data ?? {}) };
    const sameProvider = other.providerId === wanted.providerId;
    const holder = sameProvider ? (staffWords(data, other.providerId) ?? 'The provider') : `Room ${String(other.room)}`;
    const who = patientWords(data, other.patientId) ?? 'another patient';
    const when = typeof other.start === 'string' && typeof other.end === 'string' ? ` ${timeOf(other.start)}–${timeOf(other.end)}` : '';
    return `${holder} already has ${who}${when}`;
  }
  if (refusal.collection === 'payments' && refusal.details.some((d) => d.path === 'amountCents')) {
    const invoice = typeof refusal.data?.invoiceId === 'string' ? data.invoices[refusal.data.invoiceId] : undefined;
    const open = invoice ? Number(invoice.totalCents ?? 0) - Number(invoice.paidCents ?? 0) : null;
    return open === null ? 'Amount is more than the open balance' : `Amount is more than the open balance of ${money(open)}`;
  }
  if (refusal.details.length > 0) return problemWords(refusal.details);
  if (refusal.code === 404) return 'it was deleted on another terminal';
  if (refusal.code === 403) return 'your role may not make this change';
  return withoutIds(refusal.error);
}


/** A field's value as the conflict dialog shows it: names for references, the clinic's dates and money. */
export function valueWords(data: ClinicData, field: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (field === 'patientId') return patientWords(data, value) ?? 'a patient no longer on file';
  if (field === 'providerId' || field === 'updatedBy') return staffWords(data, value) ?? 'a former staff member';
  if (field === 'invoiceId' && typeof value === 'string') return rowWords(data, 'invoices', data.invoices[value]);
  if (field === 'appointmentId' && typeof value === 'string') return rowWords(data, 'appointments', data.appointments[value]);
  if (typeof value === 'number' && /Cents$/.test(field)) return money(value);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return formatDate(value);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) return shortDateTime(value);
  if (typeof value === 'string') return withoutIds(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return withoutIds(JSON.stringify(value));
}
