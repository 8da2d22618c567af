/**
 * Field-level merge of an edit made on `base`: a field conflicts only when another write changed
 * it after `base` and the values now differ; edits of other fields since then merge.
 */
import type { AnyRow } from '../collections';
import type { RuleRow } from './reads';
import { RuleRefusal } from './refusal';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The fields of `input` whose values differ from the row's. */
export function changedFields(current: AnyRow, input: Record<string, unknown>): string[] {
  return Object.keys(input).filter((f) => !same(current[f], input[f]));
}

/** Refuses the edit when a field it writes was changed by someone else since `base`. */
export function refuseFieldConflicts(stored: RuleRow, base: number, input: Record<string, unknown>): void {
  const conflicting = Object.keys(input).filter((f) => (stored.fieldVersions[f] ?? 0) > base && !same(stored.row[f], input[f]));
  if (conflicting.length > 0) {
    throw new RuleRefusal('version_conflict', `changed by someone else since version ${base}: ${conflicting.join(', ')}`, {
      current: stored.row,
      fields: conflicting,
    });
  }
}

/** The field versions after `fields` were written at `version`. */
export function fieldVersionsAfter(before: Record<string, number>, fields: Iterable<string>, version: number): Record<string, number> {
  const after = { ...before };
  for (const f of fields) after[f] = version;
  return after;
}
