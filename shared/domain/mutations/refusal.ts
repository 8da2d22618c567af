/**
 * Why the clinic's rules refuse a mutation: a domain error, the same on the terminal and the
 * server. Each end words it for its own boundary: the server as an HTTP status and body, the
 * terminal as an IPC failure.
 */
import type { z } from 'zod';
import type { AnyRow } from '../collections';
import type { FieldProblem } from '../plausibility';

export type { FieldProblem };

/**
 * - `invalid`: a value the field or the rule does not allow (HTTP 400);
 * - `forbidden`: the role may not do this (403);
 * - `not_found`: the row is not there (404);
 * - `conflict`: the clinic's current state does not allow it: a clash, a status flow, stock (409);
 * - `version_conflict`: another write changed the same fields since the edit's base version (409);
 * - `needs_base_version`: an edit that does not say which version it was made on (428).
 */
export type RefusalKind = 'invalid' | 'forbidden' | 'not_found' | 'conflict' | 'version_conflict' | 'needs_base_version';

export interface RefusalFacts {
  details?: FieldProblem[];
  /** The row as it is now (a version conflict, stock, a status flow). */
  current?: AnyRow;
  /** The appointment a booking clashes with. */
  conflictsWith?: AnyRow;
  /** Fields another write changed since the base version. */
  fields?: string[];
}

export class RuleRefusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    readonly facts: RefusalFacts = {},
  ) {
    super(message);
    this.name = 'RuleRefusal';
  }
}

/** A refusal naming one field. */
export function fieldRefusal(kind: RefusalKind, path: string, problem: string, message = `${path}: ${problem}`, facts: RefusalFacts = {}): RuleRefusal {
  return new RuleRefusal(kind, message, { ...facts, details: [{ path, message: problem }] });
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

export function invalidInput(error: z.ZodError, prefix = ''): RuleRefusal {
  const details = zodProblems(error, prefix);
  return new RuleRefusal('invalid', `invalid input: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, { details });
}
