/**
 * The shared check-and-apply on its own, over rows held in memory: what only one end can see
 * (field versions, the invoice counter, rows a terminal has not heard of) and the two ways a rule's
 * reads are answered (at once, or after a round trip) giving the same decision.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyRow, CollectionName } from '../../shared/domain/collections';
import { decideMutation, type MutationInput } from '../../shared/domain/mutations/decide';
import { decideNow, decideOn, type AsyncRuleReads, type RuleContext, type RuleReads, type RuleRow } from '../../shared/domain/mutations/reads';
import { RuleRefusal } from '../../shared/domain/mutations/refusal';

const desk = { id: 'u-desk', role: 'receptionist' as const };
const patientId = '0b6f3c1e-5d3a-4e8b-9c1d-2f6a7b8c9d01';

function memoryReads(rows: Partial<Record<CollectionName, Record<string, RuleRow>>>, lastNumber: number | null): RuleReads {
  return {
    row: (c, id) => rows[c]?.[id] ?? null,
    overlappingAppointments: () => [],
    blockedTimes: () => [],
    paidOnInvoice: () => 0,
    userByUsername: () => null,
    lastInvoiceNumber: () => lastNumber,
  };
}

const stored = (row: Record<string, unknown>, version: number, fieldVersions: Record<string, number>): RuleRow => ({
  version,
  deleted: false,
  row: { updatedAt: '2027-01-01T00:00:00Z', updatedBy: 'u', ...row, version } as AnyRow,
  fieldVersions,
});

function refusal(run: () => unknown): RuleRefusal {
  try {
    run();
  } catch (error) {
    if (error instanceof RuleRefusal) return error;
    throw error;
  }
  assert.fail('expected a refusal');
}

const ctx = (authority: RuleContext['authority']): RuleContext => ({ actor: desk, now: '2027-02-01T10:00:00Z', today: '2027-02-01', authority });

test('an edit made on an old version merges other fields and refuses a field changed since, naming it', () => {
  const reads = memoryReads({ patients: { p1: stored({ id: 'p1', firstName: 'Ann', lastName: 'Lee', phone: '' }, 3, { firstName: 1, lastName: 3, phone: 1 }) } }, null);
  const edit = (data: Record<string, unknown>): MutationInput => ({ collection: 'patients', op: 'update', id: 'p1', baseVersion: 2, data });
  const merged = decideNow(decideMutation(ctx('server'), edit({ firstName: 'Anne' })), reads);
  assert.equal(merged.row?.firstName, 'Anne');
  assert.equal(merged.row?.lastName, 'Lee', 'the newer edit of another field stays');
  assert.deepEqual(merged.writes[0]!.fieldVersions, { firstName: 4, lastName: 3, phone: 1 });
  const conflict = refusal(() => decideNow(decideMutation(ctx('server'), edit({ lastName: 'Leigh' })), reads));
  assert.equal(conflict.kind, 'version_conflict');
  assert.deepEqual(conflict.facts.fields, ['lastName']);
});

test('a referenced row the terminal has not heard of is the server\'s to judge', () => {
  const invoice: MutationInput = { collection: 'invoices', op: 'create', id: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d', data: { patientId, status: 'draft', lines: [] } };
  const none = memoryReads({}, null);
  assert.equal(decideNow(decideMutation(ctx('terminal'), invoice), none).row?.patientId, patientId);
  const refused = refusal(() => decideNow(decideMutation(ctx('server'), invoice), none));
  assert.equal(refused.kind, 'invalid');
  assert.deepEqual(refused.facts.details?.map((d) => d.path), ['patientId']);
});

test('an issued invoice is numbered by the end that keeps the counter; elsewhere it waits for its number', async () => {
  const patients = { patients: { [patientId]: stored({ id: patientId, firstName: 'A', lastName: 'B' }, 1, {}) } };
  const issue: MutationInput = { collection: 'invoices', op: 'create', id: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', data: { patientId, status: 'issued', lines: [{ description: 'Visit', quantity: 1, unitPriceCents: 4500 }] } };
  const local = decideNow(decideMutation(ctx('terminal'), issue), memoryReads(patients, null));
  assert.equal('number' in (local.row ?? {}), false);
  assert.equal(local.invoiceNumber, undefined);
  const reads = memoryReads(patients, 41);
  const later = Object.fromEntries(Object.entries(reads).map(([k, f]) => [k, async (...a: unknown[]) => (f as (...a: unknown[]) => unknown)(...a)])) as unknown as AsyncRuleReads;
  const server = await decideOn(decideMutation(ctx('server'), issue), later);
  assert.equal(server.row?.number, 42);
  assert.equal(server.invoiceNumber, 42);
  assert.equal(server.row?.totalCents, 4500);
  assert.deepEqual(decideNow(decideMutation(ctx('server'), issue), reads), server, 'the same decision, whichever way the reads are answered');
});
