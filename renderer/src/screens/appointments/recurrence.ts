/**
 * A recurring booking, as the form books it: each occurrence its own appointment (same wall-clock
 * time, this terminal's offset for its day), all sharing a series id, so sync and conflicts stay
 * per occurrence and one can be moved or cancelled alone.
 */
import type { Appointment, BlockedTime } from '../../../../shared/domain/collections';
import { findBlock, findClash, occurrenceDays, type Recurrence } from '../../../../shared/domain/rules';
import { dayKey, fromLocalInput, timeOf, toLocalInput } from '../../app/format';

export type Occurrence = { start: string; end: string };

/** The occurrences of a booking that starts at `start` and ends at `end`, repeated by `rule`. */
export function seriesOccurrences(start: string, end: string, rule: Recurrence): Occurrence[] {
  const wall = toLocalInput(start).slice(11);
  const length = Date.parse(end) - Date.parse(start);
  return occurrenceDays(dayKey(new Date(start)), rule).flatMap((day) => {
    const s = fromLocalInput(`${day}T${wall}`);
    return s ? [{ start: s, end: new Date(Date.parse(s) + length).toISOString() }] : [];
  });
}

/** Why occurrences cannot be booked (a clash or blocked time), one line each; empty when all fit. */
export function seriesProblems(
  occurrences: Occurrence[],
  slot: { providerId: string; room: string },
  appointments: Appointment[],
  blocks: BlockedTime[],
): string[] {
  const problems: string[] = [];
  for (const o of occurrences) {
    const candidate = { id: '', providerId: slot.providerId, room: slot.room, start: o.start, end: o.end, status: 'scheduled' as const };
    const block = findBlock(candidate, blocks);
    const clash = block ? undefined : findClash(candidate, appointments);
    if (block) problems.push(`${dayKey(new Date(o.start))}: blocked (${block.reason}, ${timeOf(block.start)}–${timeOf(block.end)})`);
    else if (clash) problems.push(`${dayKey(new Date(o.start))}: already booked ${timeOf(clash.start)}–${timeOf(clash.end)}`);
  }
  return problems;
}
