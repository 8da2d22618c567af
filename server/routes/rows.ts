/**
 * The collection routes: list, get, create, update (If-Match), delete, and stock adjustments.
 * Every write is a mutation through server/mutations, exactly as sync push applies it.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { canRead, clinicalFields, hiddenFields, redactRow } from '../../shared/domain/access';
import { collectionNames, type AnyRow, type CollectionName } from '../../shared/domain/collections';
import { rowId } from '../../shared/domain/primitives';
import { runMutation } from '../mutations/run';
import { MutationRefused } from '../mutations/refusal';
import type { ServerContext } from '../http/context';
import { badRequest, HttpError } from '../http/errors';
import { actorOf } from '../http/guard';
import type { Actor } from '../store/types';

export const idParams = z.strictObject({ id: rowId });
const noQuery = z.strictObject({});
/** `If-Match: 3`, also accepted quoted as an ETag (`"3"`). */
const ifMatch = z
  .string()
  .trim()
  .regex(/^(W\/)?"?\d{1,9}"?$/, 'If-Match must be the row version the edit is based on, e.g. If-Match: 3')
  .transform((v) => Number(v.replace(/\D/g, '')))
  .pipe(z.int().min(1));

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw badRequest(parsed.error, where);
  return parsed.data;
}

function requireRead(actor: Actor, c: CollectionName): void {
  if (!canRead(actor.role, c)) throw new HttpError(403, `a ${actor.role} may not see ${c}`);
}

/**
 * Reading clinical data is audited, list and single row alike: treatment records, and the
 * clinical fields of other rows (a patient's medicalHistory) when the answer holds them.
 */
async function auditClinicalRead(ctx: ServerContext, actor: Actor, c: CollectionName, rows: AnyRow[], rowIdOrNull: string | null, detail: string): Promise<void> {
  let what: string;
  if (c === 'treatment-records') what = detail;
  else {
    // The clinical fields of this collection that this role receives (none for the front desk).
    const fields = hiddenFields(actor.role, c).length === 0 ? (clinicalFields[c] ?? []) : [];
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
    const config = { collection: c };
    const base = `/api/${c}`;

    app.get(base, { config }, async (request) => {
      const actor = actorOf(request);
      parseWith(noQuery, request.query, 'query');
      requireRead(actor, c);
      const rows = (await ctx.store.listRows(c)).map((r) => redactRow(actor.role, c, r.row));
      await auditClinicalRead(ctx, actor, c, rows, null, `list of ${rows.length}`);
      return rows;
    });

    app.get(`${base}/:id`, { config }, async (request) => {
      const actor = actorOf(request);
      const { id } = parseWith(idParams, request.params, 'path');
      parseWith(noQuery, request.query, 'query');
      requireRead(actor, c);
      const stored = await ctx.store.getRow(c, id);
      if (!stored || stored.deleted) throw new HttpError(404, `${c} ${id} not found`);
      const row = redactRow(actor.role, c, stored.row);
      await auditClinicalRead(ctx, actor, c, [row], id, 'row');
      return row;
    });

    if (c !== 'users') {
      // Users are created with a password: see routes/users.ts.
      app.post(base, { config }, async (request, reply) => {
        const actor = actorOf(request);
        const body = bodyObject(request);
        const id = typeof body.id === 'string' ? body.id : randomUUID();
        const applied = await runMutation(ctx.store, actor, { collection: c, op: 'create', id, data: body });
        return reply.code(201).send(redacted(actor, c, applied.row));
      });
    }

    app.patch(`${base}/:id`, { config }, async (request) => {
      const actor = actorOf(request);
      const { id } = parseWith(idParams, request.params, 'path');
      const header = request.headers['if-match'];
      if (header === undefined) {
        throw new MutationRefused(428, 'PATCH needs an If-Match header with the row version the edit is based on (If-Match: 3)');
      }
      const baseVersion = parseWith(ifMatch, header, 'If-Match');
      const applied = await runMutation(ctx.store, actor, { collection: c, op: 'update', id, baseVersion, data: bodyObject(request) });
      return redacted(actor, c, applied.row);
    });

    app.delete(`${base}/:id`, { config }, async (request, reply) => {
      const actor = actorOf(request);
      const { id } = parseWith(idParams, request.params, 'path');
      await runMutation(ctx.store, actor, { collection: c, op: 'delete', id });
      return reply.code(204).send();
    });
  }

  app.post('/api/inventory/:id/adjust', { config: { collection: 'inventory' as CollectionName } }, async (request) => {
    const actor = actorOf(request);
    const { id } = parseWith(idParams, request.params, 'path');
    const applied = await runMutation(ctx.store, actor, { collection: 'inventory', op: 'adjust', id, data: bodyObject(request) });
    return redacted(actor, 'inventory', applied.row);
  });
}

export function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'the body must be a JSON object', [{ path: '(body)', message: 'expected a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

function redacted(actor: Actor, c: CollectionName, row: AnyRow | null): AnyRow | null {
  return row ? redactRow(actor.role, c, row) : null;
}
