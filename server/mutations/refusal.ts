/**
 * Why a mutation was not applied. Thrown inside a write transaction (which then rolls back), and
 * turned into an HTTP answer by the REST routes or a `conflict`/`rejected` result by sync push.
 */
import type { z } from 'zod';
import type { AnyRow } from '../../shared/domain/collections';

export interface FieldProblem {
  path: string;
  message: string;
}

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

export function zodProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.');
    // Strict objects report the unknown keys themselves, not a path: name them.
    if (i.code === 'unrecognized_keys') {
      const keys = (i as { keys?: string[] }).keys ?? [];
      return { path: keys.map((k) => (path ? `${path}.${k}` : k)).join(', '), message: i.message };
    }
    return { path: path || '(body)', message: i.message };
  });
}

export function invalid(error: z.ZodError, prefix = ''): MutationRefused {
  const details = zodProblems(error, prefix);
  return new MutationRefused(400, `invalid input: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, {
    details,
  });
}
