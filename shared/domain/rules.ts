/**
 * Business rules that both the server (authoritative) and a terminal (optimistic, offline) apply.
 * Pure functions: no storage, no clock unless passed in.
 */
import type { Appointment, AppointmentStatus, InvoiceLine, InvoiceStatus } from './collections';

/** The appointment status flow. Staying in the same status is always allowed. */
export const appointmentTransitions: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  scheduled: ['arrived', 'cancelled', 'no_show'],
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
