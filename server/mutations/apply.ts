/**
 * The one path every write takes (REST and sync push alike): role checks, validation, field-level
 * merge, the appointment status flow and double booking, invoice totals, payments settling
 * invoices, commuting stock adjustments. Talks only to WriteTx, so every store reuses it unchanged.
 */
import {
  adjustInput,
  collections,
  type AnyRow,
  type AppointmentStatus,
  type BlockedTime,
  type CollectionName,
  type InvoiceLine,
  type InvoiceStatus,
} from '../../shared/domain/collections';
import { canDelete, canWrite, hiddenFields } from '../../shared/domain/access';
import {
  blockedMessage,
  blocksSlot,
  canMoveAppointment,
  findBlock,
  findClash,
  invoiceTotal,
  netPaid,
  invoiceTransitions,
  lowStock,
  settledStatus,
} from '../../shared/domain/rules';
import type { MutationOp } from '../../shared/sync/protocol';
import { clinicSettingsId, effectiveClinicSettings, type ClinicSettings } from '../../shared/domain/clinicSettings';
import { latestToday, paymentProblem, recordProblems, refundProblem } from '../../shared/domain/plausibility';
import type { Actor, StoredRow, WriteTx } from '../store/types';
import { invalid, MutationRefused } from './refusal';

const maxStock = 10_000_000;

export interface MutationInput {
  collection: CollectionName;
  op: MutationOp;
  id: string;
  baseVersion?: number | null;
  data?: Record<string, unknown>;
}

export interface ApplyOptions {
  /** Sync: deleting a row that is already gone is what the terminal wanted, so it is applied. */
  tombstoneDeleteIsApplied?: boolean;
}

export interface Applied {
  /** The row after the write (full, unredacted); null for a delete. */
  row: AnyRow | null;
  /** What the audit log says about it. */
  detail: string;
}

/** Apply one mutation inside `tx`. Throws MutationRefused (the caller's transaction then rolls back). */
export async function applyMutation(tx: WriteTx, actor: Actor, m: MutationInput, options: ApplyOptions = {}): Promise<Applied> {
  const now = new Date().toISOString();
  switch (m.op) {
    case 'create':
      return createRow(tx, actor, m, now);
    case 'update':
      return updateRow(tx, actor, m, now);
    case 'delete':
      return deleteRow(tx, actor, m, now, options);
    case 'adjust':
      return adjustStock(tx, actor, m, now);
  }
}

function forbidden(message: string): MutationRefused {
  return new MutationRefused(403, message);
}

function refuseHiddenFields(actor: Actor, collection: CollectionName, data: Record<string, unknown>): void {
  const hidden = hiddenFields(actor.role, collection).filter((f) => f in data);
  if (hidden.length > 0) throw forbidden(`a ${actor.role} may not write ${hidden.join(', ')}`);
}

async function liveRow(tx: WriteTx, collection: CollectionName, id: string): Promise<StoredRow> {
  const row = await tx.getRow(collection, id);
  if (!row || row.deleted) throw new MutationRefused(404, `${collection} ${id} not found`);
  return row;
}

/** A reference to another row must point at a live row (of the right kind). */
async function requireReference(
  tx: WriteTx,
  field: string,
  collection: CollectionName,
  id: string | null | undefined,
  check?: (row: AnyRow) => string | null,
): Promise<void> {
  if (id === null || id === undefined) return;
  const row = await tx.getRow(collection, id);
  if (!row) throw new MutationRefused(400, `${field}: no ${collection} row ${id}`, { details: [{ path: field, message: `no ${collection} row ${id}` }] });
  if (row.deleted) throw new MutationRefused(409, `${field}: ${collection} ${id} was deleted`, { details: [{ path: field, message: 'deleted' }] });
  const problem = check?.(row.row);
  if (problem) throw new MutationRefused(400, `${field}: ${problem}`, { details: [{ path: field, message: problem }] });
}

const mustBeDoctor = (u: AnyRow) => (u.role === 'doctor' ? null : `user ${String(u.username)} is not a doctor`);
const mustBeClinician = (u: AnyRow) =>
  u.role === 'doctor' || u.role === 'assistant' ? null : `user ${String(u.username)} is not a doctor or assistant`;

