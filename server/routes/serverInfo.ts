/** Extension: what an admin needs to set up terminals, e.g. the certificate fingerprint they pin. */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http/errors';
import { actorOf } from '../http/guard';

export interface ServerInfo {
  /** 'https' with a certificate; 'http' on loopback or with --insecure-http. */
  transport: 'https' | 'http';
  /** SHA-256 of the server's certificate (`AB:CD:...`): what terminals pin. Null on http. */
  certificateFingerprint: string | null;
  /** 'given' (--tls-cert), 'generated' or 'kept' (self-signed, in the data dir); null on http. */
  certificateSource: 'given' | 'generated' | 'kept' | null;
}

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
