/** Stock: adjustments commute (a delta, not a new quantity), and stock never goes below zero. */
import { adjustInput } from '../collections';
import { canWrite } from '../access';
import type { Decision, MutationInput } from './decision';
import { withDerived } from './derived';
import { fieldVersionsAfter } from './merge';
import type { Rule, RuleContext } from './reads';
import { liveRow } from './records';
import { fieldRefusal, invalidInput, RuleRefusal } from './refusal';

/** The most of one item a clinic holds. */
export const maxStock = 10_000_000;

export function* adjustStock(ctx: RuleContext, m: MutationInput): Rule<Decision> {
  if (m.collection !== 'inventory') {
    throw fieldRefusal('invalid', 'op', 'adjust is for inventory', `adjust applies to inventory, not ${m.collection}`);
  }
  if (!canWrite(ctx.actor.role, 'inventory')) throw new RuleRefusal('forbidden', `a ${ctx.actor.role} may not adjust stock`);
  const parsed = adjustInput.safeParse(m.data ?? {});
  if (!parsed.success) throw invalidInput(parsed.error);
  const { delta, reason } = parsed.data;
  const stored = yield* liveRow('inventory', m.id);
  const quantity = Number(stored.row.quantity) + delta;
  if (quantity < 0) {
    throw new RuleRefusal('conflict', `quantity: only ${String(stored.row.quantity)} in stock, cannot take ${-delta}`, { current: stored.row });
  }
  if (quantity > maxStock) {
    // Past the field's bounds: a 400 naming it, as for any other out-of-range value.
    throw fieldRefusal('invalid', 'delta', `the quantity would exceed ${maxStock}`, `delta: the quantity would be ${quantity}, above the maximum of ${maxStock}`, {
      current: stored.row,
    });
  }
  const version = stored.version + 1;
  const row = withDerived('inventory', { ...stored.row, quantity, version, updatedAt: ctx.now, updatedBy: ctx.actor.id });
  return {
    row,
    data: { ...parsed.data },
    writes: [{ collection: 'inventory', id: m.id, version, deleted: false, row, fieldVersions: fieldVersionsAfter(stored.fieldVersions, ['quantity'], version) }],
    detail: `delta ${delta > 0 ? '+' : ''}${delta} -> ${quantity}${reason ? `: ${reason}` : ''}`,
  };
}