async function clinicSettings(tx: WriteTx): Promise<ClinicSettings> {
  const stored = await tx.getRow('clinic-settings', clinicSettingsId);
  return effectiveClinicSettings(stored && !stored.deleted ? (stored.row as Partial<ClinicSettings>) : null);
}

/** Values the field types allow but no clinic means (shared/domain/plausibility): 400, naming the fields. */
async function checkPlausible(tx: WriteTx, collection: CollectionName, row: AnyRow, changed: Set<string>): Promise<void> {
  if (collection !== 'patients' && collection !== 'appointments') return;
  const settings = await clinicSettings(tx);
  let providerName: string | undefined;
  if (collection === 'appointments') {
    const provider = await tx.getRow('users', String(row.providerId));
    providerName = provider ? String(provider.row.displayName) : undefined;
  }
  const problems = recordProblems(collection, row, changed, { today: latestToday(), settings, ...(providerName ? { providerName } : {}) });
  if (problems.length > 0) {
    throw new MutationRefused(400, problems.map((p) => `${p.path}: ${p.message}`).join('; '), { details: problems });
  }
}

/** Cross-field and reference checks shared by create and update; `row` is the state after the write. */
async function checkRow(tx: WriteTx, collection: CollectionName, row: AnyRow, changed: Set<string>, before?: AnyRow): Promise<void> {
  const touched = (...fields: string[]) => fields.some((f) => changed.has(f));
  await checkPlausible(tx, collection, row, changed);
  switch (collection) {
    case 'appointments': {
      if (touched('start', 'end') && Date.parse(String(row.end)) <= Date.parse(String(row.start))) {
        throw new MutationRefused(400, 'end: an appointment must end after it starts', {
          details: [{ path: 'end', message: 'must be after start' }],
        });
      }
      if (touched('patientId')) await requireReference(tx, 'patientId', 'patients', row.patientId as string);
      if (touched('providerId')) await requireReference(tx, 'providerId', 'users', row.providerId as string, mustBeDoctor);
      if (touched('typeId')) await requireReference(tx, 'typeId', 'appointment-types', row.typeId as string | null);
      // Blocked time added after a booking does not stop its visit (checking in, starting it): only
      // a booking that is new, moved, or back in the book from cancelled or missed must respect it.
      const backInBook = touched('status') && before !== undefined && !blocksSlot(before as unknown as Parameters<typeof blocksSlot>[0]);
      if (touched('start', 'end', 'providerId') || backInBook) {
        type Candidate = Parameters<typeof findBlock>[0];
        const blocks = (await tx.findBlockedTimes({ start: String(row.start), end: String(row.end), providerId: String(row.providerId) })) as unknown as BlockedTime[];
        const block = findBlock(row as unknown as Candidate, blocks);
        if (block) {
          throw new MutationRefused(409, blockedMessage(block), { details: [{ path: 'start', message: 'falls in blocked time' }] });
        }
      }
      if (touched('start', 'end', 'providerId', 'room', 'status')) {
        const room = String(row.room ?? '');
        const keys = [`slot:provider:${String(row.providerId)}`];
        if (room !== '') keys.push(`slot:room:${room}`);
        await tx.lock(keys);
        const others = await tx.findOverlappingAppointments({
          start: String(row.start),
          end: String(row.end),
          providerId: String(row.providerId),
          room,
          excludeId: row.id,
        });
        type Slot = Parameters<typeof findClash>[0];
        const clash = findClash(row as unknown as Slot, others as unknown as Slot[]) as unknown as AnyRow | undefined;
        if (clash) {
          const by = clash.providerId === row.providerId ? 'the same provider' : `room ${room}`;
          throw new MutationRefused(409, `double booking: overlaps appointment ${clash.id} of ${by}`, {
            conflictsWith: clash,
          });
        }
      }
      return;
    }
    case 'treatment-records':
      if (touched('patientId')) await requireReference(tx, 'patientId', 'patients', row.patientId as string);
      if (touched('providerId')) await requireReference(tx, 'providerId', 'users', row.providerId as string, mustBeClinician);
      if (touched('appointmentId')) await requireReference(tx, 'appointmentId', 'appointments', row.appointmentId as string | null);
      return;
    case 'invoices':
      if (touched('patientId')) await requireReference(tx, 'patientId', 'patients', row.patientId as string);
      if (touched('appointmentId')) await requireReference(tx, 'appointmentId', 'appointments', row.appointmentId as string | null);
      return;
    case 'referrals':
    case 'recalls':
      if (touched('patientId')) await requireReference(tx, 'patientId', 'patients', row.patientId as string);
      if (collection === 'recalls' && touched('providerId')) await requireReference(tx, 'providerId', 'users', row.providerId as string | null, mustBeDoctor);
      return;
    case 'blocked-times':
      if (touched('start', 'end') && Date.parse(String(row.end)) <= Date.parse(String(row.start))) {
        throw new MutationRefused(400, 'end: blocked time must end after it starts', { details: [{ path: 'end', message: 'must be after start' }] });
      }
      if (touched('providerId')) await requireReference(tx, 'providerId', 'users', row.providerId as string | null, mustBeDoctor);
      return;
    default:
      return;
  }
}

