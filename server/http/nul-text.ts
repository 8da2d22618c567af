/**
 * Text holding a NUL character (U+0000) is refused at the door with a 400 naming the field: no
 * clinic field needs one, PostgreSQL cannot store one (in text or jsonb), and the server must
 * answer the same on either store, never with a 500.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors';

/** The path of the first string (or key) holding a NUL, or null. */
function findNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], path ? `${path}.${i}` : String(i));
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return at;
      const found = findNul(inner, at);
      if (found !== null) return found;
    }
  }
  return null;
}

export function refuseNulText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const at = findNul(request.body, '');
    if (at === null) return;
    const path = at || '(body)';
    throw new HttpError(400, `${path}: text must not contain NUL characters`, [{ path, message: 'contains a NUL character' }]);
  });
}
