/**
 * The one check-and-apply of every mutation, for the terminal (its optimistic write) and the
 * server (the authority): roles, input schemas, the field-level merge, the status flows, double
 * booking, invoices and payments, stock. Pure: it reads through `ask` and answers with the rows
 * to write, or throws a RuleRefusal.
 */
import { canDelete, canWrite, hiddenFields } from '../access';
import { clinicSettingsId } from '../clinicSettings';
import { collections, type AnyRow, type AppointmentStatus, type CollectionName } from '../collections';
import { canMoveAppointment } from '../rules';
import { withDerived } from './derived';
import { invoiceEdit, newInvoice, refusePaymentEdit, settleInvoice, unsettleInvoice, type InvoiceWrite } from './invoices';
import { changedFields, fieldVersionsAfter, refuseFieldConflicts } from './merge';
import { ask, type Rule, type RuleContext } from './reads';
import { checkRecord, liveRow } from './records';
import { adjustStock } from './stock';
import { fieldRefusal, invalidInput, RuleRefusal } from './refusal';

import type { Decision, MutationInput, RowWrite } from './decision';

export type { Decision, MutationInput, RowWrite } from './decision';

export function decideMutation(ctx: RuleContext, m: MutationInput): Rule<Decision> {
  switch (m.op) {
    case 'create':
      return createRow(ctx, m);
    case 'update':
      return updateRow(ctx, m);
    case 'delete':
      return deleteRow(ctx, m);
    case 'adjust':
      return adjustStock(ctx, m);
  }
}

function refuseHiddenFields(ctx: RuleContext, collection: CollectionName, data: Record<string, unknown>): void {
  const hidden = hiddenFields(ctx.actor.role, collection).filter((f) => f in data);
  if (hidden.length > 0) throw new RuleRefusal('forbidden', `a ${ctx.actor.role} may not write ${hidden.join(', ')}`);
}

function invoiceWrite(w: InvoiceWrite | null): RowWrite[] {
  return w ? [{ collection: 'invoices', id: w.id, version: w.version, deleted: false, row: w.row, fieldVersions: w.fieldVersions }] : [];
}

function* refuseTakenUsername(username: string, ownId: string | null): Rule<void> {
  const holder = yield* ask('userByUsername', username);
  if (holder && holder.id !== ownId) throw fieldRefusal('conflict', 'username', 'taken', `username ${username} is taken`);
}

function* createRow(ctx: RuleContext, m: MutationInput): Rule<Decision> {
  const c = m.collection;
  if (!canWrite(ctx.actor.role, c)) throw new RuleRefusal('forbidden', `a ${ctx.actor.role} may not create ${c}`);
  const data = m.data ?? {};
  refuseHiddenFields(ctx, c, data);
  const parsed = collections[c].create.safeParse(data);
  if (!parsed.success) throw invalidInput(parsed.error);
  const input = { ...(parsed.data as Record<string, unknown>) };
  if (input.id !== undefined && input.id !== m.id) throw fieldRefusal('invalid', 'id', 'differs from the row id', 'id: differs from the mutation id');
  if (c === 'clinic-settings' && m.id !== clinicSettingsId) {
    throw fieldRefusal('invalid', 'id', `must be ${clinicSettingsId}`, `id: the clinic settings row is ${clinicSettingsId}`);
  }
  delete input.id;
  if (yield* ask('row', c, m.id, true)) throw new RuleRefusal('conflict', `${c} ${m.id} already exists`);

  const fields: Record<string, unknown> = { ...collections[c].defaults, ...input };
  if (c === 'users') yield* refuseTakenUsername(String(fields.username), null);
  let row: AnyRow = { id: m.id, ...fields, version: 1, updatedAt: ctx.now, updatedBy: ctx.actor.id };
  let invoiceNumber: number | null = null;
  let invoice: InvoiceWrite | null = null;
  if (c === 'invoices') invoiceNumber = yield* newInvoice(row);
  else row = withDerived(c, row);
  if (c === 'payments') invoice = yield* settleInvoice(ctx, String(row.invoiceId), Number(row.amountCents), row.kind === 'refund');
  yield* checkRecord(ctx, c, row, new Set(Object.keys(fields)));

  const fieldVersions = Object.fromEntries(Object.keys(fields).map((f) => [f, 1]));
  const payment = `${row.kind === 'refund' ? 'refund of ' : ''}${String(row.amountCents)} cents on invoice ${String(row.invoiceId)}`;
  return {
    row,
    data: input,
    writes: [...invoiceWrite(invoice), { collection: c, id: m.id, version: 1, deleted: false, row, fieldVersions }],
    ...(invoiceNumber !== null ? { invoiceNumber } : {}),
    detail: c === 'payments' ? payment : invoiceNumber !== null ? `created, number ${invoiceNumber}` : 'created',
  };
}

