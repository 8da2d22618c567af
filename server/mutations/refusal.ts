/**
 * Why a mutation was not applied, as HTTP says it. Thrown inside a write transaction (which then
 * rolls back), and turned into an HTTP answer by the REST routes or a `conflict`/`rejected` result
 * by sync push. The clinic's rules refuse with a RuleRefusal (shared/domain/mutations/refusal).
 */
import type { AnyRow } from '../../shared/domain/collections';
import { zodProblems, type FieldProblem, type RefusalKind, type RuleRefusal } from '../../shared/domain/mutations/refusal';

export { zodProblems, type FieldProblem };

export type RefusalCode = 400 | 403 | 404 | 409 | 428;

export class MutationRefused extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly extra: {
      details?: FieldProblem[];
      /** The row as it is now (If-Match conflict, stock, status flow). */
      current?: AnyRow;
      /** The appointment a booking clashes with. */
      conflictsWith?: AnyRow;
      /** Fields another write changed since the base version. */
      fields?: string[];
      /** A field-level conflict (push status `conflict`) rather than a rule refusal. */
      isVersionConflict?: boolean;
    } = {},
  ) {
    super(message);
    this.name = 'MutationRefused';
  }
}

const statusOf: Record<RefusalKind, RefusalCode> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  version_conflict: 409,
  needs_base_version: 428,
};

export function refusedOverHttp(refusal: RuleRefusal): MutationRefused {
  return new MutationRefused(statusOf[refusal.kind], refusal.message, {
    ...refusal.facts,
    ...(refusal.kind === 'version_conflict' ? { isVersionConflict: true } : {}),
  });
}
