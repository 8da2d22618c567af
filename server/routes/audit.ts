/** The audit log for admins, newest first; and the open health check of the API contract. */
import type { FastifyInstance } from 'fastify';
import { apiRoutes } from '../../shared/http/routes';
import type { ServerContext } from '../http/context';
import { serveRoute } from '../http/serveRoute';

export function auditRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serveRoute(app, apiRoutes.audit, async ({ query }) => ctx.store.listAudit(query.limit ?? 200));

  serveRoute(app, apiRoutes.health, async () => ({ status: 'ok' as const }));
}
