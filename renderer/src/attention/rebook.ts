/** The next free slot for a refused booking: same provider, room and length, within the hours, clashing with nothing. */
import type { Appointment } from '../../../shared/domain/collections';
import type { ClinicSettings } from '../../../shared/domain/clinicSettings';
import { hoursProblem, nextFreeStart } from '../../../shared/domain/plausibility';
import { findClash } from '../../../shared/domain/rules';

export type Wanted = { id?: string; providerId: string; room?: string; start: string; end: string; hoursOverride?: string };

export function nextFreeSlot(
  wanted: Wanted,
  appointments: Iterable<Appointment>,
  settings: ClinicSettings,
  now = Date.now(),
): { start: string; end: string } | null {
  const length = Date.parse(wanted.end) - Date.parse(wanted.start);
  if (!(length > 0)) return null;
  const room = wanted.room ?? '';
  // Only the bookings that could clash: the same provider or the same room.
  const relevant = [...appointments].filter((a) => a.id !== wanted.id && (a.providerId === wanted.providerId || (room !== '' && a.room === room)));
  const from = new Date(Math.max(Date.parse(wanted.start), now)).toISOString();
  const fits = (start: string, end: string) =>
    !findClash({ id: wanted.id ?? '', providerId: wanted.providerId, room, start, end, status: 'scheduled' }, relevant) &&
    hoursProblem({ providerId: wanted.providerId, start, end, hoursOverride: wanted.hoursOverride ?? '' }, settings) === null;
  const start = nextFreeStart(from, length, fits);
  return start ? { start, end: new Date(Date.parse(start) + length).toISOString() } : null;
}
