/** Creating users (admin only) and resetting their passwords; listing/editing is in rows.ts. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { canWrite } from '../../shared/domain/access';
import { createUserInput, password } from '../../shared/domain/collections';
import type { ServerContext } from '../http/context';
import { HttpError } from '../http/errors';
import { actorOf } from '../http/guard';
import { runMutation } from '../mutations/run';
import { MutationRefused } from '../mutations/refusal';
import { bodyObject, idParams, parseWith } from './rows';

export function userRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const config = { collection: 'users' as const };

  app.post('/api/users', { config }, async (request, reply) => {
    const actor = actorOf(request);
    if (!canWrite(actor.role, 'users')) throw new HttpError(403, `a ${actor.role} may not create users`);
    const input = parseWith(createUserInput, bodyObject(request), 'body');
    const { password: secret, ...data } = input;
    const id = input.id ?? randomUUID();
    const hash = await ctx.passwords.hash(secret);
    const applied = await runMutation(ctx.store, actor, { collection: 'users', op: 'create', id, data }, {
      beforeCommit: (tx) => tx.setPasswordHash(id, hash),
    });
    return reply.code(201).send(applied.row);
  });

  app.post('/api/users/:id/password', { config }, async (request, reply) => {
    const actor = actorOf(request);
    if (actor.role !== 'admin') throw new HttpError(403, 'only an admin sets passwords');
    const { id } = parseWith(idParams, request.params, 'path');
    const body = parseWith(z.strictObject({ password }), bodyObject(request), 'body');
    const hash = await ctx.passwords.hash(body.password);
    await ctx.store.write(async (tx) => {
      const user = await tx.getRow('users', id);
      if (!user || user.deleted) throw new MutationRefused(404, `users ${id} not found`);
      await tx.setPasswordHash(id, hash);
      await tx.revokeRefreshTokens(id);
      await tx.appendAudit({ userId: actor.id, username: actor.username, action: 'set-password', collection: 'users', rowId: id, detail: null });
    });
    return reply.code(204).send();
  });
}