async function createRow(tx: WriteTx, actor: Actor, m: MutationInput, now: string): Promise<Applied> {
  const c = m.collection;
  if (!canWrite(actor.role, c)) throw forbidden(`a ${actor.role} may not create ${c}`);
  const data = m.data ?? {};
  refuseHiddenFields(actor, c, data);
  const parsed = collections[c].create.safeParse(data);
  if (!parsed.success) throw invalid(parsed.error);
  const input = parsed.data as Record<string, unknown>;
  if (input.id !== undefined && input.id !== m.id) {
    throw new MutationRefused(400, 'id: differs from the mutation id', { details: [{ path: 'id', message: 'differs from the row id' }] });
  }
  if (c === 'clinic-settings' && m.id !== clinicSettingsId) {
    throw new MutationRefused(400, `id: the clinic settings row is ${clinicSettingsId}`, { details: [{ path: 'id', message: `must be ${clinicSettingsId}` }] });
  }
  await tx.lock([`row:${c}:${m.id}`]);
  if (await tx.getRow(c, m.id)) throw new MutationRefused(409, `${c} ${m.id} already exists`);

  const fields: Record<string, unknown> = { ...collections[c].defaults, ...input };
  delete fields.id;
  if (c === 'users') {
    const clash = await tx.findUserByUsername(String(fields.username));
    if (clash) throw new MutationRefused(409, `username ${String(fields.username)} is taken`, { details: [{ path: 'username', message: 'taken' }] });
  }
  const row: AnyRow = { id: m.id, ...fields, version: 1, updatedAt: now, updatedBy: actor.id };
  const extra: string[] = [];

  if (c === 'invoices') {
    row.totalCents = invoiceTotal(row.lines as InvoiceLine[]);
    row.paidCents = 0;
    if (row.status === 'paid') throw new MutationRefused(409, 'status: an invoice becomes paid through payments');
    row.number = row.status === 'issued' ? await nextInvoiceNumber(tx) : null;
  }
  if (c === 'inventory') row.lowStock = lowStock({ quantity: Number(row.quantity), reorderLevel: Number(row.reorderLevel) });
  if (c === 'payments') {
    await settleInvoiceForPayment(tx, actor, String(row.invoiceId), Number(row.amountCents), row.kind === 'refund', now);
    extra.push(`invoice ${String(row.invoiceId)}`);
  }
  await checkRow(tx, c, row, new Set(Object.keys(fields)));

  const fieldVersions = Object.fromEntries(Object.keys(fields).map((f) => [f, 1]));
  await tx.putRow({ collection: c, id: m.id, version: 1, deleted: false, row, fieldVersions });
  await tx.appendChange({ collection: c, id: m.id, version: 1, op: 'upsert' });
  const paymentDetail = `${row.kind === 'refund' ? 'refund of ' : ''}${String(row.amountCents)} cents on ${extra.join('')}`;
  return { row, detail: c === 'payments' ? paymentDetail : c === 'invoices' && row.number ? `created, number ${String(row.number)}` : 'created' };
}

/**
 * Invoice numbers run without gaps per clinic: the server gives the next one, under a lock, in
 * the transaction that first issues an invoice, so offline terminals never invent or skip one.
 * A number, once given, stays with its invoice (voided or sent back to draft included).
 */
