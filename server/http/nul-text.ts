/**
 * Checks on every parsed JSON body before a route sees it, answered with a 400 naming the place:
 * - nesting deeper than MAX_JSON_DEPTH (no clinic body nests past 6 levels; a deep one only costs
 *   the server stack and time);
 * - text holding a NUL character (U+0000) or a lone surrogate (`\ud800` without its pair, which is
 *   no character at all and has no UTF-8 form): no clinic field needs one, PostgreSQL cannot store
 *   either (in text or jsonb), and the server must answer the same on either store, never a 500.
 * The walk is iterative (an explicit stack): a body nested 100,000 deep cannot overflow it.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors';

export const MAX_JSON_DEPTH = 20;

export type BodyProblem = { kind: 'depth' | 'nul' | 'surrogate'; path: string } | null;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(text: string): 'nul' | 'surrogate' | null {
  if (text.includes('\u0000')) return 'nul';
  return loneSurrogate.test(text) ? 'surrogate' : null;
}

/** The first problem of a parsed JSON value, or null. */
export function findBodyProblem(body: unknown): BodyProblem {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const kind = textProblem(value);
      if (kind) return { kind, path };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return { kind: 'depth', path };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: path ? `${path}.${i}` : String(i), depth: depth + 1 });
      continue;
    }
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, inner] = entries[i]!;
      const at = path ? `${path}.${key}` : key;
      const kind = textProblem(key);
      if (kind) return { kind, path: at };
      stack.push({ value: inner, path: at, depth: depth + 1 });
    }
  }
  return null;
}

export function refuseNulText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const problem = findBodyProblem(request.body);
    if (problem === null) return;
    if (problem.kind === 'depth') {
      const path = problem.path.length > 200 ? `${problem.path.slice(0, 200)}...` : problem.path || '(body)';
      const message = `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
      throw new HttpError(400, `${path}: ${message}`, [{ path, message }]);
    }
    const path = problem.path || '(body)';
    if (problem.kind === 'surrogate') {
      throw new HttpError(400, `${path}: text must be valid Unicode (it holds a lone surrogate)`, [{ path, message: 'contains a lone surrogate' }]);
    }
    throw new HttpError(400, `${path}: text must not contain NUL characters`, [{ path, message: 'contains a NUL character' }]);
  });
}