/** Status flows and derived values of an edit; mutates `next`. Returns an invoice number given, if any. */
function* checkEdit(ctx: RuleContext, c: CollectionName, current: AnyRow, next: AnyRow, changed: string[]): Rule<number | null> {
  if (c === 'appointments' && changed.includes('status')) {
    const from = current.status as AppointmentStatus;
    const to = next.status as AppointmentStatus;
    if (!canMoveAppointment(from, to)) {
      throw new RuleRefusal('conflict', `status: an appointment cannot go from ${from} to ${to}`, { current, conflictsWith: current });
    }
  }
  if (c === 'payments') refusePaymentEdit(current, changed);
  if (c === 'users') {
    if (changed.includes('username')) yield* refuseTakenUsername(String(next.username), current.id);
    if (current.id === ctx.actor.id && (next.active === false || next.role !== 'admin')) {
      throw new RuleRefusal('conflict', 'an admin cannot deactivate or demote their own account');
    }
  }
  if (c === 'invoices') return yield* invoiceEdit(current, next, changed);
  Object.assign(next, withDerived(c, next));
  return null;
}

function* updateRow(ctx: RuleContext, m: MutationInput): Rule<Decision> {
  const c = m.collection;
  if (!canWrite(ctx.actor.role, c)) throw new RuleRefusal('forbidden', `a ${ctx.actor.role} may not change ${c}`);
  const data = m.data ?? {};
  refuseHiddenFields(ctx, c, data);
  if (m.baseVersion === undefined || m.baseVersion === null) {
    throw new RuleRefusal('needs_base_version', 'an update needs the version it was based on (If-Match header / baseVersion)');
  }
  const parsed = collections[c].update.safeParse(data);
  if (!parsed.success) throw invalidInput(parsed.error);
  const input = parsed.data as Record<string, unknown>;

  const stored = yield* liveRow(c, m.id);
  const base = m.baseVersion;
  if (base > stored.version && ctx.authority === 'server') {
    throw fieldRefusal('invalid', 'baseVersion', 'newer than the row', `baseVersion ${base} is newer than the row (version ${stored.version})`);
  }
  refuseFieldConflicts(stored, base, input);
  const current = stored.row;
  const changed = changedFields(current, input);
  if (changed.length === 0) return { row: current, data: input, writes: [], detail: 'no change' };

  const next: AnyRow = { ...current, ...input };
  const invoiceNumber = yield* checkEdit(ctx, c, current, next, changed);
  yield* checkRecord(ctx, c, next, new Set(changed), current);

  const version = stored.version + 1;
  Object.assign(next, { version, updatedAt: ctx.now, updatedBy: ctx.actor.id });
  const derived = c === 'invoices' ? (['status', 'number'] as const).filter((f) => next[f] !== current[f]) : [];
  const fieldVersions = fieldVersionsAfter(stored.fieldVersions, [...changed, ...derived], version);
  const revoke = c === 'users' && (next.active === false || next.role !== current.role);
  return {
    row: next,
    data: input,
    writes: [{ collection: c, id: m.id, version, deleted: false, row: next, fieldVersions }],
    ...(invoiceNumber !== null ? { invoiceNumber } : {}),
    ...(revoke ? { revokeTokensOf: m.id } : {}),
    detail: `fields: ${changed.join(', ')}`,
  };
}

function* deleteRow(ctx: RuleContext, m: MutationInput): Rule<Decision> {
  const c = m.collection;
  if (!canDelete(ctx.actor.role, c)) throw new RuleRefusal('forbidden', `a ${ctx.actor.role} may not delete ${c}`);
  const stored = yield* ask('row', c, m.id, true);
  if (!stored) throw new RuleRefusal('not_found', `${c} ${m.id} not found`);
  if (stored.deleted) {
    if (ctx.tombstoneDeleteIsApplied) return { row: null, data: null, writes: [], detail: 'already deleted' };
    throw new RuleRefusal('not_found', `${c} ${m.id} not found`);
  }
  if (c === 'users' && m.id === ctx.actor.id) throw new RuleRefusal('conflict', 'an admin cannot delete their own account');
  const invoice = c === 'payments' ? yield* unsettleInvoice(ctx, stored.row) : null;
  const version = stored.version + 1;
  const row: AnyRow = { ...stored.row, version, updatedAt: ctx.now, updatedBy: ctx.actor.id };
  return {
    row: null,
    data: null,
    writes: [...invoiceWrite(invoice), { collection: c, id: m.id, version, deleted: true, row, fieldVersions: stored.fieldVersions }],
    ...(c === 'users' ? { revokeTokensOf: m.id } : {}),
    detail: 'deleted',
  };
}