const invoiceCounter = 'invoice-number';
async function nextInvoiceNumber(tx: WriteTx): Promise<number> {
  await tx.lock([`counter:${invoiceCounter}`]);
  const next = Number((await tx.getSetting(invoiceCounter)) ?? '0') + 1;
  await tx.setSetting(invoiceCounter, String(next));
  return next;
}

/**
 * A new payment: the invoice must be issued and the payment within its balance. A refund is its
 * own entry, taken off what was paid: on an issued, paid or void invoice, up to what was paid.
 */
async function settleInvoiceForPayment(tx: WriteTx, actor: Actor, invoiceId: string, amountCents: number, refund: boolean, now: string): Promise<void> {
  await tx.lock([`row:invoices:${invoiceId}`]);
  const stored = await tx.getRow('invoices', invoiceId);
  if (!stored) throw new MutationRefused(400, `invoiceId: no invoice ${invoiceId}`, { details: [{ path: 'invoiceId', message: 'no such invoice' }] });
  if (stored.deleted) throw new MutationRefused(409, `invoice ${invoiceId} was deleted`);
  const inv = stored.row;
  const status = inv.status as InvoiceStatus;
  if (refund) {
    const paid = await sumOfPayments(tx, invoiceId);
    if (status === 'draft') throw new MutationRefused(409, 'a draft invoice has nothing to refund', { current: inv });
    const problem = refundProblem(amountCents, paid);
    if (problem) {
      // Past what the field allows for this invoice: 400 naming the field, as for a payment.
      throw new MutationRefused(400, `amountCents: a refund of ${amountCents} exceeds the ${paid} cents paid`, {
        current: inv,
        details: [{ path: 'amountCents', message: `${problem} (${paid} cents)` }],
      });
    }
    await rewriteInvoicePaid(tx, actor, stored, paid - amountCents, now);
    return;
  }
  if (status !== 'issued') {
    throw new MutationRefused(409, `invoice is ${status}: payments are taken on issued invoices only`, { current: inv });
  }
  const total = Number(inv.totalCents);
  const paid = await sumOfPayments(tx, invoiceId);
  const problem = paymentProblem(amountCents, total - paid);
  if (problem) {
    // A value past what the field allows for this invoice: 400 (api-contract "Rules"), naming the field.
    throw new MutationRefused(400, `amountCents: ${amountCents} exceeds the open balance of ${total - paid} cents`, {
      current: inv,
      details: [{ path: 'amountCents', message: `${problem} (${total - paid} cents)` }],
    });
  }
  await rewriteInvoicePaid(tx, actor, stored, paid + amountCents, now);
}

/** paidCents is derived: the sum of the invoice's live payments (optionally leaving one out). */
async function sumOfPayments(tx: WriteTx, invoiceId: string, exceptPaymentId?: string): Promise<number> {
  const payments = await tx.listPaymentsOfInvoice(invoiceId);
  return netPaid(
    payments
      .filter((p) => p.id !== exceptPaymentId)
      .map((p) => ({ amountCents: Number(p.amountCents), kind: p.kind === 'refund' ? ('refund' as const) : ('payment' as const) })),
  );
}

async function rewriteInvoicePaid(tx: WriteTx, actor: Actor, stored: StoredRow, paidCents: number, now: string): Promise<void> {
  const inv = stored.row;
  const version = stored.version + 1;
  const status = settledStatus(inv.status as InvoiceStatus, Number(inv.totalCents), paidCents);
  const row: AnyRow = { ...inv, paidCents, status, version, updatedAt: now, updatedBy: actor.id };
  const fieldVersions: Record<string, number> = { ...stored.fieldVersions, paidCents: version };
  if (status !== inv.status) fieldVersions.status = version;
  await tx.putRow({ ...stored, version, row, fieldVersions });
  await tx.appendChange({ collection: 'invoices', id: stored.id, version, op: 'upsert' });
}

