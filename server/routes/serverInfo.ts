/** Extension: what an admin needs to set up terminals, e.g. the certificate fingerprint they pin. */
import type { FastifyInstance } from 'fastify';
import { apiRoutes } from '../../shared/http/routes';
import { serveRoute } from '../http/serveRoute';

export function serverInfoRoutes(app: FastifyInstance, info: { tls: { fingerprint: string; source: 'given' | 'generated' | 'kept' } | null }): void {
  serveRoute(app, apiRoutes.serverInfo, async () => ({
    transport: info.tls ? ('https' as const) : ('http' as const),
    certificateFingerprint: info.tls?.fingerprint ?? null,
    certificateSource: info.tls?.source ?? null,
  }));
}
