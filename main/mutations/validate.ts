/**
 * Checks a mutation from a window before anything is written: the shared create/update schemas,
 * the role's rights, the appointment/invoice status flows, double bookings against the local
 * cache and stock that would go below zero. Returns what goes into the outbox.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { AnyRow, AppointmentStatus, InvoiceStatus, PublicUser } from '../../shared/domain/collections';
import { collections } from '../../shared/domain/collections';
import { canDelete, canWrite, hiddenFields } from '../../shared/domain/access';
import { blockedMessage, blocksSlot, canMoveAppointment, findBlock, findClash, invoiceTransitions } from '../../shared/domain/rules';
import type { MutateRequest } from '../../shared/ipc/contract';
import type { MutationOp } from '../../shared/sync/protocol';
import type { CollectionName } from '../../shared/domain/collections';
import { IpcFailure } from '../ipc/failure';
import { clinicSettingsId, effectiveClinicSettings, type ClinicSettings } from '../../shared/domain/clinicSettings';
import { paymentProblem, recordProblems, refundProblem, type FieldProblem } from '../../shared/domain/plausibility';

export interface ValidatedMutation {
  collection: CollectionName;
  op: MutationOp;
  rowId: string;
  baseVersion: number | null;
  data: Record<string, unknown> | null;
}

export interface LocalView {
  get(collection: CollectionName, id: string): AnyRow | null;
  list(collection: CollectionName): AnyRow[];
}

function issues(error: z.ZodError): unknown[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

/** "firstName: Too small: ...; email: Invalid email" — names the offending fields for the person. */
function summary(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || (i as { keys?: string[] }).keys?.join(', ') || 'data'}: ${i.message}`).join('; ');
}

function refuseHidden(user: PublicUser, collection: CollectionName, data: Record<string, unknown>): void {
  const hidden = hiddenFields(user.role, collection).filter((f) => f in data);
  if (hidden.length > 0) throw new IpcFailure('forbidden', `A ${user.role} may not write ${hidden.join(', ')}`);
}

function checkAppointment(view: LocalView, before: AnyRow | null, after: AnyRow): void {
  if (before && !canMoveAppointment(before.status as AppointmentStatus, after.status as AppointmentStatus)) {
    throw new IpcFailure('bad_request', `An appointment cannot go from ${String(before.status)} to ${String(after.status)}`);
  }
  // As on the server: a new or moved booking, or one back in the book, must respect blocked time.
  const moved = !before || ['start', 'end', 'providerId'].some((f) => before[f] !== after[f]) || !blocksSlot(before as never);
  const block = moved ? findBlock(after as never, view.list('blocked-times') as never[]) : undefined;
  if (block) throw new IpcFailure('bad_request', blockedMessage(block), [{ path: 'start', message: 'falls in blocked time' }]);
  const clash = findClash(after as never, view.list('appointments') as never[]) as AnyRow | undefined;
  if (clash) {
    throw new IpcFailure('bad_request', `This slot clashes with another appointment (${String(clash.start)} to ${String(clash.end)})`, [
      { conflictsWith: clash.id },
    ]);
  }
}

/** This terminal's calendar day: a birth date after it is in the future here. */
function localToday(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function refuseProblems(problems: FieldProblem[]): void {
  if (problems.length === 0) return;
  throw new IpcFailure('bad_request', problems.map((p) => p.message).join('; '), problems.map((p) => ({ path: p.path, message: p.message })));
}

/** The shared plausibility rules, with the clinic settings and rows this terminal holds. */
function checkPlausible(view: LocalView, collection: CollectionName, row: AnyRow, changed: Set<string>): void {
  const settings = effectiveClinicSettings(view.get('clinic-settings', clinicSettingsId) as Partial<ClinicSettings> | null);
  const provider = collection === 'appointments' ? view.get('users', String(row.providerId)) : null;
  refuseProblems(
    recordProblems(collection, row, changed, { today: localToday(), settings, ...(provider ? { providerName: String(provider.displayName) } : {}) }),
  );
  if (collection === 'payments' && changed.has('amountCents')) {
    // The invoice as this terminal knows it; the server checks again against its own.
    const invoice = view.get('invoices', String(row.invoiceId));
    if (invoice) {
      const paid = Number(invoice.paidCents ?? 0);
      const problem =
        row.kind === 'refund' ? refundProblem(Number(row.amountCents), paid) : paymentProblem(Number(row.amountCents), Number(invoice.totalCents ?? 0) - paid);
      if (problem) refuseProblems([{ path: 'amountCents', message: problem }]);
    }
  }
}

export function validateMutation(request: MutateRequest, user: PublicUser, view: LocalView): ValidatedMutation {
  const { collection } = request;
  if (collection === 'users') throw new IpcFailure('bad_request', 'Users are managed through the admin channels');
  if (request.op === 'delete') {
    if (!canDelete(user.role, collection)) throw new IpcFailure('forbidden', `A ${user.role} may not delete ${collection}`);
    if (!view.get(collection, request.id)) throw new IpcFailure('bad_request', `No such ${collection} row: ${request.id}`);
    return { collection, op: 'delete', rowId: request.id, baseVersion: null, data: null };
  }
  if (!canWrite(user.role, collection)) throw new IpcFailure('forbidden', `A ${user.role} may not change ${collection}`);
  const schema = collections[collection];

  if (request.op === 'create') {
    refuseHidden(user, collection, request.data);
    const parsed = schema.create.safeParse(request.data);
    if (!parsed.success) throw new IpcFailure('bad_request', `Invalid ${collection} data: ${summary(parsed.error)}`, issues(parsed.error));
    const data = { ...parsed.data } as Record<string, unknown>;
    const rowId = typeof data.id === 'string' ? data.id : randomUUID();
    delete data.id;
    if (view.get(collection, rowId)) throw new IpcFailure('bad_request', `A ${collection} row with id ${rowId} already exists`);
    checkPlausible(view, collection, { ...(schema.defaults as Record<string, unknown>), ...data, id: rowId } as AnyRow, new Set(Object.keys(data)));
    if (collection === 'appointments') {
      const after = { ...(schema.defaults as Record<string, unknown>), ...data, id: rowId } as AnyRow;
      if (Date.parse(String(after.end)) <= Date.parse(String(after.start))) throw new IpcFailure('bad_request', 'An appointment must end after it starts');
      checkAppointment(view, null, after);
    }
    return { collection, op: 'create', rowId, baseVersion: null, data };
  }

  const current = view.get(collection, request.id);
  if (!current) throw new IpcFailure('bad_request', `No such ${collection} row: ${request.id}`);

  if (request.op === 'adjust') {
    const quantity = Number(current.quantity ?? 0);
    if (quantity + request.data.delta < 0) {
      throw new IpcFailure('bad_request', `Only ${quantity} in stock; cannot take ${-request.data.delta}`);
    }
    return { collection, op: 'adjust', rowId: request.id, baseVersion: null, data: { ...request.data } };
  }

  refuseHidden(user, collection, request.data);
  const parsed = schema.update.safeParse(request.data);
  if (!parsed.success) throw new IpcFailure('bad_request', `Invalid ${collection} change: ${summary(parsed.error)}`, issues(parsed.error));
  const data = parsed.data as Record<string, unknown>;
  const after = { ...current, ...data } as AnyRow;
  checkPlausible(view, collection, after, new Set(Object.keys(data).filter((f) => JSON.stringify(current[f]) !== JSON.stringify(data[f]))));
  if (collection === 'appointments') {
    if (Date.parse(String(after.end)) <= Date.parse(String(after.start))) throw new IpcFailure('bad_request', 'An appointment must end after it starts');
    checkAppointment(view, current, after);
  }
  if (collection === 'invoices' && 'status' in data && data.status !== current.status) {
    const from = current.status as InvoiceStatus;
    if (!invoiceTransitions[from].includes(data.status as InvoiceStatus)) {
      throw new IpcFailure('bad_request', `An invoice cannot go from ${from} to ${String(data.status)}`);
    }
  }
  return { collection, op: 'update', rowId: request.id, baseVersion: request.baseVersion, data };
}