async function updateRow(tx: WriteTx, actor: Actor, m: MutationInput, now: string): Promise<Applied> {
  const c = m.collection;
  if (!canWrite(actor.role, c)) throw forbidden(`a ${actor.role} may not change ${c}`);
  const data = m.data ?? {};
  refuseHiddenFields(actor, c, data);
  if (m.baseVersion === undefined || m.baseVersion === null) {
    throw new MutationRefused(428, 'an update needs the version it was based on (If-Match header / baseVersion)');
  }
  const parsed = collections[c].update.safeParse(data);
  if (!parsed.success) throw invalid(parsed.error);
  const input = parsed.data as Record<string, unknown>;

  await tx.lock([`row:${c}:${m.id}`]);
  const stored = await liveRow(tx, c, m.id);
  const base = m.baseVersion;
  if (base > stored.version) {
    throw new MutationRefused(400, `baseVersion ${base} is newer than the row (version ${stored.version})`, {
      details: [{ path: 'baseVersion', message: 'newer than the row' }],
    });
  }
  const current = stored.row;
  // A field conflicts when another write changed it after `base` and the values now differ.
  const conflicting = Object.keys(input).filter(
    (f) => (stored.fieldVersions[f] ?? 0) > base && JSON.stringify(current[f]) !== JSON.stringify(input[f]),
  );
  if (conflicting.length > 0) {
    throw new MutationRefused(409, `changed by someone else since version ${base}: ${conflicting.join(', ')}`, {
      current,
      fields: conflicting,
      isVersionConflict: true,
    });
  }
  const changed = Object.keys(input).filter((f) => JSON.stringify(current[f]) !== JSON.stringify(input[f]));
  if (changed.length === 0) return { row: current, detail: 'no change' };

  const next: AnyRow = { ...current, ...input };
  await checkTransitions(tx, actor, c, current, next, changed);
  await checkRow(tx, c, next, new Set(changed), current);

  const version = stored.version + 1;
  Object.assign(next, { version, updatedAt: now, updatedBy: actor.id });
  const fieldVersions = { ...stored.fieldVersions };
  for (const f of changed) fieldVersions[f] = version;
  if (c === 'invoices' && next.status !== current.status) fieldVersions.status = version;
  if (c === 'invoices' && next.number !== current.number) fieldVersions.number = version;
  await tx.putRow({ ...stored, version, row: next, fieldVersions });
  await tx.appendChange({ collection: c, id: m.id, version, op: 'upsert' });
  if (c === 'users' && (next.active === false || next.role !== current.role)) await tx.revokeRefreshTokens(m.id);
  return { row: next, detail: `fields: ${changed.join(', ')}` };
}

/** Status flows and derived values; mutates `next` for derived fields. */
async function checkTransitions(
  tx: WriteTx,
  actor: Actor,
  c: CollectionName,
  current: AnyRow,
  next: AnyRow,
  changed: string[],
): Promise<void> {
  if (c === 'appointments' && changed.includes('status')) {
    const from = current.status as AppointmentStatus;
    const to = next.status as AppointmentStatus;
    if (!canMoveAppointment(from, to)) {
      throw new MutationRefused(409, `status: an appointment cannot go from ${from} to ${to}`, { current, conflictsWith: current });
    }
  }
  if (c === 'invoices') {
    if (current.status === 'void') throw new MutationRefused(409, 'a void invoice cannot change', { current });
    next.totalCents = invoiceTotal(next.lines as InvoiceLine[]);
    const paid = Number(current.paidCents);
    if (changed.includes('lines') && Number(next.totalCents) < paid) {
      throw new MutationRefused(409, `lines: the total would fall below the ${paid} cents already paid`, { current });
    }
    if (changed.includes('status')) {
      const from = current.status as InvoiceStatus;
      const to = next.status as InvoiceStatus;
      if (!invoiceTransitions[from].includes(to)) {
        throw new MutationRefused(409, `status: an invoice cannot go from ${from} to ${to}`, { current });
      }
      if (to === 'draft' && paid > 0) {
        throw new MutationRefused(409, 'status: an invoice with payments cannot go back to draft', { current });
      }
      if (to === 'paid' && !(Number(next.totalCents) > 0 && paid >= Number(next.totalCents))) {
        throw new MutationRefused(409, 'status: an invoice becomes paid when its payments cover the total', { current });
      }
    }
    next.status = settledStatus(next.status as InvoiceStatus, Number(next.totalCents), paid);
    if (next.status === 'issued' && typeof current.number !== 'number') next.number = await nextInvoiceNumber(tx);
  }
  if (c === 'payments' && (changed.includes('amountCents') || changed.includes('invoiceId') || changed.includes('kind'))) {
    throw new MutationRefused(409, 'a payment amount, kind or invoice cannot change: delete it and record a new entry', { current });
  }
  if (c === 'inventory') next.lowStock = lowStock({ quantity: Number(next.quantity), reorderLevel: Number(next.reorderLevel) });
  if (c === 'users') {
    if (changed.includes('username')) {
      const clash = await tx.findUserByUsername(String(next.username));
      if (clash && clash.id !== current.id) {
        throw new MutationRefused(409, `username ${String(next.username)} is taken`, { details: [{ path: 'username', message: 'taken' }] });
      }
    }
    if (current.id === actor.id && (next.active === false || next.role !== 'admin')) {
      throw new MutationRefused(409, 'an admin cannot deactivate or demote their own account');
    }
  }
}

