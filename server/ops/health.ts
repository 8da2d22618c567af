/**
 * Probes for service managers and load balancers. `/health/live`: the process answers (restart it
 * if not). `/health/ready`: it can serve terminals, i.e. the store answers a query (take it out of
 * rotation if not). `/api/health` stays as the API contract defines it: always ok when up.
 */
import type { FastifyInstance } from 'fastify';
import type { ClinicStore } from '../store/types';

export function healthRoutes(app: FastifyInstance, store: ClinicStore): void {
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (request, reply) => {
    try {
      await store.ping();
      return { status: 'ready', store: store.description.split(' ')[0]!.split(':')[0] };
    } catch (error) {
      request.log.warn({ err: error }, 'not ready: the store does not answer');
      return reply.code(503).send({ status: 'unavailable', error: `the store does not answer: ${(error as Error).message}` });
    }
  });
}
