/**
 * A terminal whose cursor points into a change log that a restore took away gets 410 Gone on its
 * pull, and downloads everything again (main/sync/engine.ts). The ranges are read once at start:
 * a restore happens with every server instance stopped.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http/errors';
import { cursorRestoredAway, parseRestoredRanges, restoredAwayMessage, restoredRangesSetting } from '../maintenance/restoredLog';
import type { ClinicStore } from '../store/types';

export async function refuseRestoredAwayCursors(app: FastifyInstance, store: ClinicStore): Promise<void> {
  const ranges = parseRestoredRanges(await store.getSetting(restoredRangesSetting));
  if (ranges.length === 0) return;
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.url !== '/api/sync/pull') return;
    const since = (request.query as { since?: unknown } | undefined)?.since;
    if (typeof since === 'string' && cursorRestoredAway(ranges, since)) throw new HttpError(410, restoredAwayMessage);
  });
}
