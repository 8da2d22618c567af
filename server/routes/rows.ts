/**
 * The collection routes: list, get, create, update (If-Match), delete, and stock adjustments.
 * Every write is a mutation through server/mutations, exactly as sync push applies it.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { clinicalFieldsOf, hiddenFields, redactRow } from '../../shared/domain/access';
import { collectionNames, type AnyRow, type CollectionName } from '../../shared/domain/collections';
import { apiRoutes, collectionRoutes, ifMatch } from '../../shared/http/routes';
import { runMutation } from '../mutations/run';
import { MutationRefused } from '../mutations/refusal';
import type { ServerContext } from '../http/context';
import { HttpError } from '../http/errors';
import { bodyObject, parseWith, serveRoute } from '../http/serveRoute';
import type { Actor } from '../store/types';

/**
 * Reading clinical data is audited, list and single row alike: treatment records, and the
 * clinical fields of other rows (a patient's medicalHistory) when the answer holds them.
 */
async function auditClinicalRead(ctx: ServerContext, actor: Actor, c: CollectionName, rows: AnyRow[], rowIdOrNull: string | null, detail: string): Promise<void> {
  let what: string;
  if (c === 'treatment-records') what = detail;
  else {
    // The clinical fields of this collection that this role receives (none for the front desk).
    const fields = hiddenFields(actor.role, c).length === 0 ? clinicalFieldsOf(c) : [];
    const holding = rows.filter((r) => fields.some((f) => r[f] !== undefined && r[f] !== '' && r[f] !== null));
    if (holding.length === 0) return;
    what = `${fields.join(', ')} of ${holding.length} ${c} row(s) (${detail})`;
  }
  await ctx.store.write((tx) =>
    tx.appendAudit({ userId: actor.id, username: actor.username, action: 'read', collection: c, rowId: rowIdOrNull, detail: what }),
  );
}

export function rowRoutes(app: FastifyInstance, ctx: ServerContext): void {
  for (const c of collectionNames) {
    const routes = collectionRoutes[c];

    serveRoute(
      app,
      routes.list,
      async ({ actor }) => {
        const rows = (await ctx.store.listRows(c)).map((r) => redactRow(actor.role, c, r.row));
        await auditClinicalRead(ctx, actor, c, rows, null, `list of ${rows.length}`);
        return rows;
      },
      c,
    );

    serveRoute(
      app,
      routes.get,
      async ({ actor, params: { id } }) => {
        const stored = await ctx.store.getRow(c, id);
        if (!stored || stored.deleted) throw new HttpError(404, `${c} ${id} not found`);
        const row = redactRow(actor.role, c, stored.row);
        await auditClinicalRead(ctx, actor, c, [row], id, 'row');
        return row;
      },
      c,
    );

    if (routes.create) {
      serveRoute(
        app,
        routes.create,
        async ({ request, actor }) => {
          const body = bodyObject(request);
          const id = typeof body.id === 'string' ? body.id : randomUUID();
          const applied = await runMutation(ctx.store, actor, { collection: c, op: 'create', id, data: body });
          return redacted(actor, c, applied.row);
        },
        c,
      );
    }

    serveRoute(
      app,
      routes.update,
      async ({ request, actor, params: { id } }) => {
        const header = request.headers['if-match'];
        if (header === undefined) {
          throw new MutationRefused(428, 'PATCH needs an If-Match header with the row version the edit is based on (If-Match: 3)');
        }
        const baseVersion = parseWith(ifMatch, header, 'If-Match');
        const applied = await runMutation(ctx.store, actor, { collection: c, op: 'update', id, baseVersion, data: bodyObject(request) });
        return redacted(actor, c, applied.row);
      },
      c,
    );

    serveRoute(
      app,
      routes.remove,
      async ({ actor, params: { id } }) => {
        await runMutation(ctx.store, actor, { collection: c, op: 'delete', id });
        return undefined;
      },
      c,
    );
  }

  serveRoute(
    app,
    apiRoutes.adjustStock,
    async ({ request, actor, params: { id } }) => {
      const applied = await runMutation(ctx.store, actor, { collection: 'inventory', op: 'adjust', id, data: bodyObject(request) });
      return redacted(actor, 'inventory', applied.row);
    },
    'inventory',
  );
}

/** The row a create, update or adjustment wrote, as the caller may see it. */
function redacted(actor: Actor, c: CollectionName, row: AnyRow | null): AnyRow {
  if (!row) throw new Error(`a write to ${c} applied without a row`);
  return redactRow(actor.role, c, row);
}
