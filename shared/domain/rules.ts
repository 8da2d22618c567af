/**
 * Business rules that both the server (authoritative) and a terminal (optimistic, offline) apply.
 * Pure functions: no storage, no clock unless passed in.
 */
import type { Appointment, AppointmentStatus, BlockedTime, InvoiceLine, InvoiceStatus } from './collections';

/**
 * The appointment status flow: booked (`scheduled`) -> confirmed -> arrived -> in treatment
 * (`in_progress`) -> completed, with no-show and cancelled on the way. Confirming is optional (a
 * walk-in arrives straight from booked). Staying in the same status is always allowed.
 */
export const appointmentTransitions: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  scheduled: ['confirmed', 'arrived', 'cancelled', 'no_show'],
  confirmed: ['arrived', 'scheduled', 'cancelled', 'no_show'],
  arrived: ['in_progress', 'cancelled', 'scheduled'],
  in_progress: ['completed'],
  completed: [],
  cancelled: ['scheduled'],
  no_show: ['scheduled'],
};

export function canMoveAppointment(from: AppointmentStatus, to: AppointmentStatus): boolean {
  return from === to || appointmentTransitions[from].includes(to);
}

/** Appointments that block a slot: everything not cancelled or missed. */
export function blocksSlot(a: Pick<Appointment, 'status'>): boolean {
  return a.status !== 'cancelled' && a.status !== 'no_show';
}

/** Half-open intervals: one appointment may end exactly when the next starts. */
export function overlaps(a: { start: string; end: string }, b: { start: string; end: string }): boolean {
  return Date.parse(a.start) < Date.parse(b.end) && Date.parse(b.start) < Date.parse(a.end);
}

/** The first appointment among `others` that clashes with `candidate` by provider or room. */
export function findClash<T extends Pick<Appointment, 'id' | 'providerId' | 'room' | 'start' | 'end' | 'status'>>(
  candidate: Pick<Appointment, 'id' | 'providerId' | 'room' | 'start' | 'end' | 'status'>,
  others: Iterable<T>,
): T | undefined {
  if (!blocksSlot(candidate)) return undefined;
  for (const other of others) {
    if (other.id === candidate.id || !blocksSlot(other)) continue;
    const sameProvider = other.providerId === candidate.providerId;
    const sameRoom = candidate.room !== '' && other.room === candidate.room;
    if ((sameProvider || sameRoom) && overlaps(candidate, other)) return other;
  }
  return undefined;
}

/** Statuses whose booking may still be moved in the book (drag, keyboard, form). */
export function canReschedule(status: AppointmentStatus): boolean {
  return status === 'scheduled' || status === 'confirmed' || status === 'arrived';
}

/**
 * The blocked time a booking would fall into, if any: the provider's own blocks and the
 * clinic-wide ones (providerId null). Cancelled and missed bookings block nothing, so they pass.
 */
export function findBlock<T extends Pick<BlockedTime, 'providerId' | 'start' | 'end'>>(
  candidate: Pick<Appointment, 'providerId' | 'start' | 'end' | 'status'>,
  blocks: Iterable<T>,
): T | undefined {
  if (!blocksSlot(candidate)) return undefined;
  for (const block of blocks) {
    if ((block.providerId === null || block.providerId === candidate.providerId) && overlaps(candidate, block)) return block;
  }
  return undefined;
}

/**
 * What a refused booking in blocked time says, the same words on the terminal and the server.
 * `clock` writes an instant as the reader's time of day; by default the wall time it was written in.
 */
export function blockedMessage(
  block: Pick<BlockedTime, 'reason' | 'start' | 'end'>,
  clock: (iso: string) => string = (iso) => iso.slice(11, 16),
): string {
  return `This time is blocked: ${block.reason} (${clock(block.start)}–${clock(block.end)})`;
}

/** How a recurring booking repeats: every `everyWeeks` weeks, up to and including `until`. */
export interface Recurrence {
  everyWeeks: number;
  /** YYYY-MM-DD: the last day an occurrence may fall on. */
  until: string;
}

/** A series never books more than this many occurrences at once. */
export const maxOccurrences = 104;

/**
 * The calendar days (YYYY-MM-DD) of each occurrence of a recurring booking, the first one
 * included. Days, not instants: each occurrence keeps the first one's wall-clock time, and the
 * terminal gives each its own offset, so a series crossing a daylight-saving change stays at 09:00.
 */
export function occurrenceDays(firstDay: string, rule: Recurrence): string[] {
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  const start = Date.parse(`${firstDay}T00:00:00Z`);
  const last = Date.parse(`${rule.until}T00:00:00Z`);
  const step = Math.max(1, Math.trunc(rule.everyWeeks)) * 7 * 86_400_000;
  const out: string[] = [];
  for (let t = start; t <= last && out.length < maxOccurrences; t += step) out.push(day(t));
  return out;
}

/** What the invoice has been paid: its payments less its refunds. */
export function netPaid(entries: Iterable<{ amountCents: number; kind?: 'payment' | 'refund' }>): number {
  let sum = 0;
  for (const e of entries) sum += e.kind === 'refund' ? -e.amountCents : e.amountCents;
  return sum;
}

/** How an invoice number is printed: `INV-000042`, or null before the server numbered it. */
export function invoiceNumberLabel(number: number | null | undefined): string | null {
  return typeof number === 'number' ? `INV-${String(number).padStart(6, '0')}` : null;
}

export function invoiceTotal(lines: readonly InvoiceLine[]): number {
  return lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
}

/** An issued invoice whose payments cover its total is paid; one that no longer is, is issued again. */
export function settledStatus(status: InvoiceStatus, totalCents: number, paidCents: number): InvoiceStatus {
  if (status === 'void' || status === 'draft') return status;
  if (totalCents > 0 && paidCents >= totalCents) return 'paid';
  return status === 'paid' ? 'issued' : status;
}

export const invoiceTransitions: Record<InvoiceStatus, readonly InvoiceStatus[]> = {
  draft: ['issued', 'void'],
  issued: ['void', 'draft', 'paid'],
  paid: ['issued'],
  void: [],
};

export function lowStock(item: { quantity: number; reorderLevel: number }): boolean {
  return item.quantity <= item.reorderLevel;
}

/** Two patients are a likely duplicate when name and date of birth match, ignoring case and spaces. */
export function likelySamePatient(
  a: { firstName: string; lastName: string; dateOfBirth: string | null },
  b: { firstName: string; lastName: string; dateOfBirth: string | null },
): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');
  return (
    a.dateOfBirth !== null &&
    a.dateOfBirth === b.dateOfBirth &&
    norm(a.firstName) === norm(b.firstName) &&
    norm(a.lastName) === norm(b.lastName)
  );
}
