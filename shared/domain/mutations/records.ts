/**
 * The checks of a row as it would be stored, shared by create and update: plausible values,
 * references to live rows, and bookings that respect blocked time and never double-book.
 */
import { clinicSettingsId, effectiveClinicSettings, type ClinicSettings } from '../clinicSettings';
import type { AnyRow, BlockedTime, CollectionName } from '../collections';
import { recordProblems } from '../plausibility';
import { blockedMessage, blocksSlot, findBlock, findClash } from '../rules';
import { ask, type Rule, type RuleContext, type RuleRow } from './reads';
import { fieldRefusal, RuleRefusal } from './refusal';

type Slot = Parameters<typeof findClash>[0];

const mustBeDoctor = (u: AnyRow) => (u.role === 'doctor' ? null : `user ${String(u.username)} is not a doctor`);
const mustBeClinician = (u: AnyRow) =>
  u.role === 'doctor' || u.role === 'assistant' ? null : `user ${String(u.username)} is not a doctor or assistant`;

/** The row a mutation writes: there and not deleted. */
export function* liveRow(collection: CollectionName, id: string): Rule<RuleRow> {
  const stored = yield* ask('row', collection, id, true);
  if (!stored || stored.deleted) throw new RuleRefusal('not_found', `${collection} ${id} not found`);
  return stored;
}

/** A reference to another row must point at a live row (of the right kind). */
function* requireReference(
  ctx: RuleContext,
  field: string,
  collection: CollectionName,
  id: unknown,
  check?: (row: AnyRow) => string | null,
): Rule<void> {
  if (id === null || id === undefined) return;
  const found = yield* ask('row', collection, String(id), false);
  if (!found) {
    // A terminal may not have heard of the row yet: the server decides.
    if (ctx.authority === 'terminal') return;
    throw fieldRefusal('invalid', field, `no ${collection} row ${String(id)}`);
  }
  if (found.deleted) throw fieldRefusal('conflict', field, 'deleted', `${field}: ${collection} ${String(id)} was deleted`);
  const problem = check?.(found.row);
  if (problem) throw fieldRefusal('invalid', field, problem);
}

function* clinicSettings(): Rule<ClinicSettings> {
  const stored = yield* ask('row', 'clinic-settings', clinicSettingsId, false);
  return effectiveClinicSettings(stored && !stored.deleted ? (stored.row as Partial<ClinicSettings>) : null);
}

/** Values the field types allow but no clinic means (shared/domain/plausibility): 400, naming the fields. */
function* checkPlausible(ctx: RuleContext, collection: CollectionName, row: AnyRow, changed: ReadonlySet<string>): Rule<void> {
  if (collection !== 'patients' && collection !== 'appointments') return;
  const settings = yield* clinicSettings();
  let providerName: string | undefined;
  if (collection === 'appointments') {
    const provider = yield* ask('row', 'users', String(row.providerId), false);
    providerName = provider ? String(provider.row.displayName) : undefined;
  }
  const problems = recordProblems(collection, row, changed, { today: ctx.today, settings, ...(providerName ? { providerName } : {}) });
  if (problems.length > 0) throw new RuleRefusal('invalid', problems.map((p) => `${p.path}: ${p.message}`).join('; '), { details: problems });
}

function endsAfterStart(row: AnyRow, what: string): void {
  if (Date.parse(String(row.end)) <= Date.parse(String(row.start))) {
    throw fieldRefusal('invalid', 'end', 'must be after start', `end: ${what} must end after it starts`);
  }
}

/** Blocked time and double booking. */
function* checkBooking(row: AnyRow, touched: (...fields: string[]) => boolean, before?: AnyRow): Rule<void> {
  // Blocked time added after a booking does not stop its visit (checking in, starting it): only
  // a booking that is new, moved, or back in the book from cancelled or missed must respect it.
  const backInBook = touched('status') && before !== undefined && !blocksSlot(before as unknown as Slot);
  if (touched('start', 'end', 'providerId') || backInBook) {
    const blocks = (yield* ask('blockedTimes', { start: String(row.start), end: String(row.end), providerId: String(row.providerId) })) as unknown as BlockedTime[];
    const block = findBlock(row as unknown as Slot, blocks);
    if (block) throw fieldRefusal('conflict', 'start', 'falls in blocked time', blockedMessage(block));
  }
  if (touched('start', 'end', 'providerId', 'room', 'status')) {
    const room = String(row.room ?? '');
    const others = yield* ask('overlappingAppointments', {
      start: String(row.start),
      end: String(row.end),
      providerId: String(row.providerId),
      room,
      excludeId: row.id,
    });
    const clash = findClash(row as unknown as Slot, others as unknown as Slot[]) as unknown as AnyRow | undefined;
    if (clash) {
      const by = clash.providerId === row.providerId ? 'the same provider' : `room ${room}`;
      throw new RuleRefusal('conflict', `double booking: clashes with appointment ${clash.id} of ${by}`, { conflictsWith: clash });
    }
  }
}

/** `row` is the state after the write; `changed` the fields the write sets; `before` the row before an update. */
export function* checkRecord(ctx: RuleContext, collection: CollectionName, row: AnyRow, changed: ReadonlySet<string>, before?: AnyRow): Rule<void> {
  const touched = (...fields: string[]) => fields.some((f) => changed.has(f));
  yield* checkPlausible(ctx, collection, row, changed);
  switch (collection) {
    case 'appointments':
      if (touched('start', 'end')) endsAfterStart(row, 'an appointment');
      if (touched('patientId')) yield* requireReference(ctx, 'patientId', 'patients', row.patientId);
      if (touched('providerId')) yield* requireReference(ctx, 'providerId', 'users', row.providerId, mustBeDoctor);
      if (touched('typeId')) yield* requireReference(ctx, 'typeId', 'appointment-types', row.typeId);
      yield* checkBooking(row, touched, before);
      return;
    case 'treatment-records':
      if (touched('patientId')) yield* requireReference(ctx, 'patientId', 'patients', row.patientId);
      if (touched('providerId')) yield* requireReference(ctx, 'providerId', 'users', row.providerId, mustBeClinician);
      if (touched('appointmentId')) yield* requireReference(ctx, 'appointmentId', 'appointments', row.appointmentId);
      return;
    case 'invoices':
      if (touched('patientId')) yield* requireReference(ctx, 'patientId', 'patients', row.patientId);
      if (touched('appointmentId')) yield* requireReference(ctx, 'appointmentId', 'appointments', row.appointmentId);
      return;
    case 'referrals':
    case 'recalls':
      if (touched('patientId')) yield* requireReference(ctx, 'patientId', 'patients', row.patientId);
      if (collection === 'recalls' && touched('providerId')) yield* requireReference(ctx, 'providerId', 'users', row.providerId, mustBeDoctor);
      return;
    case 'blocked-times':
      if (touched('start', 'end')) endsAfterStart(row, 'blocked time');
      if (touched('providerId')) yield* requireReference(ctx, 'providerId', 'users', row.providerId, mustBeDoctor);
      return;
    default:
      return;
  }
}
