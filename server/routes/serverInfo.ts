/** Extension: what an admin needs to set up terminals, e.g. the certificate fingerprint they pin. */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http/errors';
import { actorOf } from '../http/guard';
import type { ServerInfo } from '../../shared/sync/protocol';


export function serverInfoRoutes(app: FastifyInstance, info: { tls: { fingerprint: string; source: 'given' | 'generated' | 'kept' } | null }): void {
  app.get('/api/server', async (request) => {
    const actor = actorOf(request);
    if (actor.role !== 'admin') throw new HttpError(403, 'only an admin reads the server settings');
    const body: ServerInfo = {
      transport: info.tls ? 'https' : 'http',
      certificateFingerprint: info.tls?.fingerprint ?? null,
      certificateSource: info.tls?.source ?? null,
    };
    return body;
  });
}