async function deleteRow(tx: WriteTx, actor: Actor, m: MutationInput, now: string, options: ApplyOptions): Promise<Applied> {
  const c = m.collection;
  if (!canDelete(actor.role, c)) throw forbidden(`a ${actor.role} may not delete ${c}`);
  await tx.lock([`row:${c}:${m.id}`]);
  const stored = await tx.getRow(c, m.id);
  if (!stored) throw new MutationRefused(404, `${c} ${m.id} not found`);
  if (stored.deleted) {
    if (options.tombstoneDeleteIsApplied) return { row: null, detail: 'already deleted' };
    throw new MutationRefused(404, `${c} ${m.id} not found`);
  }
  if (c === 'users' && m.id === actor.id) throw new MutationRefused(409, 'an admin cannot delete their own account');
  if (c === 'payments') {
    const invoiceId = String(stored.row.invoiceId);
    await tx.lock([`row:invoices:${invoiceId}`]);
    const inv = await tx.getRow('invoices', invoiceId);
    if (inv && !inv.deleted) {
      await rewriteInvoicePaid(tx, actor, inv, await sumOfPayments(tx, invoiceId, m.id), now);
    }
  }
  const version = stored.version + 1;
  const row: AnyRow = { ...stored.row, version, updatedAt: now, updatedBy: actor.id };
  await tx.putRow({ ...stored, version, deleted: true, row });
  await tx.appendChange({ collection: c, id: m.id, version, op: 'delete' });
  if (c === 'users') await tx.revokeRefreshTokens(m.id);
  return { row: null, detail: 'deleted' };
}

async function adjustStock(tx: WriteTx, actor: Actor, m: MutationInput, now: string): Promise<Applied> {
  if (m.collection !== 'inventory') {
    throw new MutationRefused(400, `adjust applies to inventory, not ${m.collection}`, { details: [{ path: 'op', message: 'adjust is for inventory' }] });
  }
  if (!canWrite(actor.role, 'inventory')) throw forbidden(`a ${actor.role} may not adjust stock`);
  const parsed = adjustInput.safeParse(m.data ?? {});
  if (!parsed.success) throw invalid(parsed.error);
  const { delta, reason } = parsed.data;
  await tx.lock([`row:inventory:${m.id}`]);
  const stored = await liveRow(tx, 'inventory', m.id);
  const quantity = Number(stored.row.quantity) + delta;
  if (quantity < 0) {
    throw new MutationRefused(409, `quantity: only ${String(stored.row.quantity)} in stock, cannot take ${-delta}`, { current: stored.row });
  }
  if (quantity > maxStock) {
    // Past the field's bounds: a 400 naming it, as for any other out-of-range value.
    throw new MutationRefused(400, `delta: the quantity would be ${quantity}, above the maximum of ${maxStock}`, {
      current: stored.row,
      details: [{ path: 'delta', message: `the quantity would exceed ${maxStock}` }],
    });
  }
  const version = stored.version + 1;
  const row: AnyRow = { ...stored.row, quantity, version, updatedAt: now, updatedBy: actor.id };
  row.lowStock = lowStock({ quantity: Number(row.quantity), reorderLevel: Number(row.reorderLevel) });
  await tx.putRow({ ...stored, version, row, fieldVersions: { ...stored.fieldVersions, quantity: version } });
  await tx.appendChange({ collection: 'inventory', id: m.id, version, op: 'upsert' });
  return { row, detail: `delta ${delta > 0 ? '+' : ''}${delta} -> ${quantity}${reason ? `: ${reason}` : ''}` };
}
