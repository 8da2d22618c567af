/** The audit log for admins, newest first. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../http/context';
import { HttpError } from '../http/errors';
import { actorOf } from '../http/guard';
import { parseWith } from './rows';

const auditQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(5000).optional() });

export function auditRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/audit', async (request) => {
    const actor = actorOf(request);
    if (actor.role !== 'admin') throw new HttpError(403, 'only an admin reads the audit log');
    const { limit } = parseWith(auditQuery, request.query, 'query');
    return ctx.store.listAudit(limit ?? 200);
  });

  app.get('/api/health', async () => ({ status: 'ok' }));
}
