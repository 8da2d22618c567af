/** Sync: pull the change log since a cursor (role-filtered), push mutations (idempotent). */
import type { FastifyInstance } from 'fastify';
import { open, unlink } from 'node:fs/promises';
import { hiddenFields, syncedCollections } from '../../shared/domain/access';
import { collectionName, type CollectionName } from '../../shared/domain/collections';
import { apiRoutes } from '../../shared/http/routes';
import type { MutationResult } from '../../shared/sync/protocol';
import { snapshotContentType, snapshotHeaders, snapshotPartRows } from '../../shared/sync/snapshot';
import type { ServerContext } from '../http/context';
import { HttpError } from '../http/errors';
import { parseWith, serveRoute } from '../http/serveRoute';
import { pushMutation } from '../mutations/run';
import { auditClinicalRead, type ChangePulls } from '../sync/changePulls';

export const DEFAULT_PULL_LIMIT = 500;

export function syncRoutes(app: FastifyInstance, ctx: ServerContext, pulls: ChangePulls): void {
  serveRoute(app, apiRoutes.pull, async ({ reply, actor, query }) => {
    let wanted = syncedCollections(actor.role);
    if (query.collections !== undefined && query.collections !== '') {
      const asked: CollectionName[] = [];
      for (const name of query.collections.split(',')) {
        const parsed = collectionName.safeParse(name.trim());
        if (!parsed.success) throw new HttpError(400, `collections: unknown collection "${name}"`, [{ path: 'collections', message: `unknown collection "${name}"` }]);
        asked.push(parsed.data);
      }
      wanted = wanted.filter((c) => asked.includes(c));
    }
    const answer = await pulls.answer(actor, { since: query.since, limit: query.limit ?? DEFAULT_PULL_LIMIT, collections: wanted, via: 'pull' });
    return reply.type('application/json; charset=utf-8').send(answer.body);
  });

  // Extension: a first download as one SQLite file (shared/sync/snapshot.ts).
  serveRoute(app, apiRoutes.snapshot, async ({ request, reply, actor, query }) => {
    if (!ctx.store.writeSnapshot) {
      throw new HttpError(501, `this server's store (${ctx.store.description.split(':')[0]}) does not offer snapshots: pull the change log from the start`);
    }
    const started = performance.now();
    const snapshot = await ctx.store.writeSnapshot({
      role: actor.role,
      collections: syncedCollections(actor.role),
      ...(query.after !== undefined ? { after: query.after } : {}),
      limit: query.limit ?? snapshotPartRows.default,
    });
    let file;
    try {
      const clinical = snapshot.rows['treatment-records'] ?? 0;
      if (clinical > 0) await auditClinicalRead(ctx.store, actor, null, `snapshot part of ${clinical} treatment record(s) up to ${snapshot.cursor}`);
      const patients = snapshot.rows.patients ?? 0;
      if (patients > 0 && hiddenFields(actor.role, 'patients').length === 0) {
        await auditClinicalRead(ctx.store, actor, null, `snapshot part with the medicalHistory of ${patients} patient(s) up to ${snapshot.cursor}`, 'patients');
      }
      file = await open(snapshot.file, 'r');
    } finally {
      // Deleted at once: an open file stays readable until the answer is sent or abandoned.
      await unlink(snapshot.file);
    }
    const bytes = (await file.stat()).size;
    const rows = Object.values(snapshot.rows).reduce((a, b) => a + (b ?? 0), 0);
    const ms = Math.round(performance.now() - started);
    request.log.info({ rows, bytes, cursor: snapshot.cursor, next: snapshot.next, ms }, 'first-download snapshot part written');
    if (snapshot.next !== null) reply.header(snapshotHeaders.next, snapshot.next);
    if (snapshot.total !== undefined) reply.header(snapshotHeaders.total, snapshot.total);
    return reply
      .type(snapshotContentType)
      .header('content-length', bytes)
      .header(snapshotHeaders.cursor, snapshot.cursor)
      // For the terminal's support log: how much of the wait was the server writing the file.
      .header('server-timing', `snapshot;dur=${ms}`)
      // 1 MiB reads: a 300 MB snapshot in 64 KiB pieces kept both ends busy with the pieces.
      .send(file.createReadStream({ highWaterMark: 1024 * 1024 }));
  });

  serveRoute(app, apiRoutes.push, async ({ request, actor }) => {
    const push = parseWith(apiRoutes.push.body, request.body, 'body');
    const results: MutationResult[] = [];
    // In order, one transaction each: a refused mutation leaves the earlier ones applied.
    for (const m of push.mutations) results.push(await pushMutation(ctx.store, actor, m));
    return { results, cursor: await ctx.store.headCursor() };
  });
}
